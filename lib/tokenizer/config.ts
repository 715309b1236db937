// The resolved description of a BERT tokenizer, whichever file it came from (vocab.txt + options, or
// tokenizer.json), and the checks on user options.

import { TokenizerOptionsError } from '../errors';
import type { AddedToken } from './addedTokens';
import type { DecoderOptions } from './decoder';
import type { NormalizerOptions } from './normalizer';
import type { Template } from './postProcessor';

export interface TokenizerConfig {
  /** Where the description came from, for error messages. */
  source: string;
  /** token -> id. */
  vocab: Map<string, number>;
  unkToken: string;
  padToken: string | null;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  /** null: the text is used as it is. */
  normalizer: NormalizerOptions | null;
  addedTokens: AddedToken[];
  template: Template;
  decoder: DecoderOptions;
}

/** Options for a tokenizer built from vocab.txt; names and defaults of transformers' BertTokenizer. */
export interface VocabTokenizerOptions {
  doLowerCase?: boolean;
  /** null (default): strip accents exactly when lowercasing. */
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
  cleanText?: boolean;
  unkToken?: string;
  sepToken?: string;
  padToken?: string;
  clsToken?: string;
  maskToken?: string;
  maxInputCharsPerWord?: number;
  /** Words per generation of the word cache (0 disables it). */
  cacheSize?: number;
}

/** Options for a tokenizer built from tokenizer.json: the file says the rest. */
export interface JsonTokenizerOptions {
  cacheSize?: number;
}

export const DEFAULT_CACHE_SIZE = 50_000;

/** Rejects option names the callee does not know, so that a typo is an error rather than a silent default. */
export function checkOptionNames(where: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION', `${where}: options must be an object`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
        `${where}: unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
}

/** A non-negative integer option, or the default when absent. */
export function integerOption(where: string, name: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
      `${where}: option '${name}' must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

export function booleanOption(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
      `${where}: option '${name}' must be a boolean, got ${String(value)}`);
  }
  return value;
}

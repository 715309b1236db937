// Loading a tokenizer from vocab.txt (one token per line, the line number is the id), the way transformers'
// BertTokenizer(vocab_file=...) builds its pipeline around it.

import { readFileSync } from 'fs';
import { TokenizerFileError } from '../errors';
import type { AddedToken } from './addedTokens';
import {
  booleanOption, checkOptionNames, integerOption, type TokenizerConfig, type VocabTokenizerOptions,
} from './config';
import { bertTemplate } from './postProcessor';

const OPTION_NAMES = [
  'doLowerCase', 'stripAccents', 'tokenizeChineseChars', 'cleanText', 'unkToken', 'sepToken', 'padToken',
  'clsToken', 'maskToken', 'maxInputCharsPerWord', 'cacheSize',
] as const;

/** Reads a file as strict UTF-8; a missing file or bad bytes become a TokenizerFileError naming the file. */
export function readUtf8File(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FILE', file, `cannot read: ${(e as Error).message}`,
      { cause: e });
  }
  try {
    // ignoreBOM keeps a leading U+FEFF as text, as Python's utf-8 codec does (it becomes part of the first token).
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FILE', file, 'not valid UTF-8', { cause: e });
  }
}

/** token -> id from the lines of a vocab.txt ("\n" or "\r\n" line ends; a later duplicate wins, as in HF). */
export function parseVocabLines(text: string): Map<string, number> {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const vocab = new Map<string, number>();
  lines.forEach((line, id) => vocab.set(line.endsWith('\r') ? line.slice(0, -1) : line, id));
  return vocab;
}

export function configFromVocabFile(file: string, options: VocabTokenizerOptions = {}): TokenizerConfig {
  const where = `BertTokenizer.fromVocabFile(${file})`;
  checkOptionNames(where, options, OPTION_NAMES);
  const vocab = parseVocabLines(readUtf8File(file));
  const lowercase = booleanOption(where, 'doLowerCase', options.doLowerCase, true);
  const strip = options.stripAccents === null ? null : booleanOption(where, 'stripAccents', options.stripAccents, false);
  const stripAccents = options.stripAccents === undefined ? null : strip;
  const names = {
    unk: options.unkToken ?? '[UNK]',
    sep: options.sepToken ?? '[SEP]',
    pad: options.padToken ?? '[PAD]',
    cls: options.clsToken ?? '[CLS]',
    mask: options.maskToken ?? '[MASK]',
  };
  for (const [role, token] of [['unknown', names.unk], ['[CLS]', names.cls], ['[SEP]', names.sep]] as const) {
    if (!vocab.has(token)) {
      throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_VOCAB', file,
        `the ${role} token '${token}' is not in the vocabulary (${vocab.size} tokens)`);
    }
  }
  // Special tokens present in the vocabulary are never split, as transformers registers them as added tokens.
  const addedTokens: AddedToken[] = [];
  const specials = [names.pad, names.unk, names.cls, names.sep, names.mask];
  for (const content of specials) {
    const id = vocab.get(content);
    if (id === undefined || addedTokens.some((t) => t.content === content)) continue;
    addedTokens.push({ id, content, special: true, normalized: false, lstrip: false, rstrip: false });
  }
  return {
    source: file,
    vocab,
    unkToken: names.unk,
    padToken: vocab.has(names.pad) ? names.pad : null,
    continuingSubwordPrefix: '##',
    maxInputCharsPerWord: integerOption(where, 'maxInputCharsPerWord', options.maxInputCharsPerWord, 100, 1),
    normalizer: {
      cleanText: booleanOption(where, 'cleanText', options.cleanText, true),
      handleChineseChars: booleanOption(where, 'tokenizeChineseChars', options.tokenizeChineseChars, true),
      stripAccents,
      lowercase,
    },
    addedTokens,
    template: bertTemplate({ token: names.cls, id: vocab.get(names.cls)! }, { token: names.sep, id: vocab.get(names.sep)! }),
    decoder: { prefix: '##', cleanup: true },
  };
}

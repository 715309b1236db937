// The options of encode() and encodeBatch(), checked and completed with transformers' defaults.

import { TokenizerOptionsError } from '../errors';
import { booleanOption, checkOptionNames, integerOption } from './config';
import type { TruncationStrategy } from './truncation';

export interface EncodeOptions {
  /** Wrap in [CLS] ... [SEP] (default true). */
  addSpecialTokens?: boolean;
  /** Maximum length, special tokens included. */
  maxLength?: number;
  /** Truncation strategy; true = 'longest_first'. Default: 'longest_first' when maxLength is given (as
   *  transformers does when max_length is set without truncation). */
  truncation?: boolean | TruncationStrategy;
  /** encode(): true or 'max_length' pads to maxLength. encodeBatch(): 'longest' (default) or 'max_length'. */
  padding?: boolean | 'max_length' | 'longest';
}

/** encode/encodeBatch options after checking and defaults; maxLength -1 = none. */
export interface ResolvedEncodeOptions {
  addSpecialTokens: boolean;
  maxLength: number;
  truncation: TruncationStrategy | null;
  padToMax: boolean;
}

const ENCODE_OPTIONS = ['addSpecialTokens', 'maxLength', 'truncation', 'padding'] as const;
const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

export function resolveEncodeOptions(where: string, options: EncodeOptions | undefined, batch: boolean): ResolvedEncodeOptions {
  checkOptionNames(where, options, ENCODE_OPTIONS);
  const addSpecialTokens = booleanOption(where, 'addSpecialTokens', options?.addSpecialTokens, true);
  const maxLength = integerOption(where, 'maxLength', options?.maxLength, -1, 0);
  const t = options?.truncation;
  let truncation: TruncationStrategy | null;
  if (t === undefined) truncation = maxLength >= 0 ? 'longest_first' : null;
  else if (t === true) truncation = 'longest_first';
  else if (t === false) truncation = null;
  else if (STRATEGIES.includes(t)) truncation = t;
  else {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
      `${where}: truncation must be a boolean or one of ${STRATEGIES.join(', ')}, got ${String(t)}`);
  }
  if (truncation !== null && maxLength < 0) {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION', `${where}: truncation needs maxLength`);
  }
  const p = options?.padding;
  const allowed = batch ? [undefined, 'longest', 'max_length'] : [undefined, false, true, 'max_length'];
  if (!allowed.includes(p)) {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
      `${where}: padding must be one of ${allowed.filter((a) => a !== undefined).join(', ')}, got ${String(p)}`);
  }
  const padToMax = p === 'max_length' || p === true;
  if (padToMax && maxLength < 0) {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION', `${where}: padding to max_length needs maxLength`);
  }
  return { addSpecialTokens, maxLength, truncation, padToMax };
}

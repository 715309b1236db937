// tokenizer_config.json of a model folder that has a vocab.txt but no tokenizer.json: the BertTokenizer settings
// transformers would pass to its constructor.

import { existsSync } from 'fs';
import { join } from 'path';
import { TokenizerFileError } from '../errors';
import { parseJson } from '../util/json';
import type { VocabTokenizerOptions } from './config';
import { readUtf8File } from './vocabFile';

export function readTokenizerConfigJson(dir: string): VocabTokenizerOptions {
  const file = join(dir, 'tokenizer_config.json');
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = parseJson(readUtf8File(file));
  } catch (e) {
    if (e instanceof TokenizerFileError) throw e;
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FILE', file, `not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FORMAT', file, 'the top level must be an object');
  }
  const c = raw as Record<string, unknown>;
  const out: VocabTokenizerOptions = {};
  const flag = (key: string): boolean | undefined => {
    const v = c[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FORMAT', file, `${key} must be a boolean`);
    return v;
  };
  // Special tokens may be plain strings or AddedToken objects ({"content": ...}).
  const token = (key: string): string | undefined => {
    const v = c[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && typeof (v as Record<string, unknown>).content === 'string') {
      return (v as Record<string, string>).content;
    }
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FORMAT', file, `${key} must be a string or {"content": string}`);
  };
  const lower = flag('do_lower_case');
  if (lower !== undefined) out.doLowerCase = lower;
  if (c.strip_accents === null) out.stripAccents = null;
  else if (flag('strip_accents') !== undefined) out.stripAccents = flag('strip_accents');
  const chinese = flag('tokenize_chinese_chars');
  if (chinese !== undefined) out.tokenizeChineseChars = chinese;
  const names = { unkToken: 'unk_token', sepToken: 'sep_token', padToken: 'pad_token', clsToken: 'cls_token', maskToken: 'mask_token' } as const;
  for (const [option, key] of Object.entries(names) as Array<[keyof typeof names, string]>) {
    const t = token(key);
    if (t !== undefined) out[option] = t;
  }
  return out;
}

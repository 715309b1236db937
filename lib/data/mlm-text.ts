// Raw text for masked-LM pre-training, read as run_mlm reads a .txt file (Hugging Face datasets' "text" loader: one
// example per line, lines split as Python's str.splitlines splits them) and turned into features in its two ways:
//   line by line: every line that is not empty or whitespace, encoded with [CLS] … [SEP] and truncated to maxLength;
//   grouped:      every line encoded with [CLS] … [SEP] (an empty line gives just those two), the encodings of each
//                 run of `groupSize` lines concatenated and cut into blocks of blockSize tokens, the rest of each run
//                 dropped (run_mlm's group_texts over datasets.map batches of 1,000 lines).
// Files are streamed; memory holds one group of lines.

import { ValidationError } from '../errors';
import type { BertTokenizer } from '../tokenizer';
import { pythonIsSpace } from '../util/python-text';
import { readLines } from './line-reader';

export interface TextLineRecord {
  text: string;
  // 1-based line of the file (a physical line split further by the rules below keeps its number).
  line: number;
}

export interface MlmFeature {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  // 1 for [CLS]/[SEP]/padding: never masked.
  specialTokensMask: number[];
  // [start, end) of each token in its line, [0, 0] for special tokens: whole-word masking finds words by them.
  offsets: Array<[number, number]>;
}

// Python's str.splitlines breaks lines at these (readLines has split at \n already; the others split further).
const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

export async function* streamTextLines(file: string, options: { maxLineLength?: number } = {}): AsyncGenerator<TextLineRecord> {
  for await (const batch of readLines(file, { maxLineLength: options.maxLineLength ?? 1 << 24 })) {
    for (const { text, line, terminated } of batch) {
      // splitlines of the physical line with its \n: no empty part after the last break.
      const parts = (terminated ? `${text}\n` : text).split(LINE_BREAKS);
      if (parts[parts.length - 1] === '') parts.pop();
      for (const part of parts) yield { text: part, line };
    }
  }
}

export function encodeLine(tokenizer: BertTokenizer, text: string, maxLength?: number): MlmFeature {
  const encoding = tokenizer.encode(text, undefined, maxLength === undefined ? {} : { maxLength, truncation: true });
  return {
    inputIds: encoding.inputIds, tokenTypeIds: encoding.tokenTypeIds, attentionMask: encoding.attentionMask,
    specialTokensMask: encoding.specialTokensMask, offsets: encoding.offsets,
  };
}

export async function* lineByLineFeatures(tokenizer: BertTokenizer, lines: AsyncIterable<TextLineRecord>, options: { maxLength?: number } = {}): AsyncGenerator<MlmFeature> {
  const maxLength = checkedLength('maxLength', options.maxLength ?? 512);
  for await (const { text } of lines) {
    if (text.length === 0 || pythonIsSpace(text)) continue;
    yield encodeLine(tokenizer, text, maxLength);
  }
}

export async function* groupedFeatures(tokenizer: BertTokenizer, lines: AsyncIterable<TextLineRecord>,
  options: { blockSize?: number; groupSize?: number } = {}): AsyncGenerator<MlmFeature> {
  const blockSize = checkedLength('blockSize', options.blockSize ?? 512);
  const groupSize = checkedLength('groupSize', options.groupSize ?? 1000);
  let group: MlmFeature[] = [];
  for await (const { text } of lines) {
    group.push(encodeLine(tokenizer, text));
    if (group.length === groupSize) {
      yield* blocks(group, blockSize);
      group = [];
    }
  }
  if (group.length > 0) yield* blocks(group, blockSize);
}

function* blocks(group: MlmFeature[], blockSize: number): Generator<MlmFeature> {
  const all: MlmFeature = {
    inputIds: group.flatMap((f) => f.inputIds), tokenTypeIds: group.flatMap((f) => f.tokenTypeIds),
    attentionMask: group.flatMap((f) => f.attentionMask), specialTokensMask: group.flatMap((f) => f.specialTokensMask),
    offsets: group.flatMap((f) => f.offsets),
  };
  for (let start = 0; start + blockSize <= all.inputIds.length; start += blockSize) {
    const end = start + blockSize;
    yield {
      inputIds: all.inputIds.slice(start, end), tokenTypeIds: all.tokenTypeIds.slice(start, end),
      attentionMask: all.attentionMask.slice(start, end), specialTokensMask: all.specialTokensMask.slice(start, end),
      offsets: all.offsets.slice(start, end),
    };
  }
}

function checkedLength(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
  return value;
}

// SQuAD examples → model features exactly as run_qa's prepare_train_features / prepare_validation_features build
// them with a fast tokenizer: the question (left-stripped) and the context are encoded as a pair truncated
// 'only_second' to maxLength; a context longer than the room left is cut into overlapping windows, each starting
// `stride` tokens before the previous one ended (Hugging Face's return_overflowing_tokens with stride), so one
// example can give several features.
//   training:   the first answer's character span is mapped to the window's token start/end; when the window does not
//               contain all of it, or the question has no answer, both positions point at [CLS] (0);
//   validation: each feature keeps its example id and the offset mapping of its context tokens ([start, end) in the
//               context), null for question, special and padding positions: what postprocessQaPredictions needs.

import { ValidationError } from '../errors';
import type { BertTokenizer } from '../tokenizer';
import { addedTokenCount } from '../tokenizer/postProcessor';
import { pythonLstrip } from '../util/python-text';
import type { SquadExample } from './squad';
import { fillTemplate, type TemplatedRow } from './template';

export interface SquadFeatureOptions {
  maxLength?: number; // default 384 (run_qa's max_seq_length)
  stride?: number; // default 128 (run_qa's doc_stride)
}

interface SquadFeatureBase {
  // Index of the example in the list given, and its id.
  exampleIndex: number;
  exampleId: string;
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
}

export interface SquadTrainFeature extends SquadFeatureBase {
  startPosition: number;
  endPosition: number;
}

export interface SquadValidationFeature extends SquadFeatureBase {
  offsetMapping: Array<[number, number] | null>;
}

interface Window {
  row: TemplatedRow;
  // [start, end) of every position in its own text; [0, 0] for special tokens.
  offsets: Array<[number, number]>;
}

export function squadTrainFeatures(tokenizer: BertTokenizer, examples: readonly SquadExample[], options: SquadFeatureOptions = {}): SquadTrainFeature[] {
  const features: SquadTrainFeature[] = [];
  examples.forEach((example, exampleIndex) => {
    for (const { row, offsets } of windows(tokenizer, example, options)) {
      const [startPosition, endPosition] = answerPositions(example, row, offsets, tokenizer);
      features.push({ ...base(example, exampleIndex, row), startPosition, endPosition });
    }
  });
  return features;
}

export function squadValidationFeatures(tokenizer: BertTokenizer, examples: readonly SquadExample[], options: SquadFeatureOptions = {}): SquadValidationFeature[] {
  const features: SquadValidationFeature[] = [];
  examples.forEach((example, exampleIndex) => {
    for (const { row, offsets } of windows(tokenizer, example, options)) {
      features.push({ ...base(example, exampleIndex, row), offsetMapping: offsets.map((o, k) => (row.sequenceIds[k] === 1 ? o : null)) });
    }
  });
  return features;
}

function base(example: SquadExample, exampleIndex: number, row: TemplatedRow): SquadFeatureBase {
  return { exampleIndex, exampleId: example.id, inputIds: row.inputIds, tokenTypeIds: row.tokenTypeIds, attentionMask: row.inputIds.map(() => 1) };
}

// The windows over the context: the Rust tokenizer's truncate(max_len = room, stride) on the context's pieces —
// starts at 0, room − stride, 2(room − stride), …, each `room` pieces long, the last one reaching the end.
function windows(tokenizer: BertTokenizer, example: SquadExample, options: SquadFeatureOptions): Window[] {
  const maxLength = options.maxLength ?? 384;
  const stride = options.stride ?? 128;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new ValidationError(`maxLength must be a positive integer, got ${maxLength}`);
  if (!Number.isInteger(stride) || stride < 0) throw new ValidationError(`stride must be a non-negative integer, got ${stride}`);
  const question = tokenizer.encode(pythonLstrip(example.question), undefined, { addSpecialTokens: false });
  const context = tokenizer.encode(example.context, undefined, { addSpecialTokens: false });
  const template = tokenizer.config.template.pair;
  const room = maxLength - addedTokenCount(template) - question.inputIds.length;
  const ranges: Array<[number, number]> = [];
  if (context.inputIds.length <= room) {
    ranges.push([0, context.inputIds.length]);
  } else {
    if (room <= 0) {
      throw new ValidationError(`question ${example.id} (${question.inputIds.length} tokens) leaves no room for its context in maxLength ${maxLength}`);
    }
    if (stride >= room) {
      throw new ValidationError(`question ${example.id}: stride ${stride} must be below the ${room} context tokens a window of maxLength ${maxLength} holds`);
    }
    for (let start = 0; ; start += room - stride) {
      const end = Math.min(start + room, context.inputIds.length);
      ranges.push([start, end]);
      if (end === context.inputIds.length) break;
    }
  }
  return ranges.map(([start, end]) => {
    const row = fillTemplate(template, question.inputIds, context.inputIds.slice(start, end));
    const offsets = row.pieceIndex.map((piece, k): [number, number] => {
      if (piece === -1) return [0, 0];
      const [from, to] = row.sequenceIds[k] === 0 ? question.offsets[piece] : context.offsets[start + piece];
      return [from, to];
    });
    return { row, offsets };
  });
}

// run_qa's labelling: the window's first and last context tokens must cover the answer's characters, then the
// start is the last token starting at or before the answer's start, and the end the first token ending at or after
// its end.
function answerPositions(example: SquadExample, row: TemplatedRow, offsets: Array<[number, number]>, tokenizer: BertTokenizer): [number, number] {
  const clsIndex = classTokenIndex(row, tokenizer);
  if (example.answers.answerStart.length === 0) return [clsIndex, clsIndex];
  const startChar = example.answers.answerStart[0];
  const endChar = startChar + example.answers.text[0].length;
  let first = 0;
  while (row.sequenceIds[first] !== 1) first++;
  let last = row.inputIds.length - 1;
  while (row.sequenceIds[last] !== 1) last--;
  if (!(offsets[first][0] <= startChar && offsets[last][1] >= endChar)) return [clsIndex, clsIndex];
  let start = first;
  while (start < offsets.length && offsets[start][0] <= startChar) start++;
  let end = last;
  while (offsets[end][1] >= endChar) end--;
  return [start - 1, end + 1];
}

// run_qa's cls_index: where the [CLS] token is (BERT's template opens with it, so 0), else 0.
function classTokenIndex(row: TemplatedRow, tokenizer: BertTokenizer): number {
  const opening = tokenizer.config.template.pair[0];
  return opening.kind === 'special' ? Math.max(0, row.inputIds.indexOf(opening.ids[0])) : 0;
}

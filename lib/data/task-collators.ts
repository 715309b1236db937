// Task features → the engine's batch and the labels in each head's native layout (native/model/heads/README.md):
//   token classification, masked LM: Int32Array [B, T], −100 on padding (and wherever the features say so);
//   question answering: Int32Array [B, 2] (start, end);
//   multiple choice: the B examples' k choices as B·k rows, labels Int32Array [B].
// Rows are padded with the pad id to the longest row (or to padTo), attention mask 0 there, as transformers'
// collators (DataCollatorForTokenClassification, DataCollatorWithPadding, DataCollatorForMultipleChoice) do.

import { ValidationError } from '../errors';
import type { SquadTrainFeature, SquadValidationFeature } from './squad-features';
import type { SwagFeatures } from './swag';
import { IGNORE_INDEX } from './token-alignment';
import type { Batch } from './types';

export interface CollateOptions {
  padTokenId: number;
  // Pad every row to this length instead of the longest row's (rows longer than it are an error).
  padTo?: number;
}

interface TokenRow {
  inputIds: ArrayLike<number>;
  tokenTypeIds: ArrayLike<number>;
}

export interface LabelledBatch {
  batch: Batch;
  labels: Int32Array;
}

export function padTaskRows(rows: readonly TokenRow[], options: CollateOptions): Batch {
  if (rows.length === 0) throw new ValidationError('a batch needs at least one row');
  if (!Number.isInteger(options.padTokenId) || options.padTokenId < 0) throw new ValidationError(`padTokenId must be a non-negative integer, got ${options.padTokenId}`);
  const longest = Math.max(...rows.map((r) => r.inputIds.length));
  const seqLen = options.padTo ?? longest;
  if (!Number.isInteger(seqLen) || seqLen < longest) throw new ValidationError(`padTo ${seqLen} is shorter than the longest row (${longest} tokens)`);
  const inputIds = new Int32Array(rows.length * seqLen).fill(options.padTokenId);
  const tokenTypeIds = new Int32Array(rows.length * seqLen);
  const attentionMask = new Int32Array(rows.length * seqLen);
  rows.forEach((row, r) => {
    if (row.tokenTypeIds.length !== row.inputIds.length) throw new ValidationError(`row ${r}: ${row.tokenTypeIds.length} token types for ${row.inputIds.length} ids`);
    inputIds.set(Array.from(row.inputIds), r * seqLen);
    tokenTypeIds.set(Array.from(row.tokenTypeIds), r * seqLen);
    attentionMask.fill(1, r * seqLen, r * seqLen + row.inputIds.length);
  });
  return { inputIds, tokenTypeIds, attentionMask, batchSize: rows.length, seqLen };
}

// Per-token labels [B, T], IGNORE_INDEX on padding.
function tokenLabels(labels: ReadonlyArray<ArrayLike<number>>, rows: readonly TokenRow[], seqLen: number): Int32Array {
  const out = new Int32Array(labels.length * seqLen).fill(IGNORE_INDEX);
  labels.forEach((row, r) => {
    if (row.length !== rows[r].inputIds.length) throw new ValidationError(`row ${r}: ${row.length} labels for ${rows[r].inputIds.length} tokens`);
    out.set(Array.from(row), r * seqLen);
  });
  return out;
}

// Token classification (TokenAligner's rows) and masked LM (MlmMasker's inputIds/labels with the row's token types).
export function tokenLabelBatch(rows: ReadonlyArray<TokenRow & { labels: ArrayLike<number> }>, options: CollateOptions): LabelledBatch {
  const batch = padTaskRows(rows, options);
  return { batch, labels: tokenLabels(rows.map((r) => r.labels), rows, batch.seqLen) };
}

export function questionAnsweringBatch(rows: readonly SquadTrainFeature[], options: CollateOptions): LabelledBatch {
  const batch = padTaskRows(rows, options);
  const labels = new Int32Array(rows.length * 2);
  rows.forEach((row, r) => {
    labels[2 * r] = row.startPosition;
    labels[2 * r + 1] = row.endPosition;
  });
  return { batch, labels };
}

// Validation features carry no labels: the batch only (their offsets go to postprocessQaPredictions).
export function questionAnsweringInputs(rows: readonly SquadValidationFeature[], options: CollateOptions): Batch {
  return padTaskRows(rows, options);
}

export function multipleChoiceBatch(examples: readonly SwagFeatures[], options: CollateOptions): { batch: Batch; labels: Int32Array | null; numChoices: number } {
  if (examples.length === 0) throw new ValidationError('a batch needs at least one example');
  const numChoices = examples[0].inputIds.length;
  const rows: TokenRow[] = [];
  examples.forEach((example, e) => {
    if (example.inputIds.length !== numChoices || example.tokenTypeIds.length !== numChoices) {
      throw new ValidationError(`example ${e} has ${example.inputIds.length} choices, the first has ${numChoices}`);
    }
    example.inputIds.forEach((ids, k) => rows.push({ inputIds: ids, tokenTypeIds: example.tokenTypeIds[k] }));
  });
  const labelled = examples.every((e) => e.label !== undefined);
  if (!labelled && examples.some((e) => e.label !== undefined)) throw new ValidationError('some examples of the batch have labels and some do not');
  return {
    batch: padTaskRows(rows, options),
    labels: labelled ? Int32Array.from(examples, (e) => e.label!) : null,
    numChoices,
  };
}

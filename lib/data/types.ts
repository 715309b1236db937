// Shapes shared by the data layer: one labelled example, the engine's batch layout, the tokenizer it needs.

// One labelled text (or text pair). `label` is an index into the dataset's label list.
export interface Example {
  // Unique within its dataset, stable across runs (IMDb: "<split>/<neg|pos|unsup>/<numeric id>").
  id: string;
  text: string;
  textPair?: string;
  label: number;
  // IMDb star rating 1..10 (0 for unsup); absent for formats that do not carry one.
  rating?: number;
  // IMDb split the example was read from ("train" | "test"); absent for formats without splits.
  split?: string;
  // Where it came from: a file path, "<archive>:<member>", or "<file>:<line>".
  source: string;
}

// The engine's input layout: row-major [batchSize, seqLen] arrays, typed once beside the addon.
import type { Batch } from '../native/native-bert';
export type { Batch };

// What the data layer needs from a tokenizer: ids for one text or pair, truncated to maxLength, not padded
// (padding is the batcher's job; a trailing run of attentionMask = 0 is stripped if a tokenizer pads anyway).
export interface EncodingLike {
  inputIds: ArrayLike<number>;
  tokenTypeIds?: ArrayLike<number>;
  attentionMask?: ArrayLike<number>;
}

export interface TokenizerLike {
  encode(text: string, pair?: string, options?: { maxLength?: number; truncation?: boolean }): EncodingLike;
}

// Where a data stream stands: the next batch to produce is batch `batchIndex` of epoch `epoch` (both 0-based).
// A checkpoint saves it; a loader started from it yields exactly the batches an uninterrupted run would.
export interface DataPosition {
  epoch: number;
  batchIndex: number;
}

// Batches in the engine's layout from a pre-tokenised dataset.
//
// Order of one epoch (deterministic from seed and epoch index, so a resumed run rebuilds it exactly):
//   1. indices 0..n-1, shuffled with mulberry32(streamSeed(seed, epoch)) when `shuffle` is on;
//   2. with bucketing (bucketBatches = k): cut into chunks of k * batchSize, sort each chunk by length
//      (longest first, ties in order) so a batch holds similar lengths and dynamic padding wastes little;
//   3. cut into batches of batchSize (the last one shorter, or dropped with dropLast);
//   4. with bucketing and shuffling, the batch order is shuffled with the same generator, so long and short
//      batches are mixed through the epoch.

import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';
import { exampleLength, type EncodedDataset } from './encode';
import { mulberry32, shuffleInPlace, streamSeed } from './random';
import type { Batch, DataPosition } from './types';

export interface BatchingOptions {
  batchSize: number;
  // 'max_length': every batch is padded to maxLength (the classic recipe: 256); 'longest' (default): to the
  // longest example in the batch.
  padding?: 'max_length' | 'longest';
  // Padded length for 'max_length'; defaults to the dataset's truncation length.
  maxLength?: number;
  shuffle?: boolean;
  seed?: number;
  dropLast?: boolean;
  // Sort by length within chunks of bucketBatches * batchSize examples; 0 or absent: no bucketing.
  bucketBatches?: number;
  // Id written into padded positions (BERT's [PAD] is 0 in the usual vocabularies).
  padTokenId?: number;
}

export interface LoadedBatch {
  batch: Batch;
  labels: Int32Array;
  // Dataset indices of the rows, in row order.
  indices: Int32Array;
  // This batch's place in the stream, and the place to resume from once it has been used.
  position: DataPosition;
  next: DataPosition;
}

export class BatchLoader {
  readonly batchSize: number;
  private readonly options: Required<BatchingOptions>;
  private cachedEpoch = -1;
  private cachedPlan: Int32Array[] = [];
  private digest?: string;

  constructor(readonly dataset: EncodedDataset, options: BatchingOptions) {
    const { batchSize } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ValidationError(`batchSize must be a positive integer, got ${batchSize}`);
    const bucketBatches = options.bucketBatches ?? 0;
    if (!Number.isInteger(bucketBatches) || bucketBatches < 0) {
      throw new ValidationError(`bucketBatches must be a non-negative integer, got ${bucketBatches}`);
    }
    const maxLength = options.maxLength ?? dataset.maxLength;
    let longest = 0;
    for (let i = 0; i < dataset.size; i++) longest = Math.max(longest, exampleLength(dataset, i));
    if (!Number.isInteger(maxLength) || maxLength < longest) {
      throw new ValidationError(`maxLength ${maxLength} is shorter than the longest encoded example (${longest} tokens)`);
    }
    this.batchSize = batchSize;
    this.options = {
      batchSize,
      padding: options.padding ?? 'longest',
      maxLength,
      shuffle: options.shuffle ?? false,
      seed: options.seed ?? 0,
      dropLast: options.dropLast ?? false,
      bucketBatches,
      padTokenId: options.padTokenId ?? 0,
    };
  }

  get numExamples(): number {
    return this.dataset.size;
  }

  // Everything the batches depend on, for a checkpoint to record (lib/train/run-settings.ts): the options, and a
  // SHA-256 of the examples' tokens, token types, labels and truncation length (so other data, another tokenizer or
  // another maxLength shows up even when the counts agree).
  runSettings(): Record<string, string | number | boolean> {
    if (this.digest === undefined) {
      const { tokens, tokenTypes, offsets, labels, maxLength } = this.dataset;
      const hash = createHash('sha256').update(JSON.stringify({ size: this.dataset.size, maxLength }));
      for (const a of [offsets, tokens, tokenTypes, labels]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      this.digest = hash.digest('hex');
    }
    const { batchSize, padding, maxLength, shuffle, seed, dropLast, bucketBatches, padTokenId } = this.options;
    return { examplesSha256: this.digest, batchSize, padding, paddedLength: maxLength, shuffle, seed, dropLast, bucketBatches, padTokenId };
  }

  batchesPerEpoch(): number {
    const { size } = this.dataset;
    return this.options.dropLast ? Math.floor(size / this.batchSize) : Math.ceil(size / this.batchSize);
  }

  // Example indices of every batch of `epoch`, in order.
  epochPlan(epoch: number): Int32Array[] {
    if (!Number.isInteger(epoch) || epoch < 0) throw new ValidationError(`epoch must be a non-negative integer, got ${epoch}`);
    if (epoch === this.cachedEpoch) return this.cachedPlan;
    const { shuffle, seed, bucketBatches, dropLast } = this.options;
    const random = mulberry32(streamSeed(seed, epoch));
    const order = Array.from({ length: this.dataset.size }, (_, i) => i);
    if (shuffle) shuffleInPlace(order, random);
    if (bucketBatches > 0) {
      const chunk = bucketBatches * this.batchSize;
      for (let start = 0; start < order.length; start += chunk) {
        const sorted = order.slice(start, start + chunk).map((index, rank) => ({ index, rank, length: exampleLength(this.dataset, index) }));
        sorted.sort((a, b) => b.length - a.length || a.rank - b.rank);
        sorted.forEach((item, k) => (order[start + k] = item.index));
      }
    }
    let plan: Int32Array[] = [];
    for (let start = 0; start < order.length; start += this.batchSize) {
      const rows = Int32Array.from(order.slice(start, start + this.batchSize));
      if (rows.length === this.batchSize || !dropLast) plan.push(rows);
    }
    if (shuffle && bucketBatches > 0) plan = shuffleInPlace(plan, random);
    this.cachedEpoch = epoch;
    this.cachedPlan = plan;
    return plan;
  }

  // Batch `batchIndex` of `epoch`; with `next`, the position a checkpoint saves after using it.
  batch(epoch: number, batchIndex: number): LoadedBatch {
    const plan = this.epochPlan(epoch);
    if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= plan.length) {
      throw new ValidationError(`batch index ${batchIndex} is outside 0..${plan.length - 1} of epoch ${epoch}`);
    }
    const indices = plan[batchIndex];
    const next = batchIndex + 1 < plan.length ? { epoch, batchIndex: batchIndex + 1 } : { epoch: epoch + 1, batchIndex: 0 };
    return { ...this.makeBatch(indices), indices, position: { epoch, batchIndex }, next };
  }

  // Batches from `from` to the end of epoch `endEpoch - 1`. A position at the end of an epoch starts the next.
  *batches(from: DataPosition, endEpoch: number): Generator<LoadedBatch> {
    const count = this.batchesPerEpoch();
    if (!Number.isInteger(from.epoch) || from.epoch < 0 || !Number.isInteger(from.batchIndex) || from.batchIndex < 0 || from.batchIndex > count) {
      throw new ValidationError(`data position {epoch: ${from.epoch}, batchIndex: ${from.batchIndex}} is outside 0..${count} batches per epoch`);
    }
    for (let epoch = from.epoch; epoch < endEpoch; epoch++) {
      for (let batchIndex = epoch === from.epoch ? from.batchIndex : 0; batchIndex < count; batchIndex++) yield this.batch(epoch, batchIndex);
    }
  }

  // Rows in the given order, padded to the batch's length (fixed or longest), with masks and token types.
  makeBatch(indices: ArrayLike<number>): { batch: Batch; labels: Int32Array } {
    const { tokens, tokenTypes, offsets, labels: allLabels } = this.dataset;
    const batchSize = indices.length;
    let seqLen = this.options.maxLength;
    if (this.options.padding === 'longest') {
      seqLen = 1;
      for (let r = 0; r < batchSize; r++) seqLen = Math.max(seqLen, exampleLength(this.dataset, indices[r]));
    }
    const inputIds = new Int32Array(batchSize * seqLen).fill(this.options.padTokenId);
    const attentionMask = new Int32Array(batchSize * seqLen);
    const tokenTypeIds = new Int32Array(batchSize * seqLen);
    const labels = new Int32Array(batchSize);
    for (let r = 0; r < batchSize; r++) {
      const index = indices[r];
      const start = offsets[index];
      const length = offsets[index + 1] - start;
      inputIds.set(tokens.subarray(start, start + length), r * seqLen);
      tokenTypeIds.set(tokenTypes.subarray(start, start + length), r * seqLen);
      attentionMask.fill(1, r * seqLen, r * seqLen + length);
      labels[r] = allLabels[index];
    }
    return { batch: { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen }, labels };
  }
}

// Evaluation/prediction view: every example once, in dataset order (or, with bucketing, sorted by length within
// chunks to cut padding; `indices` maps rows back to examples). Same padding options as training.
export interface EvaluationBatchView {
  readonly numExamples: number;
  runSettings(): Record<string, string | number | boolean>;
  numBatches(): number;
  batch(batchIndex: number): LoadedBatch;
}

// Inference over a whole dataset (evaluate, predict): every example once, and with padding 'longest' sorted by length
// (longest first, ties in dataset order), so that each batch holds similar lengths and pads little — real text
// varies widely in length (IMDb reviews from a few dozen tokens to past any max length), and in dataset order nearly
// every batch pads to its longest member. Each batch's `indices` maps its rows back to examples. With padding
// 'max_length' every batch has the same length and the order stays the dataset's.
export function inferenceBatches(dataset: EncodedDataset, options: Omit<BatchingOptions, 'shuffle' | 'seed' | 'dropLast' | 'bucketBatches'>): EvaluationBatchView {
  const sortAll = (options.padding ?? 'longest') === 'longest' && dataset.size > 0;
  return evaluationBatches(dataset, { ...options, bucketBatches: sortAll ? Math.ceil(dataset.size / options.batchSize) : 0 });
}

export function evaluationBatches(dataset: EncodedDataset, options: Omit<BatchingOptions, 'shuffle' | 'seed' | 'dropLast'>): EvaluationBatchView {
  const loader = new BatchLoader(dataset, { ...options, shuffle: false, dropLast: false });
  return {
    numExamples: dataset.size,
    runSettings: () => loader.runSettings(),
    numBatches: () => loader.batchesPerEpoch(),
    batch: (batchIndex) => loader.batch(0, batchIndex),
  };
}

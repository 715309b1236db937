// Batches over examples already tokenised in memory. The training view reorders the examples each epoch by a
// permutation drawn from (seed, epoch) alone, which is what makes (epoch, index) a complete data position for
// exact resume. Padding is dynamic (to the longest sequence of the batch) or fixed (to maxLength, the classic
// recipe's 256); both give the same logits since padded positions are masked out.

import { TrainingOptionsError } from '../errors';
import { EncodedBatch, EvaluationBatches, LabeledBatch, TrainingBatches } from './types';

export interface EncodedExample {
  inputIds: ArrayLike<number>; // with [CLS] ... [SEP], truncated, not padded
  tokenTypeIds?: ArrayLike<number>;
  label: number;
}

export interface BatchingOptions {
  batchSize: number;
  padding?: 'longest' | 'max'; // default 'longest'
  maxLength?: number; // needed for padding 'max'
  padTokenId?: number; // default 0
}

// mulberry32: a small, fast 32-bit generator; statistically fine for shuffling, and identical on every platform.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A permutation of 0..n-1 that depends only on (seed, epoch): Fisher-Yates driven by mulberry32.
export function epochPermutation(n: number, seed: number, epoch: number): Uint32Array {
  const next = mulberry32((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca77)) >>> 0);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export function collate(examples: readonly EncodedExample[], indices: ArrayLike<number>, o: BatchingOptions): LabeledBatch {
  const batchSize = indices.length;
  let seqLen = 0;
  for (let i = 0; i < batchSize; i++) seqLen = Math.max(seqLen, examples[indices[i]].inputIds.length);
  if (o.padding === 'max') {
    if (o.maxLength === undefined || seqLen > o.maxLength) {
      throw new TrainingOptionsError(`padding 'max' needs maxLength >= the longest example (${seqLen}), got ${o.maxLength}`);
    }
    seqLen = o.maxLength;
  }
  const inputIds = new Int32Array(batchSize * seqLen).fill(o.padTokenId ?? 0);
  const attentionMask = new Int32Array(batchSize * seqLen);
  const tokenTypeIds = new Int32Array(batchSize * seqLen);
  const labels = new Int32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const ex = examples[indices[b]];
    const row = b * seqLen;
    for (let t = 0; t < ex.inputIds.length; t++) {
      inputIds[row + t] = ex.inputIds[t];
      attentionMask[row + t] = 1;
      tokenTypeIds[row + t] = ex.tokenTypeIds ? ex.tokenTypeIds[t] : 0;
    }
    labels[b] = ex.label;
  }
  const batch: EncodedBatch = { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen };
  return { batch, labels };
}

function checkOptions(examples: readonly EncodedExample[], o: BatchingOptions): void {
  if (examples.length === 0) throw new TrainingOptionsError('no examples to batch');
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new TrainingOptionsError(`batchSize must be an integer >= 1, got ${o.batchSize}`);
}

// Shuffled each epoch; the last batch of an epoch may be smaller.
export function trainingBatches(examples: readonly EncodedExample[], o: BatchingOptions & { seed: number }): TrainingBatches {
  checkOptions(examples, o);
  let cached: { epoch: number; order: Uint32Array } | undefined;
  const orderOf = (epoch: number) => {
    if (cached?.epoch !== epoch) cached = { epoch, order: epochPermutation(examples.length, o.seed, epoch) };
    return cached.order;
  };
  const perEpoch = Math.ceil(examples.length / o.batchSize);
  return {
    numExamples: examples.length,
    batchesPerEpoch: () => perEpoch,
    batch(epoch: number, index: number): LabeledBatch {
      if (index < 0 || index >= perEpoch) throw new TrainingOptionsError(`batch index ${index} out of range 0..${perEpoch - 1}`);
      return collate(examples, orderOf(epoch).subarray(index * o.batchSize, (index + 1) * o.batchSize), o);
    },
  };
}

// In the given order.
export function evaluationBatches(examples: readonly EncodedExample[], o: BatchingOptions): EvaluationBatches {
  checkOptions(examples, o);
  const n = Math.ceil(examples.length / o.batchSize);
  return {
    numExamples: examples.length,
    numBatches: () => n,
    batch(index: number): LabeledBatch {
      if (index < 0 || index >= n) throw new TrainingOptionsError(`batch index ${index} out of range 0..${n - 1}`);
      const indices = Array.from({ length: Math.min(o.batchSize, examples.length - index * o.batchSize) }, (_, i) => index * o.batchSize + i);
      return collate(examples, indices, o);
    },
  };
}

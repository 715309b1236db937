// Batches of task items for the one training loop (lib/train/trainer.ts), and the evaluation every task shares.
// A task only says how items become a batch with labels in its head's layout (`collate`) and how outputs become
// metrics (a Scorer); ordering, determinism and resume are handled here once.

import { createHash } from 'node:crypto';
import { mulberry32, shuffleInPlace, streamSeed } from '../data/random';
import type { EvaluateOptions } from '../train/evaluate';
import type { Evaluator } from '../train/options';
import type { EncodedBatch, EvaluationBatches, ForwardOutput, LabeledBatch, RunSettings, TrainableModel, TrainingBatches } from '../train/types';

// Items → one batch. `key` (a seed derived from the run's seed, the epoch and the batch index) feeds whatever is
// random in the collation (masked-LM masks), so a batch is a function of (seed, epoch, index) and a resume is exact.
export type Collate<T> = (items: readonly T[], key: number) => LabeledBatch;

// Training batches: each epoch's order is a seeded shuffle that depends on the seed and the epoch only.
// The items' sets as a task describes them to the base: what they are, how a batch of them is made, their digest.
export interface TaskItems<T> {
  items: readonly T[];
  collate: Collate<T>;
  digest: string;
}

// A task's items with their own type, handed to the base (which only passes them back to their collate).
export function taskItems<T>(items: readonly T[], collate: Collate<T>, digest: string): TaskItems<unknown> {
  return { items, collate: collate as Collate<unknown>, digest };
}

// The frozen-layer cache's rows of a batch of items (./task-cache.ts): the input of the first trainable layer.
export type PrefixOf = (itemIndices: readonly number[], seqLen: number) => Float32Array;

function withPrefix(labeled: LabeledBatch, indices: readonly number[], prefix: PrefixOf | undefined): LabeledBatch {
  if (!prefix) return labeled;
  return { batch: { ...labeled.batch, prefixHidden: prefix(indices, labeled.batch.seqLen) } as LabeledBatch['batch'], labels: labeled.labels };
}

export function itemTrainingBatches<T>({ items, collate, digest }: TaskItems<T>, batchSize: number, seed: number, prefix?: PrefixOf): TrainingBatches {
  const perEpoch = Math.ceil(items.length / batchSize);
  const orders = new Map<number, number[]>();
  const order = (epoch: number): number[] => {
    let o = orders.get(epoch);
    if (!o) {
      o = shuffleInPlace([...items.keys()], mulberry32(streamSeed(seed, epoch)));
      orders.clear();
      orders.set(epoch, o);
    }
    return o;
  };
  return {
    numExamples: items.length,
    runSettings: (): RunSettings => ({ batchSize, shuffle: true, examplesSha256: digest, frozenCache: prefix !== undefined }),
    batchesPerEpoch: () => perEpoch,
    batch: (epoch, index) => {
      const picked = order(epoch).slice(index * batchSize, (index + 1) * batchSize);
      return withPrefix(collate(picked.map((i) => items[i]), streamSeed(streamSeed(seed, epoch), index + 1)), picked, prefix);
    },
  };
}

// Each row's real tokens (its attention mask's sum).
export function rowLengths(batch: EncodedBatch): number[] {
  return Array.from({ length: batch.batchSize }, (_, r) => {
    let length = 0;
    for (let t = 0; t < batch.seqLen; t++) length += batch.attentionMask[r * batch.seqLen + t];
    return length;
  });
}

// The item indices, longest item first (an item's longest row when batched alone), ties in item order.
function longestFirst<T>(items: readonly T[], toBatch: (items: readonly T[]) => EncodedBatch): number[] {
  const lengths = items.map((item) => Math.max(...rowLengths(toBatch([item]))));
  return [...items.keys()].sort((a, b) => lengths[b] - lengths[a] || a - b);
}

// Inference over items (predict, embed) in the evaluation's order, longest first: `use` gets each batch and the
// indices of its items, and puts each result in its item's place.
export async function forEachLongestFirst<T>(items: readonly T[], batchSize: number, toBatch: (items: readonly T[]) => EncodedBatch,
  use: (batch: EncodedBatch, items: readonly number[]) => Promise<void>): Promise<void> {
  const order = longestFirst(items, toBatch);
  for (let i = 0; i < order.length; i += batchSize) {
    const picked = order.slice(i, i + batchSize);
    await use(toBatch(picked.map((k) => items[k])), picked);
  }
}

// Evaluation batches longest item first (ties in item order), as lib/data's inferenceBatches: each batch pads to its
// longest item, and similar lengths pad little (sentence pairs, tagged sentences and questions vary widely). Each
// batch says which items it holds (LabeledBatch.items); collation keys depend on the batch index only (the same masks
// every evaluation).
export function itemEvaluationBatches<T>({ items, collate, digest }: TaskItems<T>, batchSize: number, prefix?: PrefixOf): EvaluationBatches {
  let order: number[] | undefined;
  const sorted = (): number[] => (order ??= longestFirst(items, (picked) => collate(picked, 0).batch));
  return {
    numExamples: items.length,
    runSettings: (): RunSettings => ({ batchSize, examplesSha256: digest, frozenCache: prefix !== undefined }),
    numBatches: () => Math.ceil(items.length / batchSize),
    batch: (index) => {
      const picked = sorted().slice(index * batchSize, (index + 1) * batchSize);
      return { ...withPrefix(collate(picked.map((i) => items[i]), streamSeed(0, index + 1)), picked, prefix), items: picked };
    },
  };
}

// A digest of the items' content, so a checkpoint resumed on other data is refused (lib/train/run-settings.ts).
export function itemsDigest(items: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const item of items) hash.update(JSON.stringify(item)).update('\n');
  return hash.digest('hex');
}

// Accumulates one evaluation: the outputs and labels of each batch (which items it holds: LabeledBatch.items); then
// the metrics.
export interface Scorer<M> {
  add(output: ForwardOutput, batch: LabeledBatch): void;
  result(): M;
}

// The loop's evaluator for a task: forward without dropout over every batch (with its labels, so the head's loss is
// reported as `loss`), fed to a fresh scorer.
export function taskEvaluator<M>(metricNames: readonly string[], defaultMetric: string, scorer: () => Scorer<M>, withLabels = true): Evaluator<M> {
  return {
    metricNames,
    defaultMetric,
    evaluate: (model, data, options) => scoreBatches(model, data, scorer(), options, withLabels),
  };
}

export async function scoreBatches<M>(model: TrainableModel, data: EvaluationBatches, scorer: Scorer<M>, options: EvaluateOptions, withLabels: boolean): Promise<M> {
  const total = data.numBatches();
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    const labeled = data.batch(i);
    const out = await model.forward(labeled.batch, { labels: withLabels ? labeled.labels : undefined, training: false });
    scorer.add(out, labeled);
    options.onProgress?.(i + 1, total);
  }
  return scorer.result();
}

// Mean of per-batch mean losses weighted by each batch's weight (its examples, or its labelled tokens).
export class LossMean {
  private sum = 0;
  private weight = 0;
  add(loss: number | undefined, weight: number): void {
    if (loss === undefined || weight === 0) return;
    this.sum += loss * weight;
    this.weight += weight;
  }
  get value(): number {
    return this.weight === 0 ? NaN : this.sum / this.weight;
  }
}

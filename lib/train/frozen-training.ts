// The training loop's view of a frozen-layer cache (./frozen-cache.ts): batches that carry the cached input of the
// first trainable layer, a model that starts from it, and the set-up fit() uses.

import type { BatchLoader, EncodedDataset, EvaluationBatchView } from '../data';
import type { Batch, NativeBert } from '../native';
import { FrozenCache, type FrozenCacheOptions } from './frozen-cache';
import { nativeRunSettings } from './run-settings';
import type { EncodedBatch, Labels, EvaluationBatches, ForwardOutput, LabeledBatch, RunSettings, StepHyper, TrainableModel, TrainingBatches } from './types';

// A batch that carries the cached input of the first trainable layer.
export interface PrefixedBatch extends EncodedBatch {
  prefixHidden: Float32Array;
}

function prefixOf(batch: EncodedBatch): Float32Array | undefined {
  return (batch as Partial<PrefixedBatch>).prefixHidden;
}

// The loader's batches (same order, same padding) with the cached prefix attached.
export function cachedTrainingBatches(loader: BatchLoader, cache: FrozenCache): TrainingBatches {
  return {
    numExamples: loader.numExamples,
    runSettings: () => ({ ...loader.runSettings(), ...cache.runSettings() }),
    batchesPerEpoch: () => loader.batchesPerEpoch(),
    batch: (epoch, index): LabeledBatch => {
      const { batch, labels, indices } = loader.batch(epoch, index);
      return { batch: { ...batch, prefixHidden: cache.assemble(indices, batch.seqLen) } as PrefixedBatch, labels };
    },
  };
}

export function cachedEvaluationBatches(view: EvaluationBatchView, cache: FrozenCache): EvaluationBatches {
  return {
    numExamples: view.numExamples,
    runSettings: () => ({ ...view.runSettings(), ...cache.runSettings() }),
    numBatches: () => view.numBatches(),
    batch: (index): LabeledBatch => {
      const { batch, labels, indices } = view.batch(index);
      return { batch: { ...batch, prefixHidden: cache.assemble(indices, batch.seqLen) } as PrefixedBatch, labels };
    },
  };
}

// The model as the training loop sees it: a batch that carries prefixHidden starts from it.
export class FrozenCacheModel implements TrainableModel {
  constructor(readonly model: NativeBert) {}

  runSettings(): RunSettings {
    return nativeRunSettings(this.model);
  }

  parameterNames(): string[] {
    return this.model.parameterNames();
  }
  isTrainable(name: string): boolean {
    return this.model.isTrainable(name);
  }
  getParameter(name: string): Float32Array {
    return this.model.getParameter(name);
  }
  setParameter(name: string, data: Float32Array): void {
    this.model.setParameter(name, data);
  }
  forward(batch: EncodedBatch, options: { labels?: Labels; training?: boolean; seed?: number; step?: number }): Promise<ForwardOutput> {
    return this.model.forward(batch as Batch, { ...options, prefixHidden: prefixOf(batch) });
  }
  trainStep(batch: EncodedBatch, labels: Labels, hyper: StepHyper): Promise<{ loss: number; gradNorm: number }> {
    return this.model.trainStep(batch as Batch, labels, hyper, { prefixHidden: prefixOf(batch) });
  }
  accumulateGradients(batch: EncodedBatch, labels: Labels, options: { scale: number; seed: number; step: number }): Promise<{ loss: number }> {
    return this.model.accumulateGradients(batch as Batch, labels, { ...options, prefixHidden: prefixOf(batch) });
  }
  applyOptimizer(hyper: StepHyper): Promise<{ gradNorm: number }> {
    return this.model.applyOptimizer(hyper);
  }
  getOptimizerState(): unknown {
    return this.model.getOptimizerState();
  }
  setOptimizerState(state: unknown): void {
    this.model.setOptimizerState(state as never);
  }
}

// fit's option: true (storage 'auto', dtype 'bf16') or the details.
export type CacheFrozenLayersOption = boolean | FrozenCacheOptions;

export interface FrozenTraining {
  model: TrainableModel;
  train: TrainingBatches;
  evaluation?: EvaluationBatches;
  caches: FrozenCache[];
  close(): void;
}

// Builds the caches of the training set and (unless evaluation: false) of the validation set, and the loop's view
// of model and data over them. close() frees them (and removes temporary files).
export async function prepareFrozenTraining(
  model: NativeBert,
  train: { loader: BatchLoader; ids: readonly string[] },
  evaluation: { view: EvaluationBatchView; dataset: EncodedDataset; ids: readonly string[] } | undefined,
  option: CacheFrozenLayersOption,
): Promise<FrozenTraining> {
  const options: FrozenCacheOptions = option === true ? {} : (option as FrozenCacheOptions);
  const caches: FrozenCache[] = [];
  const close = (): void => caches.forEach((c) => c.close());
  try {
    const trainCache = await FrozenCache.build(model, train.loader.dataset, train.ids, options);
    caches.push(trainCache);
    let evaluationBatches: EvaluationBatches | undefined;
    if (evaluation) {
      const evaluationCache = await FrozenCache.build(model, evaluation.dataset, evaluation.ids, options);
      caches.push(evaluationCache);
      evaluationBatches = cachedEvaluationBatches(evaluation.view, evaluationCache);
    }
    return { model: new FrozenCacheModel(model), train: cachedTrainingBatches(train.loader, trainCache), evaluation: evaluationBatches, caches, close };
  } catch (e) {
    close();
    throw e;
  }
}

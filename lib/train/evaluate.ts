// Evaluation: runs the model without dropout over fixed-order batches and accumulates classification metrics.

import { TrainingOptionsError } from '../errors';
import { ClassificationMetrics, MetricsAccumulator } from './metrics';
import { EvaluationBatches, TrainableModel } from './types';

export interface EvaluateOptions {
  /** Stops the evaluation (it then rejects with the abort reason). */
  signal?: AbortSignal;
  /** After each batch: batches done and in all (an evaluation of bert-base on the CPU takes minutes). */
  onProgress?: (done: number, total: number) => void;
}

export async function evaluateModel(
  model: TrainableModel,
  data: EvaluationBatches,
  labelNames: readonly string[],
  options: EvaluateOptions = {},
): Promise<ClassificationMetrics> {
  const metrics = new MetricsAccumulator(labelNames);
  const total = data.numBatches();
  for (let i = 0; i < total; i++) {
    options.signal?.throwIfAborted();
    const { batch, labels } = data.batch(i);
    // Sequence classification's single-label batches carry class indices; other layouts have their task's evaluator.
    if (!(labels instanceof Int32Array)) throw new TrainingOptionsError('evaluateModel scores class indices (Int32Array labels); give the task\'s evaluator');
    const out = await model.forward(batch, { labels, training: false });
    metrics.addLogits(out.logits, labels, out.loss);
    options.onProgress?.(i + 1, total);
  }
  return metrics.result();
}

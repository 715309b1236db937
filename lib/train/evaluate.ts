// Evaluation: runs the model without dropout over fixed-order batches and accumulates classification metrics.

import { ClassificationMetrics, MetricsAccumulator } from './metrics';
import { EvaluationBatches, TrainableModel } from './types';

export async function evaluateModel(
  model: TrainableModel,
  data: EvaluationBatches,
  labelNames: readonly string[],
  signal?: AbortSignal,
): Promise<ClassificationMetrics> {
  const metrics = new MetricsAccumulator(labelNames);
  for (let i = 0; i < data.numBatches(); i++) {
    signal?.throwIfAborted();
    const { batch, labels } = data.batch(i);
    const out = await model.forward(batch, { labels, training: false });
    metrics.addLogits(out.logits, labels, out.loss);
  }
  return metrics.result();
}

// Argument checks shared by the metrics: paired inputs of one length, not empty.

import { MetricInputError } from '../errors';

export function checkPaired(metric: string, predictions: ArrayLike<unknown>, references: ArrayLike<unknown>): void {
  if (predictions.length !== references.length) {
    throw new MetricInputError(`${metric}: ${predictions.length} predictions but ${references.length} references`);
  }
  if (predictions.length === 0) throw new MetricInputError(`${metric}: no predictions to score`);
}

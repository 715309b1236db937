// Classification metrics from predicted and true class indices: accuracy, per-class and macro precision /
// recall / F1, the confusion matrix and the mean loss. A class that is never predicted (or never present) has
// precision (or recall) 0 rather than NaN, as scikit-learn's `zero_division=0` does, so the macro averages stay
// defined on small or skewed evaluation sets.

import { TrainingOptionsError } from '../errors';

export interface ClassMetrics {
  /** Class name. */
  label: string;
  /** Share of the class's predictions that were right. */
  precision: number;
  /** Share of the class's examples found. */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
  /** examples whose true class is this one */
  support: number;
}

export interface ClassificationMetrics {
  /** Share of examples predicted right. */
  accuracy: number;
  /** macro average */
  precision: number;
  /** macro average */
  recall: number;
  /** macro average */
  f1: number;
  /** mean per example; NaN when no loss was recorded */
  loss: number;
  /** Precision, recall, F1 and support of each class, in label order. */
  perClass: ClassMetrics[];
  /** [true class][predicted class] */
  confusionMatrix: number[][];
  /** Examples evaluated. */
  count: number;
}

// Accumulates predictions batch by batch so an evaluation never holds all logits at once.
export class MetricsAccumulator {
  private readonly confusion: number[][];
  private lossSum = 0;
  private lossCount = 0;
  private count = 0;

  constructor(private readonly labelNames: readonly string[]) {
    if (labelNames.length < 2) throw new TrainingOptionsError(`a classifier needs at least 2 labels, got ${labelNames.length}`);
    this.confusion = labelNames.map(() => labelNames.map(() => 0));
  }

  // logits: [n, numLabels] row-major; batchLoss: mean loss over these n examples, when known.
  addLogits(logits: Float32Array, labels: Int32Array, batchLoss?: number): void {
    const k = this.labelNames.length;
    if (logits.length !== labels.length * k) {
      throw new TrainingOptionsError(`logits have ${logits.length} values, expected ${labels.length} x ${k}`);
    }
    const predicted = new Int32Array(labels.length);
    for (let i = 0; i < labels.length; i++) predicted[i] = argmax(logits, i * k, k);
    this.addPredictions(predicted, labels, batchLoss);
  }

  addPredictions(predicted: Int32Array, labels: Int32Array, batchLoss?: number): void {
    const k = this.labelNames.length;
    for (let i = 0; i < labels.length; i++) {
      const t = labels[i];
      const p = predicted[i];
      if (t < 0 || t >= k || p < 0 || p >= k) throw new TrainingOptionsError(`class index out of range 0..${k - 1}: true ${t}, predicted ${p}`);
      this.confusion[t][p]++;
    }
    this.count += labels.length;
    if (batchLoss !== undefined) {
      this.lossSum += batchLoss * labels.length;
      this.lossCount += labels.length;
    }
  }

  result(): ClassificationMetrics {
    const k = this.labelNames.length;
    let correct = 0;
    const perClass: ClassMetrics[] = [];
    for (let c = 0; c < k; c++) {
      correct += this.confusion[c][c];
      let predictedAsC = 0;
      let trulyC = 0;
      for (let o = 0; o < k; o++) {
        predictedAsC += this.confusion[o][c];
        trulyC += this.confusion[c][o];
      }
      const tp = this.confusion[c][c];
      const precision = predictedAsC === 0 ? 0 : tp / predictedAsC;
      const recall = trulyC === 0 ? 0 : tp / trulyC;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      perClass.push({ label: this.labelNames[c], precision, recall, f1, support: trulyC });
    }
    const mean = (f: (m: ClassMetrics) => number) => perClass.reduce((s, m) => s + f(m), 0) / k;
    return {
      accuracy: this.count === 0 ? 0 : correct / this.count,
      precision: mean((m) => m.precision),
      recall: mean((m) => m.recall),
      f1: mean((m) => m.f1),
      loss: this.lossCount === 0 ? NaN : this.lossSum / this.lossCount,
      perClass,
      confusionMatrix: this.confusion.map((row) => row.slice()),
      count: this.count,
    };
  }
}

export function argmax(values: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

// Softmax of one row of logits, computed in float64 with the max subtracted so large logits do not overflow.
export function softmaxRow(values: Float32Array, offset: number, length: number): number[] {
  let max = -Infinity;
  for (let j = 0; j < length; j++) max = Math.max(max, values[offset + j]);
  const exps: number[] = [];
  let sum = 0;
  for (let j = 0; j < length; j++) {
    const e = Math.exp(values[offset + j] - max);
    exps.push(e);
    sum += e;
  }
  return exps.map((e) => e / sum);
}

export type MetricName = 'accuracy' | 'precision' | 'recall' | 'f1' | 'loss';
export const METRIC_NAMES: readonly MetricName[] = ['accuracy', 'precision', 'recall', 'f1', 'loss'];

// Loss, perplexity and mean squared error improve downwards, every other metric upwards.
export function isImprovement(metric: MetricName | string, candidate: number, best: number | undefined, minDelta = 0): boolean {
  if (Number.isNaN(candidate)) return false;
  if (best === undefined) return true;
  return metric === 'loss' || metric === 'perplexity' || metric === 'mse' ? candidate < best - minDelta : candidate > best + minDelta;
}

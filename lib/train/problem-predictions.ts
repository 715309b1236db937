// One row of BertClassifier's logits as the prediction of its problem type: the softmax's top class (single-label),
// each class's sigmoid score and the classes over the threshold (multi-label), or the values (regression).

import type { ProblemTypeName } from './problem-type';
import { sigmoid } from './problem-metrics';
import { softmaxRow } from './metrics';

/** A single-label prediction. */
export interface Prediction {
  /** The most probable class. */
  label: string;
  /** Its index in the classifier's `labels`. */
  labelIndex: number;
  /** Softmax probability of every class, by name. */
  probabilities: Record<string, number>;
  /** Raw scores, in label order. */
  logits: number[];
}

/** A multi-label prediction. */
export interface MultiLabelPrediction {
  /** The classes whose score is over the classifier's `threshold`, in label order (possibly none). */
  labels: string[];
  /** Sigmoid score of every class, by name (independent: they need not sum to 1). */
  scores: Record<string, number>;
  /** Raw scores, in label order. */
  logits: number[];
}

/** A regression prediction. */
export interface RegressionPrediction {
  /** The (first) output: the predicted value. */
  value: number;
  /** Every output (`numOutputs` of them; one by default). */
  values: number[];
}

export type AnyPrediction = Prediction | MultiLabelPrediction | RegressionPrediction;

/** What predict() returns per text for each problem type. */
export type PredictionFor<P extends ProblemTypeName> =
  P extends 'multi_label' ? MultiLabelPrediction : P extends 'regression' ? RegressionPrediction : Prediction;

export function toPrediction(problem: ProblemTypeName, logits: Float32Array, row: number, labels: readonly string[], threshold: number): AnyPrediction {
  const k = labels.length;
  const raw = Array.from(logits.subarray(row * k, (row + 1) * k));
  if (problem === 'regression') return { value: raw[0], values: raw };
  if (problem === 'multi_label') {
    const scores = raw.map(sigmoid);
    return { labels: labels.filter((_, c) => scores[c] > threshold), scores: Object.fromEntries(labels.map((l, c) => [l, scores[c]])), logits: raw };
  }
  const p = softmaxRow(logits, row * k, k);
  let best = 0;
  for (let c = 1; c < k; c++) if (p[c] > p[best]) best = c;
  return { label: labels[best], labelIndex: best, probabilities: Object.fromEntries(labels.map((l, c) => [l, p[c]])), logits: raw };
}

// What explain() and the attention report show beside the attention: single-label, the top class and the
// probabilities; multi-label, the top-scoring class and every class's sigmoid score; regression, the output's name
// and its value (under `probabilities`, which the report prints beside each name).
export function explainedVerdict(prediction: AnyPrediction, labels: readonly string[]): { predicted: string; probabilities: Record<string, number> } {
  if ('value' in prediction) return { predicted: labels[0], probabilities: Object.fromEntries(labels.map((l, c) => [l, prediction.values[c]])) };
  if ('scores' in prediction) {
    const top = labels.reduce((a, b) => (prediction.scores[b] > prediction.scores[a] ? b : a));
    return { predicted: top, probabilities: prediction.scores };
  }
  return { predicted: prediction.label, probabilities: prediction.probabilities };
}

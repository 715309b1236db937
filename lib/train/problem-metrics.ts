// BertClassifier's metrics for multi-label and regression problems (single-label keeps ./metrics.ts), computed as
// the references do: sklearn's multi-label scores on the decisions at the threshold (lib/metrics/multilabel.ts),
// scipy's Pearson and Spearman and the mean squared error on the values (lib/metrics/correlation.ts); and the
// loop's evaluator that reports them under those names.

import { multiLabelScores, pearson, spearman } from '../metrics';
import { LossMean, taskEvaluator, type Scorer } from '../tasks/task-batches';
import type { Evaluator } from './options';

/** One class's scores on multi-label data. */
export interface MultiLabelClassMetrics {
  /** Class name. */
  label: string;
  /** Share of the class's predictions that were right. */
  precision: number;
  /** Share of the class's examples found. */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
  /** Examples that have the class. */
  support: number;
}

/** Multi-label metrics, as sklearn computes them on the decisions `score > threshold`. */
export interface MultiLabelMetrics {
  /** Subset accuracy: the share of examples whose every class decision is right. */
  accuracy: number;
  /** Micro-averaged precision (every class decision pooled). */
  precision: number;
  /** Micro-averaged recall. */
  recall: number;
  /** Micro-averaged F1: what transformers' run_classification.py reports as `f1` for multi-label. */
  f1: number;
  /** Unweighted mean of the classes' F1. */
  f1_macro: number;
  /** Mean binary cross-entropy per class decision (the head's loss); NaN when none was recorded. */
  loss: number;
  /** Each class, in label order. */
  perClass: MultiLabelClassMetrics[];
  /** Examples evaluated. */
  count: number;
}

/** Regression metrics over every output value (one per example by default). */
export interface RegressionMetrics {
  /** Mean squared error. */
  mse: number;
  /** Pearson's correlation of predictions and references (scipy.stats.pearsonr). */
  pearson: number;
  /** Spearman's rank correlation (scipy.stats.spearmanr). */
  spearmanr: number;
  /** The head's loss (mean squared error, as the engine computes it); NaN when none was recorded. */
  loss: number;
  /** Examples evaluated. */
  count: number;
}

/** The metrics that may pick the best model and drive early stopping, by problem type; the first is the default. */
export const MULTI_LABEL_METRIC_NAMES = ['f1', 'f1_macro', 'accuracy', 'precision', 'recall', 'loss'] as const;
export const REGRESSION_METRIC_NAMES = ['mse', 'pearson', 'spearmanr', 'loss'] as const;

// Decisions at probability `threshold` are decisions at logit log(t / (1 - t)); comparing probabilities keeps the
// rule the user wrote (sigmoid(x) > t) without a second rounding.
export function multiLabelScorer(labels: readonly string[], threshold: number): Scorer<MultiLabelMetrics> {
  const k = labels.length;
  const predictions: number[] = [];
  const references: number[] = [];
  const loss = new LossMean();
  return {
    add: (out, { batch, labels: targets }) => {
      for (let i = 0; i < batch.batchSize * k; i++) {
        predictions.push(sigmoid(out.logits[i]) > threshold ? 1 : 0);
        references.push(targets[i]);
      }
      loss.add(out.loss, batch.batchSize);
    },
    result: () => {
      const s = multiLabelScores(predictions, references, k);
      return {
        accuracy: s.accuracy,
        precision: s.precision,
        recall: s.recall,
        f1: s.f1,
        f1_macro: s.f1Macro,
        loss: loss.value,
        perClass: s.perClass.map((c, j) => ({ label: labels[j], ...c })),
        count: predictions.length / k,
      };
    },
  };
}

export function regressionScorer(width: number): Scorer<RegressionMetrics> {
  const predictions: number[] = [];
  const references: number[] = [];
  const loss = new LossMean();
  return {
    add: (out, { batch, labels: targets }) => {
      for (let i = 0; i < batch.batchSize * width; i++) {
        predictions.push(out.logits[i]);
        references.push(targets[i]);
      }
      loss.add(out.loss, batch.batchSize);
    },
    result: () => {
      let squared = 0;
      predictions.forEach((p, i) => (squared += (p - references[i]) ** 2));
      return {
        mse: squared / predictions.length,
        pearson: pearson(predictions, references),
        spearmanr: spearman(predictions, references),
        loss: loss.value,
        count: predictions.length / width,
      };
    },
  };
}

export function multiLabelEvaluator(labels: readonly string[], threshold: number): Evaluator<MultiLabelMetrics> {
  return taskEvaluator(MULTI_LABEL_METRIC_NAMES, MULTI_LABEL_METRIC_NAMES[0], () => multiLabelScorer(labels, threshold));
}

export function regressionEvaluator(width: number): Evaluator<RegressionMetrics> {
  return taskEvaluator(REGRESSION_METRIC_NAMES, REGRESSION_METRIC_NAMES[0], () => regressionScorer(width));
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

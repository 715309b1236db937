// Multi-label classification metrics as scikit-learn computes them on 0/1 indicator matrices [n, k]: subset
// accuracy (accuracy_score: a row counts only when every class decision is right), micro-averaged precision, recall
// and F1 (every class decision pooled: what transformers' run_classification.py reports as `f1` for multi-label),
// macro F1 (the unweighted mean over the k classes) and each class's scores. A class never predicted (or never
// present) scores 0 there, as sklearn's zero_division=0 does.

import { MetricInputError } from '../errors';

/** One class's scores among the k of a multi-label problem. */
export interface MultiLabelClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Rows where the class is present. */
  support: number;
}

/** Multi-label scores over n rows of k class decisions. */
export interface MultiLabelScores {
  /** Subset accuracy: the share of rows whose k decisions are all right. */
  accuracy: number;
  /** Micro-averaged precision, recall and F1 (every decision pooled). */
  precision: number;
  recall: number;
  f1: number;
  /** Unweighted mean of the classes' F1. */
  f1Macro: number;
  /** Each class, in column order. */
  perClass: MultiLabelClassScores[];
}

// predictions and references: row-major [n, k] of 0/1.
export function multiLabelScores(predictions: ArrayLike<number>, references: ArrayLike<number>, k: number): MultiLabelScores {
  // sklearn reads one column as binary classification (its micro F1 then pools both classes): not this metric.
  if (!Number.isInteger(k) || k < 2) throw new MetricInputError(`multi-label scores: ${k} classes; need 2 or more`);
  if (predictions.length !== references.length || predictions.length % k !== 0) {
    throw new MetricInputError(`multi-label scores: ${predictions.length} predictions and ${references.length} references are not both n x ${k}`);
  }
  const n = predictions.length / k;
  if (n === 0) throw new MetricInputError('multi-label scores: no predictions to score');
  const tp = new Array<number>(k).fill(0);
  const fp = new Array<number>(k).fill(0);
  const fn = new Array<number>(k).fill(0);
  let exact = 0;
  for (let r = 0; r < n; r++) {
    let rowRight = true;
    for (let c = 0; c < k; c++) {
      const p = predictions[r * k + c];
      const t = references[r * k + c];
      if ((p !== 0 && p !== 1) || (t !== 0 && t !== 1)) throw new MetricInputError(`multi-label scores: row ${r} class ${c} is not a 0/1 decision`);
      if (p === 1 && t === 1) tp[c]++;
      else if (p === 1) fp[c]++;
      else if (t === 1) fn[c]++;
      if (p !== t) rowRight = false;
    }
    if (rowRight) exact++;
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const perClass = tp.map((t, c) => ({
    precision: ratio(t, t + fp[c]),
    recall: ratio(t, t + fn[c]),
    f1: ratio(2 * t, 2 * t + fp[c] + fn[c]),
    support: t + fn[c],
  }));
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const [TP, FP, FN] = [sum(tp), sum(fp), sum(fn)];
  return {
    accuracy: exact / n,
    precision: ratio(TP, TP + FP),
    recall: ratio(TP, TP + FN),
    f1: ratio(2 * TP, 2 * TP + FP + FN),
    f1Macro: sum(perClass.map((s) => s.f1)) / k,
    perClass,
  };
}

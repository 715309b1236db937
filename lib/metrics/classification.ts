// Classification metrics as scikit-learn computes them (the ones transformers' run_glue reports through
// evaluate's "glue" metric): accuracy, F1 (binary with positive class 1, or macro over every label seen) and
// Matthews' correlation coefficient (multiclass, from the confusion matrix). Labels are class indices.

import { MetricInputError } from '../errors';
import { checkPaired } from './check';

export function accuracy(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  checkPaired('accuracy', predictions, references);
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === references[i]) correct++;
  return correct / predictions.length;
}

export interface F1Options {
  // 'binary' (default, sklearn's default): F1 of the class `positiveLabel`; at most two labels may occur.
  // 'macro': the unweighted mean of every label's F1, over the labels present in predictions or references.
  average?: 'binary' | 'macro';
  positiveLabel?: number;
}

export function f1Score(predictions: ArrayLike<number>, references: ArrayLike<number>, options: F1Options = {}): number {
  checkPaired('f1', predictions, references);
  const average = options.average ?? 'binary';
  const labels = [...new Set([...Array.from(references), ...Array.from(predictions)])].sort((a, b) => a - b);
  if (average === 'binary') {
    if (labels.length > 2) {
      throw new MetricInputError(`f1: average 'binary' needs at most two labels, got [${labels.join(', ')}]; use 'macro'`);
    }
    const positive = options.positiveLabel ?? 1;
    // sklearn refuses a positive class that is not among two labels present (a 0/2 task has no class 1).
    if (labels.length === 2 && !labels.includes(positive)) {
      throw new MetricInputError(`f1: positive label ${positive} is not one of the labels present [${labels.join(', ')}]`);
    }
    return classF1(predictions, references, positive);
  }
  if (average !== 'macro') throw new MetricInputError(`f1: average must be 'binary' or 'macro', got ${String(average)}`);
  let sum = 0;
  for (const label of labels) sum += classF1(predictions, references, label);
  return sum / labels.length;
}

// F1 = 2tp / (2tp + fp + fn), 0 where the class is neither predicted nor present (sklearn's zero_division=0).
function classF1(predictions: ArrayLike<number>, references: ArrayLike<number>, label: number): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < predictions.length; i++) {
    const predicted = predictions[i] === label;
    const actual = references[i] === label;
    if (predicted && actual) tp++;
    else if (predicted) fp++;
    else if (actual) fn++;
  }
  const denominator = 2 * tp + fp + fn;
  return denominator === 0 ? 0 : (2 * tp) / denominator;
}

// sklearn's matthews_corrcoef: from the confusion matrix's row sums t, column sums p, trace c and size n,
// (c·n − t·p) / sqrt((n² − p·p)(n² − t·t)); 0 where either factor is 0 (one class only).
export function matthewsCorrelation(predictions: ArrayLike<number>, references: ArrayLike<number>): number {
  checkPaired('matthews_correlation', predictions, references);
  const trueCounts = new Map<number, number>();
  const predCounts = new Map<number, number>();
  let correct = 0;
  const n = predictions.length;
  for (let i = 0; i < n; i++) {
    trueCounts.set(references[i], (trueCounts.get(references[i]) ?? 0) + 1);
    predCounts.set(predictions[i], (predCounts.get(predictions[i]) ?? 0) + 1);
    if (predictions[i] === references[i]) correct++;
  }
  let tp = 0;
  let pp = 0;
  let tt = 0;
  for (const [label, t] of trueCounts) {
    tp += t * (predCounts.get(label) ?? 0);
    tt += t * t;
  }
  for (const p of predCounts.values()) pp += p * p;
  const covPredPred = n * n - pp;
  const covTrueTrue = n * n - tt;
  if (covPredPred * covTrueTrue === 0) return 0;
  return (correct * n - tp) / Math.sqrt(covTrueTrue * covPredPred);
}

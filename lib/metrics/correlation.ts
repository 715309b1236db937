// Pearson's and Spearman's correlation as scipy.stats computes them (run_glue reports both for STS-B). Spearman's
// is Pearson's over ranks, ties sharing their average rank. A constant input has no correlation: NaN, as scipy
// returns (with a warning) there.

import { MetricInputError } from '../errors';
import { checkPaired } from './check';

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired('pearson', x, y);
  if (x.length < 2) throw new MetricInputError('pearson: needs at least two pairs');
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new MetricInputError(`pearson: pair ${i} is not finite`);
    meanX += x[i];
    meanY += y[i];
  }
  // scipy checks for a constant input before any arithmetic (a mean of equal values can be off by an ulp).
  if (isConstant(x) || isConstant(y)) return NaN;
  meanX /= n;
  meanY /= n;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - meanX;
    const dy = y[i] - meanY;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  // Rounding can push |r| a hair past 1 for perfectly correlated inputs; scipy clips the same way.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired('spearmanr', x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

// scipy.stats.rankdata(method='average'): 1-based ranks, a run of equal values all get the mean of their ranks.
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

// Train/validation split with a seed. The classic recipe: 5,000 of IMDb's 25,000 training reviews held out for
// validation with seed 1234, leaving 20,000 to train on.
//
// Plain split: shuffle the indices 0..n-1 with mulberry32(seed) (Fisher–Yates, see random.ts); the first
// `validationSize` shuffled examples are the validation set, the rest the training set, both in shuffled order.
// Stratified split: each class keeps its share. Class c (n_c examples) gets floor(count * n_c / n) validation
// places, plus one for the classes with the largest remainders until the places add up to `count`; the classes
// (ascending label, examples in input order) are shuffled one after another with the same generator, their first
// places go to validation, and each set is then shuffled once more with it so the classes are interleaved.
// The result depends only on the input order, which the readers make canonical.

import { ValidationError } from '../errors';
import { mulberry32, shuffleInPlace, type Random } from './random';

export interface SplitOptions {
  // Examples in the validation set: a count, or a fraction of the input in (0, 1).
  validationSize: number;
  seed?: number;
  stratified?: boolean;
}

export const CLASSIC_SPLIT: Required<SplitOptions> = { validationSize: 5000, seed: 1234, stratified: false };

export function splitTrainValidation<T extends { label: number }>(examples: readonly T[], options: SplitOptions = CLASSIC_SPLIT): { train: T[]; validation: T[] } {
  const n = examples.length;
  const { validationSize } = options;
  const count = validationSize > 0 && validationSize < 1 ? Math.round(validationSize * n) : validationSize;
  if (!Number.isInteger(count) || count < 0 || count > n) {
    throw new ValidationError(`validationSize ${validationSize} must be a fraction in (0, 1) or a whole count in 0..${n}`);
  }
  const random = mulberry32(options.seed ?? CLASSIC_SPLIT.seed);
  const indices = options.stratified ? stratifiedOrder(examples, count, random) : shuffleInPlace([...examples.keys()], random);
  const validation = indices.slice(0, count).map((i) => examples[i]);
  const train = indices.slice(count).map((i) => examples[i]);
  if (options.stratified) {
    shuffleInPlace(validation, random);
    shuffleInPlace(train, random);
  }
  return { train, validation };
}

// Validation indices first (count of them), then the training indices.
function stratifiedOrder(examples: readonly { label: number }[], count: number, random: Random): number[] {
  const byLabel = new Map<number, number[]>();
  examples.forEach((example, i) => {
    const group = byLabel.get(example.label);
    if (group) group.push(i);
    else byLabel.set(example.label, [i]);
  });
  const groups = [...byLabel.entries()].sort((a, b) => a[0] - b[0]).map(([, indices]) => indices);
  const exact = groups.map((g) => (count * g.length) / examples.length);
  const quota = exact.map(Math.floor);
  // Largest remainder: the places rounding left over go to the classes with the biggest fractional parts
  // (ties to the lower label), so the quotas add up to `count` exactly.
  const byRemainder = exact.map((x, c) => [x - quota[c], c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < count - quota.reduce((s, q) => s + q, 0); k++) quota[byRemainder[k][1]]++;
  const validation: number[] = [];
  const train: number[] = [];
  groups.forEach((group, c) => {
    shuffleInPlace(group, random);
    validation.push(...group.slice(0, quota[c]));
    train.push(...group.slice(quota[c]));
  });
  return [...validation, ...train];
}

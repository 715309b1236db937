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
  const quota = stratifiedQuotas(groups.map((g) => g.length), count);
  const validation: number[] = [];
  const train: number[] = [];
  groups.forEach((group, c) => {
    shuffleInPlace(group, random);
    validation.push(...group.slice(0, quota[c]));
    train.push(...group.slice(quota[c]));
  });
  return [...validation, ...train];
}

// How many of `count` places each class gets when classes of these sizes keep their shares: floor of the exact
// share, then the places rounding left over to the largest fractional parts (ties to the lower class), so the
// quotas add up to `count` exactly.
export function stratifiedQuotas(classSizes: readonly number[], count: number): number[] {
  const total = classSizes.reduce((s, n) => s + n, 0);
  const exact = classSizes.map((n) => (total === 0 ? 0 : (count * n) / total));
  const quota = exact.map(Math.floor);
  const byRemainder = exact.map((x, c) => [x - quota[c], c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < count - quota.reduce((s, q) => s + q, 0); k++) quota[byRemainder[k][1]]++;
  return quota;
}

// A seeded sample of `count` examples in which every class keeps its share (the validation side of a stratified
// split); all of them when there are no more than `count`. Limited evaluation sets are drawn this way: the first
// `count` of a list sorted by class would hold one class only.
export function stratifiedSample<T extends { label: number }>(examples: readonly T[], count: number, seed: number): T[] {
  if (count >= examples.length) return [...examples];
  return splitTrainValidation(examples, { validationSize: count, seed, stratified: true }).validation;
}

// The labels (indices into `labels`) with no example in the set, by name: what a report must say about a set that
// cannot measure every class.
export function missingClasses(examples: readonly { label: number }[], labels: readonly string[]): string[] {
  const present = new Set(examples.map((e) => e.label));
  return labels.filter((_, i) => !present.has(i));
}

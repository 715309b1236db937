import { ValidationError } from '../../lib/errors';
import { CLASSIC_SPLIT, mulberry32, shuffleInPlace, splitTrainValidation, streamSeed } from '../../lib/data';

// Reference values from an independent Python re-implementation of the algorithms documented in
// lib/data/random.ts and lib/data/split.ts (exact: the generators work on 32-bit integers and
// the floats are k / 2^32, both exact in a double).
describe('seeded randomness', () => {
  it('matches the documented mulberry32, streamSeed and Fisher–Yates', () => {
    const random = mulberry32(1234);
    expect([random(), random(), random()]).toEqual([0.07329497812315822, 0.7034119898453355, 0.9028560190927237]);
    expect([streamSeed(1234, 0), streamSeed(1234, 1), streamSeed(0, 5)]).toEqual([254590987, 1889054206, 1215922603]);
    expect(shuffleInPlace([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], mulberry32(7))).toEqual([6, 5, 8, 1, 2, 3, 4, 7, 9, 0]);
  });
});

describe('splitTrainValidation', () => {
  // 25,000 examples like IMDb's training split: 12,500 neg then 12,500 pos.
  const examples = Array.from({ length: 25000 }, (_, i) => ({ i, label: i < 12500 ? 0 : 1 }));

  it('makes the classic 20,000 / 5,000 split with seed 1234, identical to the reference', () => {
    const { train, validation } = splitTrainValidation(examples, CLASSIC_SPLIT);
    expect([train.length, validation.length]).toEqual([20000, 5000]);
    expect(validation.slice(0, 5).map((e) => e.i)).toEqual([5896, 9401, 18751, 1819, 23347]);
    expect(train.slice(0, 5).map((e) => e.i)).toEqual([16892, 22991, 6759, 23276, 10580]);
    const seen = new Set([...train, ...validation].map((e) => e.i));
    expect(seen.size).toBe(25000);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const a = splitTrainValidation(examples, { validationSize: 0.2, seed: 99 });
    const b = splitTrainValidation(examples, { validationSize: 0.2, seed: 99 });
    const c = splitTrainValidation(examples, { validationSize: 0.2, seed: 100 });
    expect(a.validation.map((e) => e.i)).toEqual(b.validation.map((e) => e.i));
    expect(a.validation.map((e) => e.i)).not.toEqual(c.validation.map((e) => e.i));
    expect(a.validation).toHaveLength(5000);
  });

  it('stratifies: each class keeps its share exactly, with largest-remainder rounding', () => {
    const { train, validation } = splitTrainValidation(examples, { ...CLASSIC_SPLIT, stratified: true });
    expect(validation.filter((e) => e.label === 1)).toHaveLength(2500);
    expect(train.filter((e) => e.label === 1)).toHaveLength(10000);
    // Both classes interleaved, not one block after the other.
    expect(new Set(validation.slice(0, 20).map((e) => e.label)).size).toBe(2);
    // 3 classes of 5, 3, 2 examples, 5 places: exact shares 2.5, 1.5, 1 → 3, 1, 1 (ties go to the lower label).
    const small = [...Array(5).fill(0), ...Array(3).fill(1), ...Array(2).fill(2)].map((label, i) => ({ i, label }));
    const counts = [0, 1, 2].map((c) => splitTrainValidation(small, { validationSize: 5, seed: 1, stratified: true }).validation.filter((e) => e.label === c).length);
    expect(counts).toEqual([3, 1, 1]);
  });

  it('rejects impossible sizes', () => {
    for (const validationSize of [-1, 25001, 2.5, NaN]) {
      expect(() => splitTrainValidation(examples, { validationSize })).toThrow(ValidationError);
    }
  });
});

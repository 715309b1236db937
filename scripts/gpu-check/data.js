// Seeded test data and the error measure shared by the CUDA checks: the jest suite (test/cuda) and the plain-node
// scripts in this folder, so both compare the same inputs the same way.
'use strict';

// mulberry32, the same sequence as lib/data/random.ts (written again here: these scripts run where no TypeScript is
// built), so every run draws the same data.
function generator(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// n floats uniform in [-scale, scale).
function randomFloats(n, seed, scale = 1) {
  const next = generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = (2 * next() - 1) * scale;
  return out;
}

// n ints uniform in [0, max).
function randomInts(n, max, seed) {
  const next = generator(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; ++i) out[i] = Math.floor(next() * max);
  return out;
}

// max |actual - expected| / max |expected|: the error relative to the tensor's scale, so elements near zero (where a
// relative error means nothing) do not dominate. 0 means bit-identical up to the sign of zero; NaN on one side only
// is Infinity.
function normalizedMaxError(actual, expected) {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} != ${expected.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; ++i) {
    if (Number.isNaN(actual[i]) !== Number.isNaN(expected[i])) return Infinity;
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

// |actual - expected| / |expected|, for scalars such as a loss or a gradient norm.
function relativeError(actual, expected) {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
}

// The largest magnitude of a tensor: where the exact value is 0, both sides hold only rounding noise of this size.
function maxAbs(values) {
  return values.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

module.exports = { generator, randomFloats, randomInts, normalizedMaxError, relativeError, maxAbs };

// Shared by the CUDA suite: whether a usable GPU and CUDA build are present (lib/native/cuda.ts probes the CUDA
// addon in a child process), a describe() that skips, saying why, where they are not, seeded test data and the
// error measure every comparison uses.
import { cudaAvailability, loadCudaAddon, CudaAddon } from '../../lib/native/cuda';

export const availability = cudaAvailability();

// Runs `body` when CUDA is usable; otherwise registers one skipped test whose name carries the reason, so the
// skip and its cause show in jest's output (e.g. "bertnode was built without CUDA ..." or "no usable CUDA device:
// CUDA driver version is insufficient for CUDA runtime version").
export function describeCuda(name: string, body: (addon: CudaAddon) => void): void {
  if (availability.available) {
    describe(name, () => body(loadCudaAddon()));
  } else {
    // jest prints nothing for a suite whose tests are all skipped, so the reason also goes straight to stderr.
    process.stderr.write(`[bertnode CUDA suite] "${name}" skipped: ${availability.reason}\n`);
    describe(name, () => {
      test.skip(`skipped, no GPU to run on: ${availability.reason}`, () => undefined);
    });
  }
}

// mulberry32: a small seeded generator, so every run draws the same test data.
export function generator(seed: number): () => number {
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
export function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const next = generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; ++i) out[i] = (2 * next() - 1) * scale;
  return out;
}

// n ints uniform in [0, max).
export function randomInts(n: number, max: number, seed: number): Int32Array {
  const next = generator(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; ++i) out[i] = Math.floor(next() * max);
  return out;
}

// max |actual - expected| / max |expected|: the error relative to the tensor's scale, so elements near zero
// (where a relative error means nothing) do not dominate. 0 means bit-identical up to the sign of zero.
export function normalizedMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
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

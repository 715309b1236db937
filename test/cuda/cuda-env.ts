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

// Seeded data and the error measure, shared with the plain-node GPU scripts (scripts/gpu-check/data.js, plain JS
// so it runs where there is no npm; required rather than imported for that reason).
const data = require('../../scripts/gpu-check/data.js') as {
  generator(seed: number): () => number;
  randomFloats(n: number, seed: number, scale?: number): Float32Array;
  randomInts(n: number, max: number, seed: number): Int32Array;
  normalizedMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number;
  relativeError(actual: number, expected: number): number;
  maxAbs(values: Float32Array): number;
};

// mulberry32 seeded uniform [0, 1) generator.
export const generator = data.generator;
// n floats uniform in [-scale, scale).
export const randomFloats = data.randomFloats;
// n ints uniform in [0, max).
export const randomInts = data.randomInts;
// max |actual - expected| / max |expected| (0: bit-identical; Infinity: NaN on one side only).
export const normalizedMaxError = data.normalizedMaxError;
// |actual - expected| / |expected|, for scalars (loss, gradient norm).
export const relativeError = data.relativeError;
// The largest magnitude of a tensor (the size of rounding noise where the exact value is 0).
export const maxAbs = data.maxAbs;

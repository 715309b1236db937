// Test-side view of the addon's `kernels` binding (native/addon/kernels_binding.cpp) and a float64 reference GEMM.
import * as path from 'path';

export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  a: Float32Array;
  lda: number;
  b: Float32Array;
  ldb: number;
  beta: number;
  c: Float32Array;
  ldc: number;
  isa?: string;
}

export interface BatchedGemmArgs extends GemmArgs {
  strideA: number;
  strideB: number;
  strideC: number;
  batch: number;
}

export interface KernelsBinding {
  sgemm(args: GemmArgs): void;
  sgemmStridedBatched(args: BatchedGemmArgs): void;
  gemmIsas(): string[];
  gemmBf16Isas(): string[];
  gemmBf16Available(): boolean;
  gemmActiveIsa(): string;
  gemmActiveIsa(precision: 'fp32' | 'bf16'): string | null;
}

export function loadKernels(): KernelsBinding {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require('node-gyp-build')(path.resolve(__dirname, '..', '..')) as { kernels: KernelsBinding };
  return addon.kernels;
}

// Deterministic uniform values in [-1, 1) (xorshift32), so a failure reproduces.
export function randomFloats(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = s / 2147483648 - 1;
  }
  return out;
}

// Expected C in float64 and, per element, the float32 error bound of computing it: a length-K dot product
// accumulated in float32 (in any order, with or without FMA) is within K*u*sum|a*b| of the exact value
// (u = 2^-24, the unit roundoff; Higham, "Accuracy and Stability of Numerical Algorithms", 3.1), and the final
// alpha/beta update adds a few more roundings. (K + 4) * u covers both; a wrong index or a missed term errs by
// O(|a*b|), far above it.
export function referenceGemm(args: GemmArgs, c0: Float32Array): { expected: Float64Array; bound: Float64Array } {
  const { transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, ldc } = args;
  const u = 2 ** -24;
  // op(A) as rows and op(B) as columns, both contiguous along k, so the dot products below are plain loops.
  const rowsA = new Float64Array(m * k);
  const colsB = new Float64Array(n * k);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) rowsA[i * k + p] = transA ? a[p * lda + i] : a[i * lda + p];
  }
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) colsB[j * k + p] = transB ? b[j * ldb + p] : b[p * ldb + j];
  }
  const expected = new Float64Array(m * n);
  const bound = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      let magnitude = 0;
      for (let p = 0, x = i * k, y = j * k; p < k; p++, x++, y++) {
        const product = rowsA[x] * colsB[y];
        sum += product;
        magnitude += Math.abs(product);
      }
      const old = beta === 0 ? 0 : beta * c0[i * ldc + j];
      expected[i * n + j] = alpha * sum + old;
      bound[i * n + j] = (k + 4) * u * (Math.abs(alpha) * magnitude + Math.abs(old)) + 1e-30;
    }
  }
  return { expected, bound };
}

// The GEMMs in TF32 and bf16 (tensor cores, fp32 accumulation) against the CPU's fp32, on BERT-like shapes.
//
// Tolerances (normalizedMaxError, max abs difference / max abs reference):
//   fp32  1e-5   summation order only (K * 2^-24 relative, K = 768 -> ~5e-5 worst case, ~1e-6 typical for random data);
//   bf16  1e-2   each input rounded to an 8-bit mantissa (2^-8 = 3.9e-3 per factor); the errors of a K-term dot
//                product partly cancel: test/cuda-emulation measures 2.0-2.6e-3 for gemm.cu's bf16 path on random
//                data (round-to-nearest-even inputs, exact sums), so 1e-2 leaves a 4x margin for fp32 accumulation;
//   TF32  2e-3   three more mantissa bits than bf16 (2^-11 per factor): about 8x smaller than bf16, same margin.
import { loadCudaTestAddon } from './backend-ops';
import { describeCuda, normalizedMaxError, randomFloats } from './cuda-env';

const M = 128;
const N = 768;
const K = 768;

describeCuda('CUDA GEMM precisions', () => {
  const addon = loadCudaTestAddon();
  const tensors = { A: randomFloats(M * K, 101), B: randomFloats(N * K, 102), C: new Float32Array(M * N) };
  // A linear layer's forward: x [M,K] times W^T with W [N,K] (transB), as the model calls it.
  const params = { transA: 0, transB: 1, M, N, K, alpha: 1, lda: K, ldb: K, beta: 0, ldc: N };
  const reference = addon.runBackendOp('cpu', 'fp32', 'gemm', tensors, params).C;

  test.each([['fp32', 1e-5], ['tf32', 2e-3], ['bf16', 1e-2]] as const)('%s within %s of the CPU', (precision, tol) => {
    const gpu = addon.runBackendOp('cuda', precision, 'gemm', tensors, params).C;
    expect(normalizedMaxError(gpu, reference)).toBeLessThanOrEqual(tol);
  });

  test('bf16 leaves the fp32 operands untouched (master weights stay fp32)', () => {
    const out = addon.runBackendOp('cuda', 'bf16', 'gemm', tensors, params);
    expect(normalizedMaxError(out.A, tensors.A)).toBe(0);
    expect(normalizedMaxError(out.B, tensors.B)).toBe(0);
  });
});

// The bf16 GEMM families this CPU runs ('amx', native/cpu/gemm_amx.cpp; 'avx512bf16', native/cpu/gemm_bf16_avx512.cpp):
// every element of op(A) and op(B) rounded to bf16 (round to nearest even), products summed in fp32, alpha/beta/C in
// fp32. All four layouts, k = 1, odd and across the 32-step tile block and the kc blocks (768 for avx512bf16, 1536 for
// amx: 1601 crosses both, so the second block accumulates onto C), edges of the 14 x 32 and 32 x 32 register tiles,
// whole tiles with alpha 1 and beta 0 or 1 (AMX's direct path between C and its accumulator tiles), padded strides
// (column slices), alpha/beta, and the batched entry point.
//
// Two references in float64, per element of C:
// 1. With the inputs rounded to bf16 exactly as the kernel rounds them: a product of two 8-bit significands is exact
//    in fp32, so only the fp32 sums differ and the fp32 bound of kernels.ts applies, (K + 4) * 2^-24 * sum|a*b|.
//    A wrong rounding mode (truncation errs by up to 2^-8 per input) or a lost/duplicated k pair fails it.
// 2. With the fp32 inputs unrounded (the accuracy a caller sees): bf16 keeps 8 significant bits, so rounding an
//    input to nearest errs by at most 2^-8 relative (its unit roundoff), each product by at most 2^-7 + 2^-16; with
//    the fp32 sums the bound is (2^-7 + 2^-16 + (K + 4) * 2^-24) * sum|a*b| (+ the fp32 bound on beta * C). Random
//    data reach ~1/3 of it at small K (one or two products per element), far less at large K (errors cancel).
import { roundBf16 } from '../native/helpers/bf16';
import { GemmArgs, loadKernels, randomFloats } from './kernels';

const kernels = loadKernels();
const families = kernels.gemmBf16Isas();
const U = 2 ** -24;


interface Case { m: number; n: number; k: number; transA: boolean; transB: boolean; alpha: number; beta: number; pad: number }

function makeArgs(c: Case, seed: number, isa: string): { args: GemmArgs; c0: Float32Array } {
  const rowsA = c.transA ? c.k : c.m, colsA = c.transA ? c.m : c.k;
  const rowsB = c.transB ? c.n : c.k, colsB = c.transB ? c.k : c.n;
  const lda = colsA + c.pad, ldb = colsB + c.pad, ldc = c.n + c.pad;
  const c0 = randomFloats(c.m * ldc, seed + 3);
  return {
    args: { transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a: randomFloats(rowsA * lda, seed),
      lda, b: randomFloats(rowsB * ldb, seed + 1), ldb, beta: c.beta, c: Float32Array.from(c0), ldc, isa },
    c0,
  };
}

// Largest error of C relative to its bound over the m x n elements, for both references (must be <= 1).
function errorRatios(args: GemmArgs, c0: Float32Array): { rounded: number; unrounded: number; maxDiff: number } {
  const { transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc } = args;
  const opA = (i: number, p: number): number => (transA ? a[p * lda + i] : a[i * lda + p]);
  const opB = (p: number, j: number): number => (transB ? b[j * ldb + p] : b[p * ldb + j]);
  const rowsA = new Float64Array(m * k), rowsA16 = new Float64Array(m * k);
  const colsB = new Float64Array(n * k), colsB16 = new Float64Array(n * k);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) { rowsA[i * k + p] = opA(i, p); rowsA16[i * k + p] = roundBf16(opA(i, p)); }
  }
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) { colsB[j * k + p] = opB(p, j); colsB16[j * k + p] = roundBf16(opB(p, j)); }
  }
  let rounded = 0, unrounded = 0, maxDiff = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let exact = 0, exact16 = 0, magnitude = 0;
      for (let p = 0, x = i * k, y = j * k; p < k; p++, x++, y++) {
        exact += rowsA[x] * colsB[y];
        exact16 += rowsA16[x] * colsB16[y];
        magnitude += Math.abs(rowsA[x] * colsB[y]);
      }
      const old = beta === 0 ? 0 : beta * c0[i * ldc + j];
      const got = c[i * ldc + j];
      const fp32Bound = (k + 4) * U * (Math.abs(alpha) * magnitude + Math.abs(old)) + 1e-30;
      rounded = Math.max(rounded, Math.abs(got - (alpha * exact16 + old)) / fp32Bound);
      unrounded = Math.max(unrounded, Math.abs(got - (alpha * exact + old)) / (fp32Bound + (2 ** -7 + 2 ** -16) * Math.abs(alpha) * magnitude));
      maxDiff = Math.max(maxDiff, Math.abs(got - (alpha * exact + old)));
    }
  }
  return { rounded, unrounded, maxDiff };
}

if (families.length === 0) {
  test.skip('bf16 GEMM: skipped, this CPU has neither AMX-BF16 nor AVX-512 BF16', () => undefined);
  process.stderr.write('test/gemm/bf16.test.ts: skipped, this CPU has neither AMX-BF16 nor AVX-512 BF16\n');
} else {
  describe.each(families)('bf16 GEMM (%s) against float64 references', (isa) => {
    const layouts: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];
    const shapes: [number, number, number][] = [[1, 1, 1], [14, 32, 2], [32, 32, 32], [29, 47, 37], [31, 70, 385],
      [48, 64, 771], [64, 96, 33], [64, 64, 1601]];
    const cases: Case[] = [];
    for (const [transA, transB] of layouts) {
      for (const [m, n, k] of shapes) cases.push({ m, n, k, transA, transB, alpha: 1, beta: 0, pad: 0 });
      cases.push({ m: 45, n: 33, k: 101, transA, transB, alpha: -0.5, beta: 0.75, pad: 3 });
      cases.push({ m: 64, n: 64, k: 97, transA, transB, alpha: 1, beta: 1, pad: 5 });
      cases.push({ m: 33, n: 1, k: 1, transA, transB, alpha: 2, beta: 0, pad: 1 });
    }
    test.each(cases.map((c) => [`${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'} ${c.m}x${c.n}x${c.k} ` +
      `alpha=${c.alpha} beta=${c.beta} pad=${c.pad}`, c] as const))('%s', (_name, c) => {
      const { args, c0 } = makeArgs(c, c.m * 7 + c.n * 3 + c.k, isa);
      kernels.sgemm(args);
      const r = errorRatios(args, c0);
      expect(r.rounded).toBeLessThanOrEqual(1);
      expect(r.unrounded).toBeLessThanOrEqual(1);
    });

    test('the inputs really are rounded: differs from the fp32 kernel by about the bf16 error, not 0', () => {
      const { args, c0 } = makeArgs({ m: 64, n: 64, k: 256, transA: false, transB: true, alpha: 1, beta: 0, pad: 0 }, 5,
        isa);
      kernels.sgemm(args);
      const { maxDiff } = errorRatios(args, c0);
      // Random [-1, 1) inputs, K = 256: sum|a*b| ~ 64; bf16 errors of up to 2^-7 per product partly cancel to ~1e-2.
      expect(maxDiff).toBeGreaterThan(1e-3);
      expect(maxDiff).toBeLessThan(0.25);
    });

    test('batched, whole GEMMs per thread and split GEMMs, equal to one call per matrix bit for bit', () => {
      const m = 40, n = 50, k = 64, batch = 6;
      const a = randomFloats(batch * m * k, 1), b = randomFloats(batch * n * k, 2);
      const c = new Float32Array(batch * m * n);
      kernels.sgemmStridedBatched({ transA: false, transB: true, m, n, k, alpha: 0.125, a, lda: k, strideA: m * k, b,
        ldb: k, strideB: n * k, beta: 0, c, ldc: n, strideC: m * n, batch, isa });
      for (let i = 0; i < batch; i++) {
        const one = new Float32Array(m * n);
        kernels.sgemm({ transA: false, transB: true, m, n, k, alpha: 0.125, a: a.subarray(i * m * k, (i + 1) * m * k),
          lda: k, b: b.subarray(i * n * k, (i + 1) * n * k), ldb: k, beta: 0, c: one, ldc: n, isa });
        expect(Array.from(c.subarray(i * m * n, (i + 1) * m * n))).toEqual(Array.from(one));
      }
    });

    // The packers pad k to the 32-step tile block with zeros in both operands; a stale value there from an earlier
    // GEMM would multiply the other operand's zero padding, harmless unless it is Inf or NaN (Inf * 0 = NaN). So one
    // GEMM fills the (per-thread, reused) packing buffers with Inf, and the next, with k = 5, must be exact.
    test.each(layouts)('no stale packed values past k after a GEMM of Infs (transA=%s, transB=%s)', (transA, transB) => {
      const inf = new Float32Array(64 * 64).fill(Infinity);
      kernels.sgemm({ transA, transB, m: 64, n: 64, k: 64, alpha: 1, a: inf, lda: 64, b: inf, ldb: 64, beta: 0,
        c: new Float32Array(64 * 64), ldc: 64, isa });
      const { args, c0 } = makeArgs({ m: 64, n: 64, k: 5, transA, transB, alpha: 1, beta: 0, pad: 0 }, 17, isa);
      kernels.sgemm(args);
      const r = errorRatios(args, c0);
      expect(r.rounded).toBeLessThanOrEqual(1);
      expect(r.unrounded).toBeLessThanOrEqual(1);
    });

    // gemmBf16Operands: an operand stored as bf16 (a training activation kept in bf16) is packed from its 16-bit
    // words; the products must be the bits of the fp32 operand rounded by the family's own packer. Shapes across the
    // 32-row / 32-column panels, the 32-step k blocks and amx's kc = 1536 blocks, padded strides, alpha/beta, threaded.
    if (isa === 'amx') {
      const bf16Cases: [number, number, number, boolean, boolean, number, number, number][] = [
        [1, 1, 1, false, false, 1, 0, 0], [29, 47, 37, false, true, 1, 0, 3], [64, 64, 1601, false, false, 1, 1, 0],
        [45, 33, 101, true, false, -0.5, 0.75, 2], [150, 200, 300, false, false, 1, 0, 1], [33, 70, 2, true, false, 2, 0, 0],
        [64, 64, 1601, false, true, 1, 1, 0], [150, 200, 300, true, true, 1, 0, 1], [40, 17, 64, false, true, 0.5, 0, 2],
        [128, 128, 64, false, true, 1, 0, 0],
      ];
      test.each(bf16Cases)('bf16-stored operands: %ix%ix%i transA=%s transB=%s alpha=%s beta=%s pad=%s, the bits of the ' +
        'fp32 operands', (m, n, k, transA, transB, alpha, beta, pad) => {
        for (const stored of [{ bf16A: !transA, bf16B: false }, { bf16A: false, bf16B: true },
          { bf16A: !transA, bf16B: true }]) {
          const { args } = makeArgs({ m, n, k, transA, transB, alpha, beta, pad }, m + n + k, isa);
          const fromBf16 = { ...args, c: Float32Array.from(args.c), ...stored };
          kernels.sgemm(args);
          kernels.sgemm(fromBf16);
          expect(Buffer.from(fromBf16.c.buffer).equals(Buffer.from(args.c.buffer))).toBe(true);
        }
      });

      test('a bf16-stored A is refused transposed, and by a family without bf16 packers', () => {
        const { args } = makeArgs({ m: 8, n: 8, k: 8, transA: true, transB: false, alpha: 1, beta: 0, pad: 0 }, 3, isa);
        expect(() => kernels.sgemm({ ...args, bf16A: true })).toThrow(/not transposed/);
        expect(() => kernels.sgemm({ ...args, transA: false, bf16A: true, isa: kernels.gemmIsas()[0] }))
          .toThrow(/bf16 packers/);
      });
    }

    test.each([[false, false, 1], [true, true, 0]])('threaded (large) GEMM within the bounds (transA=%s, transB=%s, beta=%s)',
      (transA, transB, beta) => {
        const { args, c0 } = makeArgs({ m: 150, n: 200, k: 300, transA, transB, alpha: 1, beta, pad: 1 }, 9, isa);
        kernels.sgemm(args);
        const r = errorRatios(args, c0);
        expect(r.rounded).toBeLessThanOrEqual(1);
        expect(r.unrounded).toBeLessThanOrEqual(1);
      });
  });
}

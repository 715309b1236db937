// The raw GEMM kernels of the test addon take sizes, leading dimensions and strides from the caller; every bound is
// computed with overflow-checked arithmetic (native/addon/sizes.h). Before that, (batch - 1) * stride with
// stride 2^61 and batch 5 wrapped int64 around to a negative count, the bounds check passed and the kernel read
// far outside the arrays (SIGSEGV).
import { loadTestAddon, BatchedGemmArgs } from '../test-addon/load';

const kernels = loadTestAddon().kernels;

function batched(patch: Partial<BatchedGemmArgs>): BatchedGemmArgs {
  const m = 2, n = 2, k = 2;
  return { transA: false, transB: false, m, n, k, alpha: 1, a: new Float32Array(8), lda: k, b: new Float32Array(8),
    ldb: n, beta: 0, c: new Float32Array(8), ldc: n, strideA: 4, strideB: 4, strideC: 4, batch: 2, ...patch };
}

function rangeErrorOf(fn: () => void): RangeError {
  try {
    fn();
  } catch (e) {
    expect(e).toMatchObject({ name: 'RangeError', code: 'ERR_BERTNODE_INVALID_ARGUMENT' });
    return e as RangeError;
  }
  throw new Error('the call was accepted');
}

test('a valid small batched product is accepted (the cases below differ from it in one field)', () => {
  const args = batched({ a: Float32Array.from([1, 0, 0, 1, 1, 0, 0, 1]), b: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) });
  kernels.sgemmStridedBatched(args);
  expect(Array.from(args.c)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
});

test.each([
  ['strideA 2^61, batch 5 (the reported crash)', { strideA: 2 ** 61, strideB: 0, strideC: 0, batch: 5 }, /strideA/],
  ['strideB at the safe-integer limit, 2^21 batches', { strideA: 0, strideB: Number.MAX_SAFE_INTEGER, strideC: 0, batch: 2 ** 21 },
    /B has 8 elements but the shape and strides need more than 2\^63/],
  ['strideC 2^52, 4097 batches (2^64)', { strideA: 0, strideB: 0, strideC: 2 ** 52, batch: 4097 }, /C has 8 elements .* need more than 2\^63/],
  ['strideA 2^40, 3 batches: no overflow, still out of bounds', { strideA: 2 ** 40, batch: 3 },
    /A has 8 elements but the shape and strides need 2199023255556/],
  ['a stride beyond what a JS number holds exactly', { strideA: 2 ** 63 }, /strideA must be an integer in/],
])('%s is refused', (_label, patch, pattern) => {
  expect(rangeErrorOf(() => kernels.sgemmStridedBatched(batched(patch))).message).toMatch(pattern);
});

test('huge leading dimensions are refused, not wrapped', () => {
  expect(rangeErrorOf(() => kernels.sgemm({ ...batched({}), m: 2 ** 31 - 1, lda: 2 ** 31 - 1 })).message).toMatch(
    /A has 8 elements but the shape and strides need \d+/);
});

test('a getter that detaches an output array while the arguments are read cannot leave a stale length', () => {
  const args = batched({}) as unknown as Record<string, unknown>;
  const c = args.c as Float32Array;
  let moved: ArrayBuffer | undefined;
  // The last field the binding reads: before, c's length and pointer were already taken and the kernel wrote into
  // the detached buffer's memory (now `moved`'s) through them.
  Object.defineProperty(args, 'batch', {
    get: () => {
      const buffer = c.buffer as ArrayBuffer;
      moved = structuredClone(buffer, { transfer: [buffer] });
      return 2;
    },
  });
  expect(rangeErrorOf(() => kernels.sgemmStridedBatched(args as unknown as BatchedGemmArgs)).message).toMatch(
    /C has 0 elements but the shape and strides need 8/);
  expect(moved?.byteLength).toBe(32);
});

// sgemm / sgemmStridedBatched through the addon's kernels binding, for every micro-kernel this CPU can run
// (avx512, avx2, scalar), against a float64 reference. Shapes straddle the register tiles (14x32, 6x16, 4x8) and
// the cache blocks (mc, kc, nc), all four transpose cases, alpha/beta, padded leading dimensions,
// beta == 0 over a C full of NaN (C must not be read), and C's padding columns must stay untouched.
import * as os from 'os';
import { GemmArgs, loadKernels, randomFloats, referenceGemm } from './kernels';

const kernels = loadKernels();
// avx512 runs with one of two sets of cache blocks, chosen by the CPU's vendor (one FMA port: AMD; two: Intel); the
// test addon's names avx512.fma1 / avx512.fma2 force each, so both are checked on any AVX-512 CPU.
const families = kernels.gemmIsas();
const isas = families.flatMap((isa) => (isa === 'avx512' ? ['avx512.fma1', 'avx512.fma2'] : [isa]));
const transposes: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  pad: number; // extra elements per row of A, B and C (lda > cols)
}

function makeArgs(c: Case, seed: number, isa: string): { args: GemmArgs; c0: Float32Array } {
  const lda = (c.transA ? c.m : c.k) + c.pad;
  const ldb = (c.transB ? c.k : c.n) + c.pad;
  const ldc = c.n + c.pad;
  const a = randomFloats((c.transA ? c.k : c.m) * lda, seed);
  const b = randomFloats((c.transB ? c.n : c.k) * ldb, seed + 1);
  const cInit = c.beta === 0 ? new Float32Array(c.m * ldc).fill(NaN) : randomFloats(c.m * ldc, seed + 2);
  return {
    args: { transA: c.transA, transB: c.transB, m: c.m, n: c.n, k: c.k, alpha: c.alpha, a, lda, b, ldb,
      beta: c.beta, c: cInit, ldc, isa },
    c0: Float32Array.from(cInit),
  };
}

// Returns a description of the first mismatch, or '' when every element is within its bound and the padding
// columns of C are bit-for-bit unchanged (NaN stays NaN).
function verify(args: GemmArgs, c0: Float32Array, reference = referenceGemm(args, c0)): string {
  const { expected, bound } = reference;
  for (let i = 0; i < args.m; i++) {
    for (let j = 0; j < args.ldc; j++) {
      const got = args.c[i * args.ldc + j];
      if (j >= args.n) {
        if (!Object.is(got, c0[i * args.ldc + j])) return `padding C[${i},${j}] changed to ${got}`;
        continue;
      }
      const want = expected[i * args.n + j];
      if (!(Math.abs(got - want) <= bound[i * args.n + j])) {
        return `C[${i},${j}] = ${got}, expected ${want} ± ${bound[i * args.n + j]}`;
      }
    }
  }
  return '';
}

function caseName(c: Case): string {
  return `${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'} m=${c.m} n=${c.n} k=${c.k} alpha=${c.alpha} ` +
    `beta=${c.beta} pad=${c.pad}`;
}

test('the binding reports the micro-kernels it can run, scalar always among them', () => {
  expect(families).toContain('scalar');
  expect(families).toContain(kernels.gemmActiveIsa());
});

describe.each(isas)('sgemm with the %s micro-kernel', (isa) => {
  test('odd sizes, all transposes, alpha/beta, padded strides', () => {
    const sizes = [1, 2, 7, 13, 14, 15, 17, 31, 32, 33, 63, 65, 129];
    const failures: string[] = [];
    let seed = 1;
    for (const [transA, transB] of transposes) {
      for (let t = 0; t < 24; t++) {
        const pick = (x: number) => sizes[(x * 7 + t * 5 + seed) % sizes.length];
        const c: Case = { m: pick(1), n: pick(2), k: pick(3), transA, transB,
          alpha: [1, 0.75, -2][t % 3], beta: [0, 1, -0.5, 0][t % 4], pad: t % 2 === 0 ? 0 : 3 };
        const { args, c0 } = makeArgs(c, seed, isa);
        seed += 3;
        kernels.sgemm(args);
        const error = verify(args, c0);
        if (error) failures.push(`${caseName(c)}: ${error}`);
      }
    }
    expect(failures).toEqual([]);
  });

  test('k == 0 and alpha == 0 scale C by beta; beta == 0 then writes zeros over NaN', () => {
    for (const [k, alpha, beta] of [[0, 1, 0.5], [5, 0, 2], [0, 1, 0], [7, 0, 0]]) {
      const { args, c0 } = makeArgs({ m: 9, n: 33, k, transA: false, transB: true, alpha, beta, pad: 2 }, 7, isa);
      kernels.sgemm(args);
      expect(verify(args, c0)).toBe('');
    }
  });

  test.each([[4], [3], [1]])('strided batch of %i (whole GEMMs per thread or threaded items)', (batch) => {
    // Attention-like: [T, D] x [D, T]^T per head, matrices spaced wider than their size.
    const m = 37, n = 45, k = 64;
    const failures: string[] = [];
    for (const [transA, transB] of transposes) {
      const lda = transA ? m : k, ldb = transB ? k : n, ldc = n + 3;
      const sizeA = (transA ? k : m) * lda + 11, sizeB = (transB ? n : k) * ldb + 5, sizeC = m * ldc + 7;
      const a = randomFloats(sizeA * batch, 11), b = randomFloats(sizeB * batch, 12);
      const c = randomFloats(sizeC * batch, 13);
      const c0 = Float32Array.from(c);
      kernels.sgemmStridedBatched({ transA, transB, m, n, k, alpha: 0.125, a, lda, strideA: sizeA, b, ldb,
        strideB: sizeB, beta: -1, c, ldc, strideC: sizeC, batch, isa });
      for (let i = 0; i < batch; i++) {
        const one: GemmArgs = { transA, transB, m, n, k, alpha: 0.125, a: a.subarray(i * sizeA), lda,
          b: b.subarray(i * sizeB), ldb, beta: -1, c: c.subarray(i * sizeC), ldc };
        const error = verify(one, c0.subarray(i * sizeC));
        if (error) failures.push(`batch item ${i} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}: ${error}`);
      }
      // The gaps between matrices (after each C) are not written.
      for (let i = 0; i < batch; i++) {
        for (let g = m * ldc; g < sizeC; g++) {
          if (c[i * sizeC + g] !== c0[i * sizeC + g]) failures.push(`gap after C ${i} written at ${g}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

// Shapes that cross the cache blocks of every micro-kernel: 3100 > nc (3072) columns and 800 > kc (384, 768) steps
// on a C thinner than one register tile; 350 > mc (336, 192, 168, 128) rows on a narrow C. Both exceed 2^20
// multiply-adds, so they take the threaded path. The float64 reference is computed once per shape and shared by all
// kernels.
test.each(transposes)('blocks larger than mc, kc and nc, every kernel (transA=%s, transB=%s)', (transA, transB) => {
  const failures: string[] = [];
  for (const c of [
    { m: 3, n: 3100, k: 800, transA, transB, alpha: 0.5, beta: 0.25, pad: 5 },
    { m: 350, n: 17, k: 800, transA, transB, alpha: 1, beta: 0, pad: 1 },
  ]) {
    const { args, c0 } = makeArgs(c, 99, isas[0]);
    const reference = referenceGemm(args, c0);
    for (const isa of isas) {
      const run = { ...args, c: Float32Array.from(c0), isa };
      kernels.sgemm(run);
      const error = verify(run, c0, reference);
      if (error) failures.push(`${isa} ${caseName(c)}: ${error}`);
    }
  }
  expect(failures).toEqual([]);
});

test('the default sgemm (no isa) equals the active micro-kernel bit for bit', () => {
  const c: Case = { m: 65, n: 129, k: 63, transA: true, transB: false, alpha: 1, beta: 0, pad: 0 };
  const first = makeArgs(c, 5, kernels.gemmActiveIsa());
  const second = makeArgs(c, 5, kernels.gemmActiveIsa());
  delete second.args.isa;
  kernels.sgemm(first.args);
  kernels.sgemm(second.args);
  expect(Buffer.from(second.args.c.buffer).equals(Buffer.from(first.args.c.buffer))).toBe(true);
});

// The two sets of avx512 blocks split k differently (kc 384 and 768), so on k = 800 their fp32 sums round differently;
// plain 'avx512' must be the set of this CPU's vendor: two FMA ports on Intel, one elsewhere (AMD Zen 4).
const avx512Test = families.includes('avx512') ? test : test.skip;
avx512Test('avx512 runs the cache blocks of this CPU vendor\'s FMA ports', () => {
  const c: Case = { m: 40, n: 40, k: 800, transA: false, transB: false, alpha: 1, beta: 0, pad: 0 };
  const run = (isa: string): Buffer => {
    const { args } = makeArgs(c, 21, isa);
    kernels.sgemm(args);
    return Buffer.from(args.c.buffer);
  };
  const onePort = run('avx512.fma1'), twoPorts = run('avx512.fma2');
  expect(twoPorts.equals(onePort)).toBe(false);
  const intel = os.cpus()[0].model.includes('Intel');
  expect(run('avx512').equals(intel ? twoPorts : onePort)).toBe(true);
});

describe('bad arguments are rejected before any memory is touched', () => {
  const good = (): GemmArgs => ({ transA: false, transB: false, m: 4, n: 5, k: 6, alpha: 1,
    a: new Float32Array(24), lda: 6, b: new Float32Array(30), ldb: 5, beta: 0, c: new Float32Array(20), ldc: 5 });

  test.each([
    ['A too short', { a: new Float32Array(23) }, 'RangeError', /A has 23 elements/],
    ['B too short for its transpose', { transB: true, ldb: 7 }, 'RangeError', /B has 30 elements/],
    ['C too short for ldc', { ldc: 6 }, 'RangeError', /C has 20 elements/],
    ['lda below the row length', { lda: 5 }, 'RangeError', /lda \(5\) must be >= max\(1, 6\)/],
    ['negative size', { m: -1 }, 'RangeError', /m must be an integer/],
    ['fractional size', { k: 2.5 }, 'RangeError', /k must be an integer/],
    ['A as Float64Array', { a: new Float64Array(24) }, 'TypeError', /a must be a Float32Array/],
    ['alpha not a number', { alpha: '1' }, 'TypeError', /alpha must be a number/],
    ['beta not finite', { beta: Infinity }, 'RangeError', /beta must be finite/],
    ['transA not a boolean', { transA: 1 }, 'TypeError', /transA must be a boolean/],
    ['unknown isa', { isa: 'avx9000' }, 'RangeError', /'avx9000' is not available/],
  ])('%s', (_name, override, errorName, message) => {
    // The addon builds its errors in Node's main realm, not in jest's sandbox, so the class is checked by name.
    const args = { ...good(), ...(override as object) } as GemmArgs;
    let thrown: unknown;
    try {
      kernels.sgemm(args);
    } catch (e) {
      thrown = e;
    }
    const error = thrown as { name?: string; message?: string; code?: string };
    expect(error?.name).toBe(errorName);
    expect(error?.message).toMatch(message as RegExp);
    expect(error?.code).toBe('ERR_BERTNODE_INVALID_ARGUMENT');
  });

  test('a batch whose strides run past the arrays', () => {
    const args = { ...good(), strideA: 24, strideB: 30, strideC: 20, batch: 2 };
    expect(() => kernels.sgemmStridedBatched(args)).toThrow(/A has 24 elements but the shape and strides need 48/);
  });

  test('not an options object', () => {
    expect(() => (kernels.sgemm as unknown as (x: number) => void)(3)).toThrow(/expected one options object/);
  });
});

// Kernel family dispatch (native/cpu/gemm.cpp): BERTNODE_CPU_KERNELS forces a family, a name that is not one or a
// family this CPU cannot run is refused with a clear error, and every family gives bit-identical results whatever the
// thread count (C is split over M and N on multiples of the register tile, never over K, so each element is summed by
// one thread in one order). Each case runs in a fresh process: the family and the thread count are read once.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadKernels } from './kernels';

const root = path.resolve(__dirname, '..', '..');
const kernels = loadKernels();
const fp32Families = kernels.gemmIsas();
const bf16Families = kernels.gemmBf16Isas();
const allFamilies = ['amx', 'avx512bf16', 'avx512', 'avx2', 'scalar'];

// Prints what the child's addon chose, or the error it threw; with HASH set, the SHA-256 of C from GEMMs large enough
// to be split across threads (all four layouts, whole tiles and ragged edges, beta 0 and 1, a strided batch).
const CHILD = `
const crypto = require('crypto');
const { randomFloats } = require(${JSON.stringify(path.join(root, 'scripts', 'gpu-check', 'data.js'))});
try {
  // The raw kernels live in the test addon (test/test-addon, its path inherited from jest's global setup); the
  // thread count is the production addon's (both read BERTNODE_NUM_THREADS and BERTNODE_CPU_KERNELS once).
  const k = require(process.env.BERTNODE_TEST_ADDON).kernels;
  const addon = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)});
  const out = { threads: addon.numThreads(), fp32: k.gemmActiveIsa(), bf16: k.gemmActiveIsa('bf16'),
    bf16Available: k.gemmBf16Available() };
  if (process.env.HASH) {
    const hash = crypto.createHash('sha256');
    for (const [transA, transB, m, n, kk, beta] of [[false, true, 300, 200, 800, 0], [false, false, 257, 130, 97, 1],
      [true, false, 131, 300, 70, 0], [true, true, 64, 512, 96, 1]]) {
      const a = randomFloats(m * kk, m, 1), b = randomFloats(kk * n, n, 1), c = randomFloats(m * n, kk, 1);
      k.sgemm({ transA, transB, m, n, k: kk, alpha: 1, a, lda: transA ? m : kk, b, ldb: transB ? kk : n, beta, c,
        ldc: n, isa: process.env.HASH });
      hash.update(Buffer.from(c.buffer));
    }
    const batch = 5, m = 128, n = 128, kk = 64;
    const a = randomFloats(batch * m * kk, 1, 1), b = randomFloats(batch * n * kk, 2, 1), c = new Float32Array(batch * m * n);
    k.sgemmStridedBatched({ transA: false, transB: true, m, n, k: kk, alpha: 0.125, a, lda: kk, strideA: m * kk, b,
      ldb: kk, strideB: n * kk, beta: 0, c, ldc: n, strideC: m * n, batch, isa: process.env.HASH });
    hash.update(Buffer.from(c.buffer));
    out.hash = hash.digest('hex');
  }
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ error: e.message, code: e.code }));
}`;

interface ChildResult {
  threads?: number;
  fp32?: string;
  bf16?: string | null;
  bf16Available?: boolean;
  hash?: string;
  error?: string;
  code?: string;
}

function child(env: Record<string, string>): ChildResult {
  const run = spawnSync(process.execPath, ['-e', CHILD], { encoding: 'utf8', timeout: 120000,
    env: { ...process.env, BERTNODE_CPU_KERNELS: '', ...env } });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

test('unforced: the fastest fp32 and bf16 families this CPU runs', () => {
  expect(child({})).toMatchObject({ fp32: fp32Families[0], bf16: bf16Families[0] ?? null,
    bf16Available: bf16Families.length > 0 });
});

test.each(fp32Families)('BERTNODE_CPU_KERNELS=%s runs fp32 GEMMs on it and refuses bf16 (a CPU without bf16)', (f) => {
  expect(child({ BERTNODE_CPU_KERNELS: f })).toMatchObject({ fp32: f, bf16: null, bf16Available: false });
});

// (Without a bf16 family, the unforced case above checks that bf16 is reported unavailable.)
if (bf16Families.length) {
  test.each(bf16Families)('BERTNODE_CPU_KERNELS=%s runs bf16 GEMMs on it and fp32 ones on the best fp32 family', (f) => {
    expect(child({ BERTNODE_CPU_KERNELS: f })).toMatchObject({ fp32: fp32Families[0], bf16: f, bf16Available: true });
  });
}

test('a name that is not a family is refused, naming the families', () => {
  expect(child({ BERTNODE_CPU_KERNELS: 'avx9000' })).toEqual({ code: 'ERR_BERTNODE_INVALID_ARGUMENT',
    error: "BERTNODE_CPU_KERNELS='avx9000' is not a CPU kernel family: expected amx, avx512bf16, avx512, avx2 or scalar" });
});

// On a CPU that has every family (Sapphire Rapids and later) there is nothing to force that it lacks; the case then
// checks that the list of available families really is all of them.
const missing = allFamilies.filter((f) => !fp32Families.includes(f) && !bf16Families.includes(f));
test.each(missing.length ? missing : ['(every family available)'])('forcing %s, which this CPU lacks, is refused', (f) => {
  if (!missing.length) {
    expect([...bf16Families, ...fp32Families]).toEqual(allFamilies);
    return;
  }
  const result = child({ BERTNODE_CPU_KERNELS: f });
  expect(result.code).toBe('ERR_BERTNODE_INVALID_ARGUMENT');
  expect(result.error).toBe(`BERTNODE_CPU_KERNELS='${f}' forces a kernel family this CPU (or build) cannot run; ` +
    `available here: ${allFamilies.filter((x) => !missing.includes(x)).join(', ')}`);
});

// avx512.fma1 / avx512.fma2 (test addon names): the avx512 family with each of its two sets of cache blocks.
const avx512Blocks = fp32Families.includes('avx512') ? ['avx512.fma1', 'avx512.fma2'] : [];
test.each([...bf16Families, ...fp32Families, ...avx512Blocks])('%s: bit-identical results with 1, 2 and 3 threads', (f) => {
  const runs = [1, 2, 3].map((threads) => child({ BERTNODE_NUM_THREADS: String(threads), HASH: f }));
  expect(runs.map((r) => r.threads)).toEqual([1, 2, 3]);
  expect(runs[0].hash).toMatch(/^[0-9a-f]{64}$/);
  expect(runs[1].hash).toBe(runs[0].hash);
  expect(runs[2].hash).toBe(runs[0].hash);
});

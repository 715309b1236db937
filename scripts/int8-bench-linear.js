#!/usr/bin/env node
// int8 Linear benchmark: the int8 forward of one Linear layer (cpu/gemm_int8.h: activation quantisation, int8 products,
// dequantisation and bias, through the test addon's int8 binding) against the fp32 and bf16 GEMMs of the same shape
// (sgemm Y = X W^T, no bias) in the same run, on the Linear shapes of MiniLM-L6 (H 384, I 1536) and BERT-base (768,
// 3072) at 4,096 token rows. CPU time (process.cpuUsage, so other load on a shared machine costs little) of the best
// of --reps runs of 5 calls each, after a warm-up. One JSON line per shape and int8 family: {shape, family, ms,
// fp32_ms, bf16_ms, vs_fp32, vs_bf16}, ratios > 1 meaning int8 is faster.
//
// Usage: node scripts/int8-bench-linear.js [--threads 1] [--reps 5] [--scalar]
//   --scalar: also the portable family (minutes: it is ~100x slower than the vector ones).
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const threads = option('threads', 1);
const reps = option('reps', 5);
process.env.BERTNODE_NUM_THREADS = String(threads);

const root = path.resolve(__dirname, '..');
const build = spawnSync(process.execPath, [path.join(root, 'native', 'test-addon', 'build.js'), 'release'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (build.status !== 0) throw new Error('native/test-addon/build.js failed');
const { int8, kernels } = require(JSON.parse(build.stdout).test);

function randomFloats(count, seed) {
  const out = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) out[i] = (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 30 - 1;
  return out;
}

// Best CPU milliseconds per call of fn(calls) over reps.
function cpuMs(fn, calls) {
  fn(1);
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const start = process.cpuUsage();
    fn(calls);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1e3 / calls);
  }
  return best;
}

const M = 4096;
const shapes = [[384, 384], [384, 1536], [1536, 384], [768, 768], [768, 3072], [3072, 768]];
const bf16 = kernels.gemmBf16Available() ? kernels.gemmActiveIsa('bf16') : null;
for (const [k, n] of shapes) {
  const x = randomFloats(M * k, 1), w = randomFloats(n * k, 2), bias = randomFloats(n, 3), c = new Float32Array(M * n);
  const gemm = (isa) => (calls) => {
    for (let i = 0; i < calls; i++) {
      kernels.sgemm({ transA: false, transB: true, m: M, n, k, alpha: 1, a: x, lda: k, b: w, ldb: k, beta: 0, c, ldc: n, isa });
    }
  };
  const fp32Ms = cpuMs(gemm(undefined), 5);
  const bf16Ms = bf16 ? cpuMs(gemm(bf16), 5) : null;
  for (const family of int8.families().filter((f) => f !== 'scalar' || process.argv.includes('--scalar'))) {
    // The binding quantises w once per call, then runs `repeat` Linear forwards: time 1 and 6 and keep the difference.
    const once = cpuMs((calls) => { for (let i = 0; i < calls; i++) int8.linear({ x, m: M, k, w, n, bias, family }); }, 1);
    const six = cpuMs((calls) => { for (let i = 0; i < calls; i++) int8.linear({ x, m: M, k, w, n, bias, family, repeat: 6 }); }, 1);
    const ms = (six - once) / 5;
    console.log(JSON.stringify({ shape: `${M}x${k}x${n}`, family, threads, ms: +ms.toFixed(3), fp32_ms: +fp32Ms.toFixed(3),
      bf16_ms: bf16Ms === null ? null : +bf16Ms.toFixed(3), vs_fp32: +(fp32Ms / ms).toFixed(2),
      vs_bf16: bf16Ms === null ? null : +(bf16Ms / ms).toFixed(2) }));
  }
}

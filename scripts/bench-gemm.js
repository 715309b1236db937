#!/usr/bin/env node
// GEMM benchmark: bertnode's sgemm (through the test addon's kernels binding) against OpenBLAS cblas_sgemm, measured in
// the same run with the same thread count, on the GEMMs of BERT-base training (B*T = 8192 tokens):
//   linear layers  Y = X W^T   NT  [8192 x out x in]     forward
//                  dX = dY W   NN  [8192 x in x out]     backward, input gradient
//                  dW = dY^T X TN  [out x in x 8192]     backward, weight gradient
//   attention      S = Q K^T   NT  384 x [256 x 256 x 64]  (batch 32 x 12 heads, T = 256, head dim 64), also dP
//                  O = P V     NN  384 x [256 x 64 x 256], also dQ = dS K
//                  dV = P^T dO TN  384 x [256 x 64 x 256], also dK = dS^T Q
// Prints one JSON line for the peak, then one per shape: {metric, ours, peer, ratio, unit, oursPeakFraction,
// peerPeakFraction}, in GFLOP/s (2*M*N*K*batch / best time of --reps runs after one warm-up; shapes under 4 GFLOP
// get more runs, enough for ~20 GFLOP in all).
//
// The FP32 peak is measured, not looked up: scripts/bench/fma-peak.c runs independent vector FMAs (no memory
// traffic) on every thread, so it is the rate the FMA units sustain at the clock the cores hold under vector load.
// OpenBLAS comes from the system (Debian: `apt-get install libopenblas-dev`); scripts/bench/openblas-sgemm.c is
// compiled against it at run time in a temporary folder. Without it the peer fields are null and a note says why.
//
// bf16 rows, one set per bf16 kernel family this CPU runs (kernels.gemmBf16Isas(): 'amx', 'avx512bf16'): the same
// shapes with inputs rounded to bf16 while packing and fp32 sums, as {metric: 'bf16gemm.<family>.*', ours: bf16
// GFLOP/s, peer: our fp32 sgemm's GFLOP/s from the same run, ratio: bf16 / fp32, oursPeakFraction: of that family's
// peak}. The AMX peak is measured (scripts/bench/amx-peak.c: tile-only tdpbf16ps, like fma-peak.c). The AVX-512 BF16
// peak is taken as 2x the measured FP32 FMA peak: one 512-bit vdpbf16ps does 32 multiply-adds (16 lanes x a pair)
// where a 512-bit FMA does 16, at the same issue rate (an assumption from AMD's/Agner Fog's tables, not measured).
//
// linearbf16 rows (where AMX is active): the inference Linear on bf16 activations (native/cpu/linear_bf16.h) on BERT-base's
// three Linear shapes with their model epilogues, at 8192 and 2048 tokens, as {metric: 'linearbf16.amx.*', ours: GFLOP/s,
// oursPeakFraction: of the AMX peak}; compare with the bf16gemm.amx.*.forward rows (fp32 in and out, bias separate).
//
// Usage: node scripts/bench-gemm.js [--threads 2] [--reps 5] [--quick] [--no-fp32] [--cpu-time]
//   --no-fp32: bf16 rows only (and no OpenBLAS), when only the bf16 families are of interest.
//   --cpu-time: GFLOP per CPU-second (process.cpuUsage around each call; the peaks' cpuGflops) instead of per wall-clock
//     second: on a shared machine wall time stretches with the load, CPU time much less. With --threads 1 it is one
//     core's rate. No OpenBLAS column (its program times wall clock).
//   --quick: one warm-up + one timed run of a subset of shapes (checks that the script works, timings meaningless).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const common = require('./bench/common');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}
const quick = process.argv.includes('--quick');
const fp32Rows = !process.argv.includes('--no-fp32');
const cpuTime = process.argv.includes('--cpu-time');
const unit = cpuTime ? 'GFLOP/CPU-s' : 'GFLOP/s';
const threads = option('threads', 2);
const reps = quick ? 1 : option('reps', 5);

// Thread counts must be in the environment before the addon's pool and OpenBLAS start.
process.env.BERTNODE_NUM_THREADS = String(threads);
const peerEnv = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };

// The raw kernels live in the test-only addon (native/test-addon), built with the production flags on first use.
const testAddonBuild = spawnSync(process.execPath, [path.join(root, 'native', 'test-addon', 'build.js'), 'release'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
if (testAddonBuild.status !== 0) throw new Error('native/test-addon/build.js failed');
const { kernels, linearBf16 } = require(JSON.parse(testAddonBuild.stdout).test);

const linear = [
  ['attention.dense', 768, 768],
  ['intermediate', 768, 3072],
  ['output', 3072, 768],
];
const tokens = 8192;
const shapes = [];
for (const [layer, inF, outF] of linear) {
  shapes.push({ name: `${layer}.forward`, tA: false, tB: true, m: tokens, n: outF, k: inF, batch: 1 });
  shapes.push({ name: `${layer}.dX`, tA: false, tB: false, m: tokens, n: inF, k: outF, batch: 1 });
  shapes.push({ name: `${layer}.dW`, tA: true, tB: false, m: outF, n: inF, k: tokens, batch: 1 });
}
shapes.push({ name: 'attention.scores', tA: false, tB: true, m: 256, n: 256, k: 64, batch: 384 });
shapes.push({ name: 'attention.context', tA: false, tB: false, m: 256, n: 64, k: 256, batch: 384 });
shapes.push({ name: 'attention.dV', tA: true, tB: false, m: 256, n: 64, k: 256, batch: 384 });
// The same product on 8 matrices (~3 MB, fits L3): separates the kernels' speed from the DRAM traffic of 384.
shapes.push({ name: 'attention.context.inCache', tA: false, tB: false, m: 256, n: 64, k: 256, batch: 8 });
const selected = quick ? shapes.filter((s) => s.name === 'attention.dense.forward' || s.name === 'attention.scores')
  : shapes;

function emit(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function compile(tmp, source, output, flags) {
  const result = spawnSync('cc', ['-O3', ...flags.pre, path.join(__dirname, 'bench', source), '-o',
    path.join(tmp, output), ...flags.post], { encoding: 'utf8' });
  return result.status === 0 ? null : (result.error ? result.error.message : result.stderr.trim());
}

function runJson(binary, args, env) {
  const result = spawnSync(binary, args, { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`${path.basename(binary)} failed: ${result.stderr || result.error}`);
  return JSON.parse(result.stdout);
}

// Same values as openblas-sgemm.c's fill(), so both sides multiply identical data.
function fill(count, seed) {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 8) & 0xffff) / 65536 - 0.5;
  }
  return out;
}

function timeOurs(shape, shapeReps, isa) {
  const { tA, tB, m, n, k, batch } = shape;
  const a = fill(m * k * batch, 1);
  const b = fill(k * n * batch, 2);
  const c = new Float32Array(m * n * batch);
  const lda = tA ? m : k, ldb = tB ? k : n;
  const call = batch === 1
    ? () => kernels.sgemm({ transA: tA, transB: tB, m, n, k, alpha: 1, a, lda, b, ldb, beta: 0, c, ldc: n, isa })
    : () => kernels.sgemmStridedBatched({ transA: tA, transB: tB, m, n, k, alpha: 1, a, lda, strideA: m * k, b, ldb,
      strideB: k * n, beta: 0, c, ldc: n, strideC: m * n, batch, isa });
  let best = Infinity;
  for (let r = 0; r <= shapeReps; r++) {
    const t0 = process.hrtime.bigint(), cpu0 = process.cpuUsage();
    call();
    const cpu = process.cpuUsage(cpu0);
    const seconds = cpuTime ? (cpu.user + cpu.system) / 1e6 : Number(process.hrtime.bigint() - t0) / 1e9;
    if (r > 0) best = Math.min(best, seconds); // r == 0 is the warm-up
  }
  return best;
}

// Inference's Linear layers on bf16 activations (native/cpu/linear_bf16.h, AMX only), with the epilogue each runs in
// the model: attention.dense and output add bias + residual (fp32 out), intermediate adds bias and applies GELU (bf16
// out). At 8192 tokens (B*T of a batch of 32 x 256) and 2048 (the forward bench's 8 x 256). Timed as
// (time of `repeat` calls - time of 1) / (repeat - 1), so the binding's one-off rounding of x and packing of W drop out.
const linearShapes = [
  { layer: 'attention.dense', inF: 768, outF: 768, epilogue: { residual: true } },
  { layer: 'intermediate', inF: 768, outF: 3072, epilogue: { gelu: true, outputs: 'bf16' } },
  { layer: 'output', inF: 3072, outF: 768, epilogue: { residual: true } },
];

function timeLinearBf16({ inF, outF, epilogue }, m, rounds) {
  const args = { x: fill(m * inF, 1), m, k: inF, w: fill(outF * inF, 2), n: outF, bias: fill(outF, 3), threads,
    ...(epilogue.gelu ? { gelu: true, outputs: epilogue.outputs } : {}),
    ...(epilogue.residual ? { residual: fill(m * outF, 4) } : {}) };
  const seconds = (repeat) => {
    const t0 = process.hrtime.bigint(), cpu0 = process.cpuUsage();
    linearBf16.run({ ...args, repeat });
    const cpu = process.cpuUsage(cpu0);
    return cpuTime ? (cpu.user + cpu.system) / 1e6 : Number(process.hrtime.bigint() - t0) / 1e9;
  };
  seconds(1);  // warm-up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) best = Math.min(best, (seconds(4) - seconds(1)) / 3);
  return best;
}

function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-bench-gemm-'));
  try {
    const hasAvx512 = /\bavx512f\b/.test(fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '');
    const peakError = compile(tmp, 'fma-peak.c', 'fma-peak',
      { pre: hasAvx512 ? ['-mavx512f', '-mfma'] : ['-mavx2', '-mfma'], post: ['-pthread'] });
    // The peak is a ceiling, so anything else running can only lower a reading: it is read before and after the
    // GEMMs (best of 3 runs each) and the higher reading is the one used.
    const peakRuns = quick ? '1' : '3';
    const readPeak = () => {
      if (peakError) return null;
      const reading = runJson(path.join(tmp, 'fma-peak'), [String(threads), peakRuns]);
      return cpuTime ? { ...reading, gflops: reading.cpuGflops * threads } : reading;
    };
    const peakBefore = readPeak();
    const peerError = cpuTime ? 'disabled by --cpu-time' : fp32Rows ? compile(tmp, 'openblas-sgemm.c', 'openblas-sgemm', { pre: [], post: ['-lopenblas'] })
      : 'disabled by --no-fp32';
    if (peerError && fp32Rows && !cpuTime) {
      process.stderr.write('OpenBLAS is absent (no cblas.h / libopenblas to link): the peer column is null. ' +
        'Install it with `apt-get install libopenblas-dev` (Debian/Ubuntu).\n');
    }
    process.stderr.write(`bertnode sgemm isa=${kernels.gemmActiveIsa()} threads=${threads} reps=${reps}` +
      `${cpuTime ? ' (GFLOP per CPU-second)' : ''}\n`);
    const results = [];
    const bf16Results = [];
    const bf16Families = kernels.gemmBf16Isas();
    if (!bf16Families.length) process.stderr.write('no AMX-BF16 or AVX-512 BF16 on this CPU: no bf16 rows\n');
    const amxPeak = bf16Families.includes('amx') ? common.measureAmxPeak(threads, quick ? 1 : 3, { cpuTime }) : null;

    for (const shape of selected) {
      const flop = 2 * shape.m * shape.n * shape.k * shape.batch;
      // Small shapes get more runs (at least ~20 GFLOP in all) so that their best time is not one timer tick.
      const shapeReps = quick ? 1 : Math.max(reps, Math.ceil(2e10 / flop));
      const ours = fp32Rows ? flop / timeOurs(shape, shapeReps) / 1e9 : null;
      let peer = null;
      if (!peerError) {
        const args = [shape.m, shape.n, shape.k, Number(shape.tA), Number(shape.tB), shape.batch,
          shapeReps].map(String);
        peer = flop / runJson(path.join(tmp, 'openblas-sgemm'), args, peerEnv).seconds / 1e9;
      }
      const layout = `${shape.tA ? 'T' : 'N'}${shape.tB ? 'T' : 'N'}`;
      const dims = `${shape.batch > 1 ? `${shape.batch}x` : ''}${shape.m}x${shape.n}x${shape.k}`;
      for (const family of bf16Families) {
        const bf16Gflops = flop / timeOurs(shape, shapeReps, family) / 1e9;
        bf16Results.push({ metric: `bf16gemm.${family}.${shape.name}.${layout}.${dims}`, ours: round(bf16Gflops),
          peer: ours && round(ours), ratio: ours && round(bf16Gflops / ours), unit, bf16Gflops, family,
          load: round(os.loadavg()[0]) });
      }
      if (fp32Rows) results.push({ metric: `sgemm.${shape.name}.${layout}.${dims}`, ours: round(ours), peer: peer && round(peer),
        ratio: peer && round(ours / peer), unit,
        oursGflops: ours, peerGflops: peer });
    }
    const linearResults = [];
    if (bf16Families.includes('amx') && linearBf16.supported()) {
      for (const shape of quick ? linearShapes.slice(0, 1) : linearShapes) {
        for (const m of quick ? [2048] : [8192, 2048]) {
          const flop = 2 * m * shape.inF * shape.outF;
          const gflops = flop / timeLinearBf16(shape, m, quick ? 1 : reps) / 1e9;
          const kind = shape.epilogue.gelu ? 'bias+gelu->bf16' : 'bias+residual';
          linearResults.push({ metric: `linearbf16.amx.${shape.layer}.${kind}.${m}x${shape.outF}x${shape.inF}`,
            ours: round(gflops), unit, gflops, load: round(os.loadavg()[0]) });
        }
      }
    }
    const peakAfter = readPeak();
    const peak = peakError ? null : Math.max(peakBefore.gflops, peakAfter.gflops);
    emit({ metric: 'fp32_peak', ours: peak && round(peak), peer: null, ratio: null, unit,
      note: peakError ? `could not compile the FMA microkernel: ${peakError}`
        : `${threads} threads x 12 independent ${peakBefore.vectorBits}-bit FMA chains, best of ${peakRuns} runs ` +
          `before and ${peakRuns} after the GEMMs` });
    for (const line of results) {
      const { oursGflops, peerGflops, ...rest } = line;
      emit({ ...rest, oursPeakFraction: peak && round(oursGflops / peak),
        peerPeakFraction: peak && peerGflops && round(peerGflops / peak) });
    }
    if (amxPeak) emit({ metric: 'amx_bf16_peak', ours: round(amxPeak.gflops), peer: null, ratio: null, unit,
      note: amxPeak.note });
    for (const { gflops, ...rest } of linearResults) {
      emit({ ...rest, peer: null, ratio: null, oursPeakFraction: round(gflops / amxPeak.gflops),
        peakNote: 'measured AMX-BF16 peak (amx-peak.c)' });
    }
    for (const line of bf16Results) {
      const { bf16Gflops, family, ...rest } = line;
      const familyPeak = family === 'amx' ? amxPeak.gflops : peak && 2 * peak;
      emit({ ...rest, peerIs: 'bertnode fp32 sgemm', oursPeakFraction: familyPeak && round(bf16Gflops / familyPeak),
        peakNote: family === 'amx' ? 'measured AMX-BF16 peak (amx-peak.c)'
          : 'bf16 peak = 2 x measured FP32 FMA peak (assumed)' });
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function round(x) {
  return Math.round(x * 1000) / 1000;
}

main();

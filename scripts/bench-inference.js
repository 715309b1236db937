#!/usr/bin/env node
// Inference (forward) throughput of bertnode on the CPU against onnxruntime-node on the same model, same inputs,
// same thread count, measured in the same run: forward.{bert-base,minilm-l6}.B8.T256 → logits. Ours runs in fp32 and
// in bf16 (where the CPU has a bf16 GEMM family); PyTorch (scripts/bench/torch_train_step.py: default SDPA attention,
// fp32 and bf16 autocast) is timed too, and the line compares our best with the best of onnxruntime and PyTorch.
//
// The model is made at bench time by scripts/bench/export_onnx.py (torch + transformers): a random-initialised
// BertForSequenceClassification saved as config.json + model.safetensors (which bertnode loads through its own
// loadModel) and exported to model.onnx from the same module, so both runtimes hold identical weights. Before
// timing, both run one padded batch and the logits must agree (tolerance below).
// onnxruntime-node is installed at bench time into a cache folder under the OS temp dir, never into package.json,
// with --ignore-scripts and ONNXRUNTIME_NODE_INSTALL=skip: its install script only downloads the optional CUDA
// provider from the internet; the CPU binary ships inside the npm package. If the Python interpreter lacks the
// `onnx` package that torch's exporter needs, it is pip-installed into the same cache (--target), not into the
// interpreter.
// onnxruntime session: intraOpNumThreads = --threads, interOpNumThreads 1, sequential execution, graph
// optimisation level 'all' (its default fusions: LayerNorm, GELU, attention, ...).
//
// Prints JSON lines {metric, ours, oursPrecision, peer, peerSetting, ratio (both best), unit: 'examples/s',
// ourSeconds: {fp32, bf16, int8 (not counted as our best)}, peerSeconds: {onnxruntime, torchFp32, torchBf16}, gflop,
// oursExecutedGflop (what our first-token last layer runs of gflop: scripts/bench/common.js), oursGflops,
// oursPeakFraction, oursAmxPeakFraction, maxAbsDiff (fp32 logits against onnxruntime)} after the measured FP32 and AMX peaks
// (scripts/bench/common.js).
// Usage: node scripts/bench-inference.js [--threads 2] [--reps 5] [--quick] [--cases bert-base,minilm-l6]
//   --quick: MiniLM-L6 only, 1 warm-up + 1 timed run.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const common = require('./bench/common');
const { loadModel } = require(path.join(common.root, 'dist', 'weights'));

const threads = Number(common.option('threads', '2'));
const quick = process.argv.includes('--quick');
const reps = quick ? 1 : Number(common.option('reps', '5'));
const models = common.option('cases', quick ? 'minilm-l6' : 'bert-base,minilm-l6').split(',');
const B = 8, T = 256;
// Logit agreement: both sides are fp32 but sum in different orders (blocked GEMMs vs MLAS, fused vs unfused
// LayerNorm/GELU/softmax), through up to 12 layers; observed differences are ~1e-6 of logits of size ~0.1-1.
// 1e-4 absolute + 1e-3 relative flags any real mismatch (a wrong mask or weight moves logits by >1e-2).
const ATOL = 1e-4, RTOL = 1e-3;

process.env.BERTNODE_NUM_THREADS = String(threads);
const cacheDir = path.join(os.tmpdir(), 'bertnode-bench-cache');

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

// onnxruntime-node from the npm registry into cacheDir/npm (reused by later runs).
function loadOnnxRuntime() {
  const prefix = path.join(cacheDir, 'npm');
  const entry = path.join(prefix, 'node_modules', 'onnxruntime-node');
  if (!fs.existsSync(entry)) {
    fs.mkdirSync(prefix, { recursive: true });
    process.stderr.write(`installing onnxruntime-node into ${prefix} (bench only, not package.json)\n`);
    const npm = spawnSync('npm', ['install', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund',
      '--no-save', 'onnxruntime-node'], { encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
    if (npm.status !== 0) fail(`npm install onnxruntime-node failed: ${npm.stderr || npm.error}`);
  }
  return { ort: require(entry), version: require(path.join(entry, 'package.json')).version };
}

// A Python that can export: torch + transformers, plus onnx (pip-installed into the cache when missing).
function exporterPython() {
  const found = common.findPython(['torch', 'transformers']);
  if (found.error) fail(`cannot export the model to ONNX: ${found.error}`);
  const env = { ...process.env };
  if (spawnSync(found.python, ['-c', 'import onnx']).status !== 0) {
    const target = path.join(cacheDir, 'python');
    env.BERTNODE_BENCH_PYTHONPATH = target;
    if (spawnSync(found.python, ['-c', 'import onnx'], { env: { ...env, PYTHONPATH: target } }).status !== 0) {
      process.stderr.write(`installing the onnx Python package into ${target} (bench only)\n`);
      const pip = spawnSync(found.python, ['-m', 'pip', 'install', '--quiet', '--target', target, 'onnx'],
        { encoding: 'utf8' });
      if (pip.status !== 0) fail(`pip install onnx failed: ${pip.stderr || pip.error}`);
    }
  }
  return { python: found.python, env };
}

function exportModel(exporter, config, dir) {
  const child = spawnSync(exporter.python, [path.join(__dirname, 'bench', 'export_onnx.py'), dir,
    JSON.stringify(config), String(B), String(T)], { encoding: 'utf8', env: exporter.env, maxBuffer: 16 << 20 });
  if (child.status !== 0) fail(`ONNX export failed: ${(child.stderr || String(child.error)).trim().split('\n').slice(-3).join('\n')}`);
  return JSON.parse(child.stdout.trim().split('\n').pop());
}

// The timed batch is full length (no padding) on both sides; the agreement check uses one with padding.
function paddedBatch(batch) {
  const attentionMask = batch.attentionMask.slice();
  attentionMask.fill(0, (B - 1) * T + T / 2, B * T);
  attentionMask.fill(0, (B - 2) * T + 3, (B - 1) * T);
  return { ...batch, attentionMask };
}

function ortFeeds(ort, batch) {
  const long = (a) => new ort.Tensor('int64', BigInt64Array.from(a, (x) => BigInt(x)), [B, T]);
  return { input_ids: long(batch.inputIds), attention_mask: long(batch.attentionMask),
    token_type_ids: long(batch.tokenTypeIds) };
}

async function timeCalls(call) {
  await call(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) await call();
  return Number(process.hrtime.bigint() - start) / 1e9 / reps;
}

async function benchModel(pkg, { ort, version }, exporter, name, peaks, precisions) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bertnode-bench-${name}-`));
  try {
    const exported = exportModel(exporter, common.MODELS[name], dir);
    const loaded = await loadModel(dir);
    const session = await ort.InferenceSession.create(exported.onnx, { intraOpNumThreads: threads,
      interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    try {
      const { batch } = common.makeBatch(B, T, loaded.config.vocabSize);
      const loadBefore = os.loadavg()[0];
      const ourSeconds = {};
      let maxAbsDiff = null;
      for (const precision of precisions) {
        const ours = pkg.NativeBert.create(loaded.config, { head: 'pooler', trainableLayers: 0, trainEmbeddings: false,
          precision });
        try {
          for (const [param, data] of loaded.tensors) ours.setParameter(param, data);
          if (precision === 'fp32') maxAbsDiff = await checkAgreement(ort, session, ours, batch, name);
          ourSeconds[precision] = await timeCalls(() => ours.forward(batch));
        } finally {
          ours.dispose();
        }
      }
      const feeds = ortFeeds(ort, batch);
      const ortSeconds = await timeCalls(() => session.run(feeds));
      const torch = torchPeer ? common.timeTorch(torchPeer, { name, kind: 'forward', config: loaded.config,
        trainableLayers: 0, trainEmbeddings: false, batchSize: B, seqLen: T, warmup: 1, repeats: reps }, threads)
        : { error: 'no Python with torch + transformers' };
      const peerSeconds = { onnxruntime: ortSeconds, torchFp32: torch.fp32 ?? null, torchBf16: torch.bf16 ?? null };
      const gflop = common.flopCount(loaded.config, { trainableLayers: 0 }, B, T, false) / 1e9;
      const executed = common.executedFlopCount(loaded.config, { trainableLayers: 0 }, B, T, false) / 1e9;
      // int8 (dynamic quantisation, inference only) is timed beside the others but not counted as our best: the
      // peers here run fp32 and bf16, and int8 changes the logits by more than bf16 does.
      const { int8: _int8, ...exact } = ourSeconds;
      const ours = common.fastest(exact), peer = common.fastest(peerSeconds);
      common.emit({
        metric: `inference.${name}.B${B}.T${T}`,
        ours: common.round(B / ours.seconds, 3),
        oursPrecision: ours.name,
        peer: common.round(B / peer.seconds, 3),
        peerSetting: peer.name,
        ratio: common.round(peer.seconds / ours.seconds, 3),
        unit: 'examples/s',
        ourSeconds: Object.fromEntries(Object.entries(ourSeconds).map(([k, v]) => [k, common.round(v)])),
        peerSeconds: Object.fromEntries(Object.entries(peerSeconds).map(([k, v]) => [k, common.round(v)])),
        oursFamilies: common.ourFamilies(precisions),
        gflop: common.round(gflop, 1),
        oursExecutedGflop: common.round(executed, 1),
        oursGflops: common.round(executed / ours.seconds, 1),
        oursPeakFraction: peaks.fp32 && common.round(executed / ours.seconds / peaks.fp32, 3),
        oursAmxPeakFraction: ourSeconds.bf16 && peaks.amx ? common.round(executed / ourSeconds.bf16 / peaks.amx, 3) : null,
        maxAbsDiff,
        threads,
        timedCalls: reps,
        // The 1-minute load average before and after timing: other processes on a shared machine show up here.
        load: [common.round(loadBefore, 2), common.round(os.loadavg()[0], 2)],
        peerVersions: { 'onnxruntime-node': version, ...exported.versions },
        ...(torch.error ? { torchNote: torch.error } : { torchAttention: torch.attention }),
      });
    } finally {
      await session.release();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Our fp32 logits against onnxruntime's on a padded batch (the tolerance above); returns the largest difference.
async function checkAgreement(ort, session, ours, batch, name) {
  const check = paddedBatch(batch);
  const a = (await ours.forward(check)).logits;
  const b = (await session.run(ortFeeds(ort, check))).logits.data;
  let maxAbsDiff = 0, worst = 0;
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    maxAbsDiff = Math.max(maxAbsDiff, diff);
    worst = Math.max(worst, diff / (ATOL + RTOL * Math.abs(b[i])));
  }
  if (!(worst <= 1)) fail(`${name}: logits disagree with onnxruntime (max |diff| ${maxAbsDiff})`);
  return maxAbsDiff;
}

let torchPeer = null;

async function main() {
  const pkg = common.loadPackage();
  const runtime = loadOnnxRuntime();
  const exporter = exporterPython();
  torchPeer = exporter.python;
  const precisions = common.ourPrecisions();
  if (!common.option('precision', '') && require(path.join(common.root, 'dist', 'native')).cpuKernelFamily('int8') !== 'none') {
    precisions.push('int8');
  }
  const peak = common.measurePeak(threads, quick ? 1 : 3);
  const amxPeak = common.measureAmxPeak(threads, quick ? 1 : 3);
  common.emit({ metric: 'fp32_peak', ours: common.round(peak.gflops, 1), peer: null, ratio: null, unit: 'GFLOP/s',
    note: peak.note });
  common.emit({ metric: 'amx_bf16_peak', ours: common.round(amxPeak.gflops, 1), peer: null, ratio: null,
    unit: 'GFLOP/s', note: amxPeak.note });
  for (const name of models) {
    if (!common.MODELS[name]) fail(`unknown model ${name} (known: ${Object.keys(common.MODELS).join(', ')})`);
    await benchModel(pkg, runtime, exporter, name, { fp32: peak.gflops, amx: amxPeak.gflops }, precisions);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

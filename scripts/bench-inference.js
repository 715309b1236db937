#!/usr/bin/env node
// Inference (forward) throughput of bertnode on the CPU against onnxruntime-node on the same model, same inputs,
// same thread count, measured in the same run: forward.{bert-base,minilm-l6}.B8.T256 → logits.
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
// Prints JSON lines {metric, ours, peer, ratio, unit: 'examples/s', oursSeconds, peerSeconds, gflop, oursGflops,
// peerGflops, oursPeakFraction, peerPeakFraction, maxAbsDiff} after the measured FP32 peak (scripts/bench/common.js).
// Usage: node scripts/bench-inference.js [--threads 2] [--reps 5] [--quick] [--cases bert-base,minilm-l6]
//   --quick: MiniLM-L6 only, 1 warm-up + 1 timed run.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const common = require('./bench/common');

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

async function benchModel(pkg, { ort, version }, exporter, name, peak) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bertnode-bench-${name}-`));
  try {
    const exported = exportModel(exporter, common.MODELS[name], dir);
    const loaded = await pkg.loadModel(dir);
    const ours = pkg.NativeBert.create(loaded.config, { head: 'pooler', trainableLayers: 0, trainEmbeddings: false });
    const session = await ort.InferenceSession.create(exported.onnx, { intraOpNumThreads: threads,
      interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
    try {
      for (const [param, data] of loaded.tensors) ours.setParameter(param, data);
      const { batch } = common.makeBatch(B, T, loaded.config.vocabSize);

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

      const feeds = ortFeeds(ort, batch);
      const loadBefore = os.loadavg()[0];
      const oursSeconds = await timeCalls(() => ours.forward(batch));
      const peerSeconds = await timeCalls(() => session.run(feeds));
      const gflop = common.flopCount(loaded.config, { trainableLayers: 0 }, B, T, false) / 1e9;
      common.emit({
        metric: `inference.${name}.B${B}.T${T}`,
        ours: common.round(B / oursSeconds, 3),
        peer: common.round(B / peerSeconds, 3),
        ratio: common.round(peerSeconds / oursSeconds, 3),
        unit: 'examples/s',
        oursSeconds: common.round(oursSeconds),
        peerSeconds: common.round(peerSeconds),
        gflop: common.round(gflop, 1),
        oursGflops: common.round(gflop / oursSeconds, 1),
        peerGflops: common.round(gflop / peerSeconds, 1),
        oursPeakFraction: peak && common.round(gflop / oursSeconds / peak, 3),
        peerPeakFraction: peak && common.round(gflop / peerSeconds / peak, 3),
        maxAbsDiff,
        threads,
        timedCalls: reps,
        // The 1-minute load average before and after timing: other processes on a shared machine show up here.
        load: [common.round(loadBefore, 2), common.round(os.loadavg()[0], 2)],
        peerVersions: { 'onnxruntime-node': version, ...exported.versions },
      });
    } finally {
      ours.dispose();
      await session.release();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const pkg = common.loadPackage();
  const runtime = loadOnnxRuntime();
  const exporter = exporterPython();
  const peak = common.measurePeak(threads, quick ? 1 : 3);
  common.emit({ metric: 'fp32_peak', ours: common.round(peak.gflops, 1), peer: null, ratio: null, unit: 'GFLOP/s',
    note: peak.note });
  for (const name of models) {
    if (!common.MODELS[name]) fail(`unknown model ${name} (known: ${Object.keys(common.MODELS).join(', ')})`);
    await benchModel(pkg, runtime, exporter, name, peak.gflops);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

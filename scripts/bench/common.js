// Shared parts of scripts/bench-train.js and scripts/bench-inference.js: the model shapes, the model-FLOP count, the
// machine's measured FP32 and AMX peaks, random weights, synthetic batches, the PyTorch peer (its interpreter and its
// timings in fp32 and bf16 autocast), our precisions, and the JSON-line output.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');

const COMMON_CONFIG = {
  maxPositionEmbeddings: 512, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2,
};

// Shapes only: the weights are random (throughput does not depend on their values).
const MODELS = {
  'bert-base': { ...COMMON_CONFIG, vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12,
    intermediateSize: 3072 },
  'minilm-l6': { ...COMMON_CONFIG, vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12,
    intermediateSize: 1536 },
};

// classic: the last encoder layer + the head train, embeddings frozen. The head is 'pooler' (tanh pooler, then the
// classifier) so that both sides run exactly Hugging Face BertForSequenceClassification; the classic notebook's
// linear-on-[CLS] head differs only by the pooler's [B,H]x[H,H] product, which is negligible here.
// full: everything trains, embeddings included.
function recipe(name, config) {
  if (name === 'classic') return { head: 'pooler', trainableLayers: 1, trainEmbeddings: false };
  if (name === 'full') return { head: 'pooler', trainableLayers: config.numHiddenLayers, trainEmbeddings: true };
  throw new Error(`unknown recipe ${name}`);
}

// Model FLOPs (multiply-add = 2; GEMMs only: embeddings, LayerNorm, softmax, GELU, dropout and AdamW are not
// counted). Per encoder layer whose query, attention output and MLP run on Q positions of each sequence (Q = T; 1
// for bertnode's first-token last layer, below) while its keys and values run on all T:
//   forward   2 * 2H^2 per token (K, V) + 2 * (2H^2 + 2HI) per query row (Q, attention output, MLP)
//             + 4QTH per sequence (Q K^T and P V)
//   backward  the forward's linear FLOPs again for the weight gradients, 2 * (H^2 + 2HI) per query row for the input
//             gradients inside the layer (attention output, MLP), and, when something below the layer trains,
//             2 * 2H^2 per token + 2 * H^2 per query row through K, V and Q; 8QTH per sequence for the four attention
//             products (dV, dP, dQ, dK).
// With Q = T: 2P forward, 2P + 2P backward (less 3 * 2H^2 when the gradient stops) per token, P = 4H^2 + 2HI.
// Frozen layers below the trained ones run forward only. The head adds the pooler (H x H) and classifier on B rows,
// forward, and backward (weights and input) because the head always trains.
function layerFlops(config, B, T, Q, trained, gradientGoesBelow) {
  const H = config.hiddenSize, I = config.intermediateSize;
  const tokens = B * T, queryRows = B * Q;
  const linears = tokens * 2 * 2 * H * H + queryRows * 2 * (2 * H * H + 2 * H * I);
  const forward = linears + 4 * queryRows * T * H;
  if (!trained) return forward;
  const inputGradients = queryRows * 2 * (H * H + 2 * H * I)
    + (gradientGoesBelow ? tokens * 2 * 2 * H * H + queryRows * 2 * H * H : 0);
  return forward + linears + inputGradients + 8 * queryRows * T * H;
}

// lastLayerQueries: the query positions per sequence of the last layer (T unless it runs as the first-token layer).
function flopCount(config, rec, B, T, training, lastLayerQueries = T) {
  const H = config.hiddenSize, L = config.numHiddenLayers, C = config.numLabels;
  const head = 2 * B * (H * H + H * C);
  const firstTrained = L - rec.trainableLayers;
  let total = training ? 3 * head : head;
  for (let l = 0; l < L; l++) {
    const trained = training && l >= firstTrained;
    total += layerFlops(config, B, T, l === L - 1 ? lastLayerQueries : T, trained, l > firstTrained || rec.trainEmbeddings);
  }
  return total;
}

// The part of flopCount that bertnode executes: under these [CLS]-reading heads its last layer runs as the
// first-token layer (native/model/bert_layer.cpp), one query per sequence. The peers execute all of flopCount; the
// fractions of a peak use what ran. BERTNODE_FIRST_TOKEN_LAYER=0 (the full last layer) executes all of it.
function executedFlopCount(config, rec, B, T, training) {
  return flopCount(config, rec, B, T, training, process.env.BERTNODE_FIRST_TOKEN_LAYER === '0' ? T : 1);
}

// Weights ~ U(-0.05, 0.05) from an LCG, LayerNorm weights 1, biases 0: finite, non-degenerate, no denormals.
function randomWeights(shape, name) {
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  if (name.includes('LayerNorm') && name.endsWith('weight')) return data.fill(1);
  if (name.endsWith('bias')) return data;
  let state = 12345;
  for (let i = 0; i < count; ++i) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = (state / 4294967296 - 0.5) * 0.1;
  }
  return data;
}

function initialise(model) {
  for (const name of model.parameterNames()) model.setParameter(name, randomWeights(model.parameterShape(name), name));
}

// Full-length sequences (no padding), token ids spread over the vocabulary, labels alternating.
function makeBatch(B, T, vocab) {
  const inputIds = new Int32Array(B * T);
  for (let i = 0; i < inputIds.length; ++i) inputIds[i] = 1000 + ((i * 7919) % (vocab - 1000));
  return {
    batch: { inputIds, attentionMask: new Int32Array(B * T).fill(1), tokenTypeIds: new Int32Array(B * T),
      batchSize: B, seqLen: T },
    labels: Int32Array.from({ length: B }, (_, i) => i % 2),
  };
}

// The package as users load it (dist/, built by `npm run build:ts`), with a clear message when it is missing.
function loadPackage() {
  try {
    return require(path.join(root, 'dist'));
  } catch (e) {
    process.stderr.write(`cannot load dist/ (${e.message}); run \`npm run build\` first\n`);
    process.exit(1);
  }
}

// The machine's FP32 peak, measured: scripts/bench/fma-peak.c (also used by bench-gemm.js) runs independent vector
// FMAs with no memory traffic, compiled for AVX-512 where the CPU has it, else AVX2. It runs once on one thread and
// once on `threads` threads; the peak is the larger of (one core's best rate x threads) and the all-thread rate,
// because on a shared machine another process on one core pulls the all-thread figure down while one core's rate
// stays clean (the cores are identical). Returns { gflops, note }, gflops null when it cannot be compiled.
function measurePeak(threads, runs) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-peak-'));
  try {
    const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
    const isa = /\bavx512f\b/.test(cpuinfo) ? ['-mavx512f', '-mfma'] : ['-mavx2', '-mfma'];
    const binary = path.join(tmp, 'fma-peak');
    const cc = spawnSync('cc', ['-O3', ...isa, path.join(__dirname, 'fma-peak.c'), '-o', binary, '-pthread'],
      { encoding: 'utf8' });
    if (cc.status !== 0) return { gflops: null, note: `could not compile fma-peak.c: ${cc.stderr || cc.error}` };
    const run = (n) => {
      const child = spawnSync(binary, [String(n), String(runs)], { encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`fma-peak failed: ${child.stderr}`);
      return JSON.parse(child.stdout);
    };
    const one = run(1), all = run(threads);
    const gflops = Math.max(one.gflops * threads, all.gflops);
    return { gflops, note: `max(1 thread ${one.gflops.toFixed(1)} x ${threads}, ${threads} threads ` +
      `${all.gflops.toFixed(1)}) GFLOP/s of 12 independent ${one.vectorBits}-bit FMA chains, best of ${runs}` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// The machine's AMX-BF16 peak, measured like the FP32 one: scripts/bench/amx-peak.c runs tdpbf16ps on tiles that
// never leave the tile registers, on one thread and on `threads`; the larger of (one core x threads) and the
// all-thread rate. { gflops: null, note } on CPUs/OSes without AMX-BF16 or compilers without -mamx-bf16.
// cpuTime: the rate per CPU-second of `threads` threads, times the threads (bench-gemm.js --cpu-time counts the CPU
// seconds of all its threads).
function measureAmxPeak(threads, runs, { cpuTime = false } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-amx-peak-'));
  try {
    const binary = path.join(tmp, 'amx-peak');
    const cc = spawnSync('cc', ['-O2', '-mamx-tile', '-mamx-bf16', path.join(__dirname, 'amx-peak.c'), '-o', binary,
      '-pthread'], { encoding: 'utf8' });
    if (cc.status !== 0) return { gflops: null, note: `could not compile amx-peak.c: ${cc.stderr || cc.error}` };
    const run = (n) => JSON.parse(spawnSync(binary, [String(n), String(runs)], { encoding: 'utf8' }).stdout);
    if (cpuTime) {
      const all = run(threads);
      if (all.error) return { gflops: null, note: all.error };
      return { gflops: all.cpuGflops * threads, note: `${threads} thread(s) x ${all.cpuGflops.toFixed(1)} GFLOP per ` +
        `CPU-second of tile-only tdpbf16ps, best of ${runs}` };
    }
    const one = run(1);
    if (one.error) return { gflops: null, note: one.error };
    const all = run(threads);
    return { gflops: Math.max(one.gflops * threads, all.gflops), note: `max(1 thread ${one.gflops.toFixed(1)} x ` +
      `${threads}, ${threads} threads ${all.gflops.toFixed(1)}) GFLOP/s of tile-only tdpbf16ps, best of ${runs}` };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// Our precisions on this CPU: fp32 always, bf16 where the engine has a bf16 GEMM family (AMX or AVX-512 BF16), or the
// one --precision names.
function ourPrecisions() {
  const wanted = option('precision', '');
  if (wanted) return [wanted];
  const { cpuKernelFamily } = require(path.join(root, 'dist', 'native'));
  return cpuKernelFamily('bf16') === 'none' ? ['fp32'] : ['fp32', 'bf16'];
}

// The kernel family each of our precisions runs (the name checkpoints record), for the output lines.
function ourFamilies(precisions) {
  const { cpuKernelFamily } = require(path.join(root, 'dist', 'native'));
  return Object.fromEntries(precisions.map((p) => [p, cpuKernelFamily(p)]));
}

// PyTorch's time for one case (scripts/bench/torch_train_step.py) in fp32 and under bf16 autocast, one Python process
// run right after ours so both see the same machine load. Returns { fp32, bf16, versions, attention } in seconds, or
// { error }.
function timeTorch(python, c, threads) {
  const script = path.join(__dirname, 'torch_train_step.py');
  const { model, ...peerCase } = c;
  const child = spawnSync(python, [script, JSON.stringify([peerCase]), String(threads)],
    { encoding: 'utf8', env: threadEnv(threads), maxBuffer: 1 << 20 });
  const lines = (child.stdout || '').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const results = lines.filter((l) => l.case === c.name);
  if (child.status !== 0 || results.length === 0) {
    return { error: `PyTorch peer failed: ${(child.stderr || String(child.error)).trim().split('\n').slice(-2).join(' ')}` };
  }
  const out = { versions: lines[0].versions, attention: results[0].attention };
  for (const r of results) out[r.setting] = r.seconds;
  return out;
}

// The fastest of a set of named timings (seconds; null/undefined entries skipped): { name, seconds }.
function fastest(timings) {
  let best = { name: null, seconds: null };
  for (const [name, seconds] of Object.entries(timings)) {
    if (seconds && (best.seconds === null || seconds < best.seconds)) best = { name, seconds };
  }
  return best;
}

// The interpreter for the Python peers: $BERTNODE_PYTHON, else /work/pyenv/bin/python, else python3 — the first
// that imports every module in `modules`. Returns { python } or { error } saying what is missing.
function findPython(modules) {
  const candidates = [process.env.BERTNODE_PYTHON, '/work/pyenv/bin/python', 'python3'].filter(Boolean);
  const errors = [];
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
    if (probe.status === 0) return { python };
    errors.push(`${python}: ${probe.error ? probe.error.message : probe.stderr.trim().split('\n').pop()}`);
  }
  return { error: `no Python with ${modules.join(' + ')} (${errors.join('; ')})` };
}

// Thread counts for a Python peer's environment (set before torch/onnxruntime start their pools).
function threadEnv(threads) {
  const t = String(threads);
  return { ...process.env, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t };
}

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function emit(line) {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function round(x, digits = 4) {
  if (x === null || x === undefined || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

module.exports = { MODELS, recipe, flopCount, executedFlopCount, initialise, randomWeights, makeBatch, loadPackage, measurePeak,
  measureAmxPeak, ourPrecisions, ourFamilies, timeTorch, fastest, findPython, threadEnv, option, emit, round, root };

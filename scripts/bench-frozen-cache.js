#!/usr/bin/env node
// The frozen-layer cache's effect on time, memory and accuracy. Prints JSON lines {metric, ours, peer, ratio, unit}:
// "ours" with the cache, "peer" the same job from ids.
//
//   node scripts/bench-frozen-cache.js steps [--shapes minilm|bert-base] [--batch 32] [--seq 256] [--trainable 1] [--reps 3]
//     One batch of random ids on random weights: a classic-recipe train step from ids vs from the cached prefix, and
//     the prefix's one-off cost; then an E-epoch projection (build once + E cached epochs vs E epochs from ids).
//   node scripts/bench-frozen-cache.js fit --model <dir> --data <aclImdb tar.gz> [--train 400] [--validation 100]
//       [--epochs 2] [--max-length 256] [--batch 32] [--trainable 1] [--lr 5e-5] [--dtype bf16] [--storage memory]
//     Real reviews: BertClassifier.fit with and without cacheFrozenLayers, same seed, each in its own child process
//     (so peak RSS is its own): wall time, training throughput, peak RSS, validation accuracy.
'use strict';

const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const bertnode = require('../dist');

const SHAPES = {
  minilm: { vocabSize: 30522, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536 },
  'bert-base': { vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072 },
};

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: Object.fromEntries(['shapes', 'batch', 'seq', 'trainable', 'reps', 'model', 'data', 'train', 'validation', 'epochs',
    'max-length', 'lr', 'dtype', 'storage', 'variant', 'seed'].map((k) => [k, { type: 'string' }])),
});
const int = (v, d) => (v === undefined ? d : Number(v));

function line(metric, ours, peer, unit) {
  console.log(JSON.stringify({ metric, ours: +ours.toPrecision(4), peer: +peer.toPrecision(4), ratio: +(peer / ours).toPrecision(4), unit }));
}

async function steps() {
  const shapes = a.shapes ?? 'minilm';
  const B = int(a.batch, 32), T = int(a.seq, 256), K = int(a.trainable, 1), reps = int(a.reps, 3);
  const config = { ...SHAPES[shapes], maxPositionEmbeddings: 512, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2 };
  const model = bertnode.NativeBert.create(config, { head: 'cls', trainableLayers: K, trainEmbeddings: false, device: 'cpu' });
  for (const name of model.parameterNames()) {
    const n = model.parameterShape(name).reduce((x, y) => x * y, 1);
    model.setParameter(name, Float32Array.from({ length: n }, (_, i) => (name.includes('LayerNorm.weight') ? 1 : 0) + Math.sin(i * 0.7 + name.length) * 0.02));
  }
  const batch = { inputIds: Int32Array.from({ length: B * T }, (_, i) => 1000 + ((i * 7919) % 20000)), attentionMask: new Int32Array(B * T).fill(1),
    tokenTypeIds: new Int32Array(B * T), batchSize: B, seqLen: T };
  const labels = Int32Array.from({ length: B }, (_, i) => i % 2);
  const hyper = { lr: 5e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 1, step: 0 };
  const time = async (fn) => {
    await fn(); // warm-up: workspace allocation, page faults
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) await fn();
    return Number(process.hrtime.bigint() - t0) / 1e9 / reps;
  };
  const rss = () => process.memoryUsage().rss;
  const prefix = await model.frozenPrefix(batch);
  const tIds = await time(() => model.trainStep(batch, labels, hyper));
  const rssIds = rss();
  const tPrefix = await time(() => model.trainStep(batch, labels, hyper, { prefixHidden: prefix }));
  const tBuild = await time(() => model.frozenPrefix(batch));
  const tag = `${shapes} B=${B} T=${T} K=${K}`;
  line(`train step, ${tag}`, tPrefix, tIds, 's');
  for (const epochs of [1, 2, 3]) line(`${epochs} epoch(s) per batch incl. building the cache, ${tag}`, tBuild + epochs * tPrefix, epochs * tIds, 's');
  const bf16PerExample = T * config.hiddenSize * 2;
  console.log(JSON.stringify({ metric: `cache size per ${T}-token example (bf16), ${tag}`, value: bf16PerExample, unit: 'bytes',
    note: `process RSS after the from-ids steps ${(rssIds / 2 ** 20).toFixed(0)} MiB, after all ${(rss() / 2 ** 20).toFixed(0)} MiB` }));
  model.dispose();
}

// One fit in this process; prints a JSON result line for the parent.
async function fitVariant() {
  const cache = a.variant === 'cache' ? { storage: a.storage ?? 'memory', dtype: a.dtype ?? 'bf16', batchSize: int(a.batch, 32) } : false;
  const imdb = await bertnode.loadImdb({ source: a.data, seed: 1234 });
  const train = imdb.train.slice(0, int(a.train, 400));
  const validation = imdb.validation.slice(0, int(a.validation, 100));
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  const clf = await bertnode.BertClassifier.fromPretrained(a.model, { device: 'cpu', maxLength: int(a['max-length'], 256), batchSize: int(a.batch, 32),
    trainableLayers: int(a.trainable, 1), seed: int(a.seed, 1234), head: 'cls' });
  let cacheSeconds = 0, cacheStart = 0, lastProgress;
  if (cache) {
    cache.onProgress = (done) => {
      if (!cacheStart) cacheStart = Date.now();
      cacheSeconds = (Date.now() - cacheStart) / 1000;
    };
  }
  const t0 = Date.now();
  const result = await clf.fit(train, { validation, epochs: int(a.epochs, 2), lr: Number(a.lr ?? 5e-5), cacheFrozenLayers: cache, onProgress: (e) => (lastProgress = e) });
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(JSON.stringify({ seconds, cacheSeconds, examplesPerSecond: lastProgress.examplesPerSecond, peakRss: peak,
    accuracy: result.validation.accuracy, loss: result.validation.loss, trainLoss: result.history.epochs.map((e) => e.trainLoss) }));
  clf.dispose();
}

function fit() {
  const args = process.argv.slice(3).filter((x, i, all) => x !== '--variant' && all[i - 1] !== '--variant');
  const run = (variant) => {
    const child = spawnSync(process.execPath, [__filename, 'fit-variant', ...args, '--variant', variant], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) throw new Error(`${variant} run failed (${child.status})`);
    return JSON.parse(child.stdout.trim().split('\n').pop());
  };
  const plain = run('ids');
  const cached = run('cache');
  const tag = `${a.model} train=${a.train ?? 400} val=${a.validation ?? 100} epochs=${a.epochs ?? 2} K=${a.trainable ?? 1} ${a.storage ?? 'memory'} ${a.dtype ?? 'bf16'}`;
  line(`fit wall time (cache build and evaluations included), ${tag}`, cached.seconds, plain.seconds, 's');
  line(`training throughput, ${tag}`, 1 / cached.examplesPerSecond, 1 / plain.examplesPerSecond, 's/example');
  line(`peak RSS, ${tag}`, cached.peakRss / 2 ** 20, plain.peakRss / 2 ** 20, 'MiB');
  console.log(JSON.stringify({ metric: `validation accuracy, ${tag}`, ours: cached.accuracy, peer: plain.accuracy, unit: 'accuracy',
    cacheBuildSeconds: cached.cacheSeconds, validationLoss: { ours: cached.loss, peer: plain.loss }, trainLoss: { ours: cached.trainLoss, peer: plain.trainLoss } }));
}

const mode = positionals[0];
const job = mode === 'steps' ? steps() : mode === 'fit-variant' ? fitVariant() : mode === 'fit' ? Promise.resolve(fit()) : undefined;
if (!job) {
  console.error('usage: node scripts/bench-frozen-cache.js steps|fit [flags] (see the header of this file)');
  process.exit(2);
}
job.catch((e) => {
  console.error(e);
  process.exit(1);
});

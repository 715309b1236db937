#!/usr/bin/env node
// Train-step and forward throughput of bertnode on the CPU against PyTorch (transformers BertForSequenceClassification)
// with the same thread count, measured in the same run, on random weights:
//   train_step.{classic,full}.{bert-base,minilm-l6}.B32.T{128,256}   trainStep: forward with dropout, loss, backward,
//                                                                    global-norm clipping, AdamW
//   forward.{bert-base,minilm-l6}.B8.T256                            inference forward (no dropout)
// classic = the last encoder layer + the head train (embeddings frozen); full = everything trains. The head is the
// pooler one on both sides (Hugging Face BertForSequenceClassification; see scripts/bench/common.js).
// Both sides run in each of their settings and the line compares best with best: ours in fp32 and in bf16 (where the
// CPU has a bf16 GEMM family: AMX or AVX-512 BF16), PyTorch (default SDPA attention) in fp32 and under
// torch.autocast('cpu', dtype=torch.bfloat16).
// Prints one JSON line per case: {metric, ours, oursPrecision, peer, peerSetting, ratio (ours / peer, both best),
// unit: 'examples/s', ourSeconds: {fp32, bf16}, peerSeconds: {fp32, bf16}, oursFamilies, gflop, oursGflops,
// oursPeakFraction (of the FP32 FMA peak), oursAmxPeakFraction (of the AMX peak, bf16 runs), load}, after one line
// each with the machine's measured FP32 and AMX peaks. gflop is the model-FLOP count of one call
// (scripts/bench/common.js flopCount: GEMM FLOPs only, backward only through what trains), oursExecutedGflop the
// part of it bertnode runs (executedFlopCount: its first-token last layer skips rows no head reads); our GFLOP/s and
// peak fractions = oursExecutedGflop / seconds;
// seconds = mean over the timed calls after the warm-up ones.
//
// Usage: node scripts/bench-train.js [--threads 2] [--quick] [--cases name,name...] [--no-peer] [--precision bf16]
//   --precision fp32|bf16: only that precision on our side (default: both where the CPU has bf16).
//   --quick: MiniLM-L6 shapes only, T=128 training, one warm-up + one timed call (checks the script; ~1 minute).
//   --cases: only the metrics whose name contains one of the given strings (e.g. --cases minilm,forward.bert-base).
// Needs the built package (npm run build). The peer needs a Python with torch + transformers ($BERTNODE_PYTHON,
// /work/pyenv/bin/python or python3); without one the peer columns are null and a line says why.
'use strict';
const os = require('os');
const path = require('path');
const common = require('./bench/common');

const threads = Number(common.option('threads', '2'));
const quick = process.argv.includes('--quick');
const filters = common.option('cases', '').split(',').filter(Boolean);

// The addon's pool reads this when it starts (first op).
process.env.BERTNODE_NUM_THREADS = String(threads);

function cases() {
  const list = [];
  const models = quick ? ['minilm-l6'] : ['bert-base', 'minilm-l6'];
  const seqLens = quick ? [128] : [128, 256];
  for (const model of models) {
    const config = common.MODELS[model];
    // bert-base full fine-tuning at T=256 is tens of seconds per step on 2 cores: 1 warm-up + 2 timed steps.
    const timing = quick ? { warmup: 1, repeats: 1 } : { warmup: 1, repeats: model === 'bert-base' ? 2 : 3 };
    for (const recipeName of ['classic', 'full']) {
      for (const T of seqLens) {
        list.push({ name: `train_step.${recipeName}.${model}.B32.T${T}`, kind: 'train', model, config,
          ...common.recipe(recipeName, config), batchSize: 32, seqLen: T, ...timing });
      }
    }
    list.push({ name: `forward.${model}.B8.T256`, kind: 'forward', model, config, ...common.recipe('classic', config),
      batchSize: 8, seqLen: 256, warmup: 1, repeats: quick ? 1 : 3 });
  }
  return filters.length ? list.filter((c) => filters.some((f) => c.name.includes(f))) : list;
}

async function timeOurs(NativeBert, c, precision) {
  const model = NativeBert.create(c.config, { head: c.head, trainableLayers: c.trainableLayers,
    trainEmbeddings: c.trainEmbeddings, precision });
  try {
    common.initialise(model);
    const { batch, labels } = common.makeBatch(c.batchSize, c.seqLen, c.config.vocabSize);
    const hyper = { lr: 5e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 1 };
    const call = c.kind === 'train'
      ? (i) => model.trainStep(batch, labels, { ...hyper, step: i + 1 })
      : () => model.forward(batch, { training: false });
    for (let i = 0; i < c.warmup; i++) await call(i);
    const start = process.hrtime.bigint();
    for (let i = 0; i < c.repeats; i++) await call(c.warmup + i);
    return Number(process.hrtime.bigint() - start) / 1e9 / c.repeats;
  } finally {
    model.dispose();
  }
}

async function main() {
  const { NativeBert } = common.loadPackage();
  const precisions = common.ourPrecisions();
  const peak = common.measurePeak(threads, quick ? 1 : 3);
  const amxPeak = common.measureAmxPeak(threads, quick ? 1 : 3);
  common.emit({ metric: 'fp32_peak', ours: common.round(peak.gflops, 1), peer: null, ratio: null, unit: 'GFLOP/s',
    note: peak.note });
  common.emit({ metric: 'amx_bf16_peak', ours: common.round(amxPeak.gflops, 1), peer: null, ratio: null,
    unit: 'GFLOP/s', note: amxPeak.note });
  const peer = process.argv.includes('--no-peer') ? { error: 'disabled by --no-peer' }
    : common.findPython(['torch', 'transformers']);
  if (peer.error) process.stderr.write(`PyTorch peer skipped: ${peer.error}\n`);

  for (const c of cases()) {
    process.stderr.write(`${c.name}: ${c.warmup} warm-up + ${c.repeats} timed calls each side and setting\n`);
    const loadBefore = os.loadavg()[0];
    const ourSeconds = {};
    for (const precision of precisions) ourSeconds[precision] = await timeOurs(NativeBert, c, precision);
    const theirs = peer.error ? { error: peer.error } : common.timeTorch(peer.python, c, threads);
    const gflop = common.flopCount(c.config, c, c.batchSize, c.seqLen, c.kind === 'train') / 1e9;
    const executed = common.executedFlopCount(c.config, c, c.batchSize, c.seqLen, c.kind === 'train') / 1e9;
    const ours = common.fastest(ourSeconds);
    const best = theirs.error ? { name: null, seconds: null } : common.fastest({ fp32: theirs.fp32, bf16: theirs.bf16 });
    common.emit({
      metric: c.name,
      ours: common.round(c.batchSize / ours.seconds, 3),
      oursPrecision: ours.name,
      peer: best.seconds && common.round(c.batchSize / best.seconds, 3),
      peerSetting: best.name && `torch ${best.name === 'bf16' ? 'bf16 autocast' : 'fp32'} (${theirs.attention})`,
      ratio: best.seconds && common.round(best.seconds / ours.seconds, 3),
      unit: 'examples/s',
      ourSeconds: Object.fromEntries(Object.entries(ourSeconds).map(([k, v]) => [k, common.round(v)])),
      peerSeconds: theirs.error ? null : { fp32: common.round(theirs.fp32), bf16: common.round(theirs.bf16) },
      oursFamilies: common.ourFamilies(precisions),
      gflop: common.round(gflop, 1),
      oursExecutedGflop: common.round(executed, 1),
      oursGflops: common.round(executed / ours.seconds, 1),
      oursPeakFraction: peak.gflops && common.round(executed / ours.seconds / peak.gflops, 3),
      oursAmxPeakFraction: ourSeconds.bf16 && amxPeak.gflops ? common.round(executed / ourSeconds.bf16 / amxPeak.gflops, 3)
        : null,
      threads,
      timedCalls: c.repeats,
      // The 1-minute load average before and after the case: other processes on a shared machine show up here.
      load: [common.round(loadBefore, 2), common.round(os.loadavg()[0], 2)],
      ...(theirs.error ? { peerNote: theirs.error } : { peerVersions: theirs.versions }),
    });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

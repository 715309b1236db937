#!/usr/bin/env node
// GPU benchmark of bertnode's CUDA backend on bert-base shapes (random weights), printed as JSON lines
// {metric, ours, peer, ratio, unit, ...}: train-step throughput for the classic recipe (last encoder layer + [CLS]
// head, embeddings frozen) and for full fine-tuning, and forward (inference) throughput, at B = 32 and T = 128 and
// 256, each with its model-FLOP utilisation against the card's peak. `peer` is PyTorch + transformers on the same
// GPU, same shapes and precision, measured in the same run when `python3` can import torch (with CUDA) and
// transformers; otherwise null with the reason. ratio = peer seconds / our seconds (above 1: bertnode is faster).
//
// Runs with node alone (no npm, no TypeScript build): node scripts/bench-gpu.js [--precision fp32|tf32|bf16]
// [--batch 32] [--seq 128,256] [--steps 10] [--warmup 3] [--no-peer]. Without a GPU it prints one line saying why
// and exits 0. --device cpu runs the same measurements on the CPU addon (build/Release/bertnode.node), and the peer on
// PyTorch's CPU, to check this script and the peer's on a machine without a GPU (use small --batch/--seq: bert-base
// on a few cores is slow).
//
// FLOPs (the usual model-FLOP convention: multiply-add = 2, GEMMs only): per token, an encoder layer's forward is
// 2 * (4H^2 + 2HI) for its linear layers plus 4TH for Q K^T and P V. A trained layer's backward costs twice its
// forward; frozen layers below the trained ones run forward only. Embedding lookups, LayerNorm, softmax, the head:
// not counted (under 1%).
'use strict';
const path = require('path');
const { spawnSync } = require('child_process');
const { loadCudaOrExit } = require('./gpu-check/load-cuda');

const BERT_BASE = {
  vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072,
  maxPositionEmbeddings: 512, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2,
};

const RECIPES = {
  classic: { head: 'cls', trainableLayers: 1, trainEmbeddings: false },
  full: { head: 'pooler', trainableLayers: BERT_BASE.numHiddenLayers, trainEmbeddings: true },
};

// Dense peak TFLOP/s by card (vendor datasheets, without sparsity), matched on the device name.
const PEAKS = [
  { match: /H100.*PCIe/i, fp32: 51, tf32: 378, bf16: 756 },
  { match: /H100 NVL/i, fp32: 60, tf32: 418, bf16: 835 },
  { match: /H100|H200|GH200/i, fp32: 67, tf32: 495, bf16: 989 },
  { match: /A100/i, fp32: 19.5, tf32: 156, bf16: 312 },
  { match: /L40S/i, fp32: 91.6, tf32: 183, bf16: 362 },
  { match: /A10\b|A10G/i, fp32: 31.2, tf32: 62.5, bf16: 125 },
  { match: /L4\b/i, fp32: 30.3, tf32: 60, bf16: 121 },
];

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const deviceName = option('--device', 'cuda');
const precision = option('--precision', 'fp32');
const batchSize = Number(option('--batch', '32'));
const seqLens = option('--seq', '128,256').split(',').map(Number);
const steps = Number(option('--steps', '10'));
const warmup = Number(option('--warmup', '3'));

function layerForwardFlops(tokens, T, c) {
  const H = c.hiddenSize;
  const I = c.intermediateSize;
  return tokens * (2 * (4 * H * H + 2 * H * I) + 4 * T * H);
}

function trainStepFlops(recipe, B, T, c) {
  const layer = layerForwardFlops(B * T, T, c);
  const trained = recipe.trainableLayers;
  return c.numHiddenLayers * layer + 2 * trained * layer;
}

function forwardFlops(B, T, c) {
  return c.numHiddenLayers * layerForwardFlops(B * T, T, c);
}

// Weights ~ U(-0.05, 0.05) from a fast LCG (values do not matter for speed, only that they are finite and
// non-degenerate), LayerNorm weights 1, biases 0.
function initialise(model) {
  let state = 12345;
  for (const name of model.parameterNames()) {
    const count = model.parameterShape(name).reduce((a, b) => a * b, 1);
    const data = new Float32Array(count);
    if (name.includes('LayerNorm') && name.endsWith('weight')) data.fill(1);
    else if (!name.endsWith('bias')) {
      for (let i = 0; i < count; ++i) {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        data[i] = (state / 4294967296 - 0.5) * 0.1;
      }
    }
    model.setParameter(name, data);
  }
}

function makeBatch(B, T, vocab) {
  const inputIds = new Int32Array(B * T);
  for (let i = 0; i < inputIds.length; ++i) inputIds[i] = 1000 + ((i * 7919) % (vocab - 1000));
  return {
    batch: { inputIds, attentionMask: new Int32Array(B * T).fill(1), tokenTypeIds: new Int32Array(B * T), batchSize: B,
      seqLen: T },
    labels: Int32Array.from({ length: B }, (_, i) => i % 2),
  };
}

async function timeIt(fn) {
  for (let i = 0; i < warmup; ++i) await fn(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < steps; ++i) await fn(warmup + i);
  return Number(process.hrtime.bigint() - start) / 1e9 / steps; // seconds per call; each call ends synchronised
}

async function measureOurs(addon, T) {
  const results = {};
  const { batch, labels } = makeBatch(batchSize, T, BERT_BASE.vocabSize);
  const hyper = { lr: 2e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 1 };
  for (const [recipeName, recipe] of Object.entries(RECIPES)) {
    const model = new addon.BertModel(BERT_BASE, { ...recipe, device: deviceName, precision });
    try {
      initialise(model);
      results[`train_step.${recipeName}`] = await timeIt((i) => model.trainStep(batch, labels, { ...hyper, step: i + 1 }));
      if (recipeName === 'classic') results.forward = await timeIt(() => model.forward(batch, { training: false }));
    } finally {
      model.dispose();
    }
  }
  return results;
}

// PyTorch + transformers on the same GPU, same shapes; seconds per call by metric, or { error }.
function measurePeer(T) {
  if (process.argv.includes('--no-peer')) return { error: 'disabled by --no-peer' };
  const script = path.join(__dirname, 'gpu-check', 'torch_peer.py');
  const args = JSON.stringify({ config: BERT_BASE, recipes: RECIPES, precision, batchSize, seqLen: T, steps, warmup,
    device: deviceName === 'cpu' ? 'cpu' : 'cuda' });
  const child = spawnSync(process.env.PYTHON || 'python3', [script, args], { encoding: 'utf8', timeout: 30 * 60 * 1000 });
  if (child.error) return { error: `python3 could not run: ${child.error.message}` };
  const line = (child.stdout || '').trim().split('\n').pop();
  try {
    return JSON.parse(line);
  } catch {
    return { error: `PyTorch peer failed: ${(child.stderr || '').trim().split('\n').slice(-2).join(' ')}` };
  }
}

async function main() {
  const { addon, probe } = deviceName === 'cpu'
    ? { addon: require(path.join(__dirname, '..', 'build', 'Release', 'bertnode.node')),
      probe: { devices: [{ name: 'cpu', computeCapability: null }] } }
    : loadCudaOrExit('bench-gpu');
  const device = probe.devices[0];
  const peak = PEAKS.find((p) => p.match.test(device.name));
  const peakTflops = peak ? peak[precision] : null;
  console.log(JSON.stringify({ metric: 'device', name: device.name, computeCapability: device.computeCapability,
    precision, peakTflops, peakSource: peak ? 'datasheet, dense' : 'unknown card: no MFU' }));
  for (const T of seqLens) {
    const ours = await measureOurs(addon, T);
    const peer = measurePeer(T);
    for (const [metric, seconds] of Object.entries(ours)) {
      const flops = metric === 'forward' ? forwardFlops(batchSize, T, BERT_BASE)
        : trainStepFlops(RECIPES[metric.split('.')[1]], batchSize, T, BERT_BASE);
      const tflops = flops / seconds / 1e12;
      const peerSeconds = peer.error ? null : peer[metric];
      console.log(JSON.stringify({
        metric: `${metric}.bert-base.B${batchSize}.T${T}.${precision}`,
        ours: batchSize / seconds,
        peer: peerSeconds ? batchSize / peerSeconds : null,
        ratio: peerSeconds ? peerSeconds / seconds : null,
        unit: 'examples/s',
        msPerStep: seconds * 1e3,
        tflops,
        mfu: peakTflops ? tflops / peakTflops : null,
        ...(peer.error ? { peerNote: peer.error } : { peerVersions: peer.versions }),
      }));
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

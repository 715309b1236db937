#!/usr/bin/env node
// Plain-node check of a device against PyTorch + transformers, for a GPU machine (no npm needed): the committed
// golden fixtures (test/fixtures/golden, written by scripts/golden/generate_golden.py) run on the CUDA backend —
// embeddings, every hidden state and attention map, logits, loss, every gradient, 3 AdamW steps — with the
// tolerances of test/native/golden.test.ts, the CPU backend's own check. One JSON line per tensor, a summary line,
// exit status 1 on any failure. Without a usable GPU it prints one line saying why and exits 0.
// Flags: --device cpu (check this script on a machine without a GPU: the CPU backend must pass as in jest),
// --precision tf32|bf16 (looser tolerances, measured and stated below, so the output shows how far the fast paths
// drift from PyTorch's fp32; tf32 is CUDA only, bf16 also runs on CPUs with AVX-512 BF16).
'use strict';
const fs = require('fs');
const path = require('path');
const { loadCudaOrExit, probeCuda } = require('./load-cuda');
const { maxAbs, normalizedMaxError, relativeError: relative } = require('./data');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const device = option('--device', 'cuda');
const precision = option('--precision', 'fp32');
// test/native/golden.test.ts explains each fp32 bound; KEY_BIAS_NOISE: the key bias's exact gradient is 0, so both
// sides hold only rounding noise. The bf16 and tf32 bounds were set against measured runs on these fixtures, each
// about 3x the worst error seen:
// - bf16 against the CPU backend's bf16 run (`--device cpu --precision bf16`), which rounds the same operands the
//   same way as the GPU (round-to-nearest-even to bf16 in every GEMM, fp32 sums in another order): worst 3.7e-3
//   forward, 1.6e-2 gradients, 9.7e-3 step loss/norm, 7.4e-2 parameters after 3 steps, key-bias noise 6.0e-5.
// - tf32 against the emulated CUDA device (test/cuda-emulation: operands rounded to TF32's 10-bit mantissa, fp32
//   sums): worst 7.8e-4 forward, 1.6e-3 gradients, 3.3e-2 parameters after 3 steps, key-bias noise 2.7e-6. The
//   parameters do not shrink with the finer rounding as the rest does: AdamW divides each step by sqrt(v), so a
//   parameter whose gradient is small takes a full-size step in whichever direction the rounding tips it.
const TOLERANCES = {
  fp32: { forward: 1e-5, gradient: 1e-4, adamw: 2e-4, stepScalar: 1e-4, keyBiasNoise: 1e-7 },
  tf32: { forward: 3e-3, gradient: 5e-3, adamw: 0.1, stepScalar: 5e-3, keyBiasNoise: 1e-5 },
  bf16: { forward: 1e-2, gradient: 0.1, adamw: 0.2, stepScalar: 0.05, keyBiasNoise: 3e-4 },
}[precision];
if (!TOLERANCES) throw new Error(`--precision must be fp32, tf32 or bf16 (got '${precision}')`);
const FORWARD_TOL = TOLERANCES.forward;
const GRADIENT_TOL = TOLERANCES.gradient;
const ADAMW_TOL = TOLERANCES.adamw;
const STEP_SCALAR_TOL = TOLERANCES.stepScalar;
const KEY_BIAS_NOISE = TOLERANCES.keyBiasNoise;

const goldenDir = path.join(__dirname, '..', '..', 'test', 'fixtures', 'golden');
const manifest = JSON.parse(fs.readFileSync(path.join(goldenDir, 'manifest.json'), 'utf8'));
const bin = fs.readFileSync(path.join(goldenDir, 'golden.bin'));

function tensor(key) {
  const ref = manifest.tensors[key];
  if (!ref) throw new Error(`fixture tensor '${key}' is missing`);
  const count = ref.shape.reduce((a, b) => a * b, 1);
  const bytes = bin.buffer.slice(bin.byteOffset + ref.offset, bin.byteOffset + ref.offset + count * 4);
  return ref.dtype === 'i32' ? new Int32Array(bytes) : new Float32Array(bytes);
}

function batch(i) {
  const b = manifest.batches[i];
  return {
    batch: { inputIds: tensor(b.inputIds), attentionMask: tensor(b.attentionMask), tokenTypeIds: tensor(b.tokenTypeIds),
      batchSize: b.batchSize, seqLen: b.seqLen },
    labels: tensor(b.labels),
  };
}

function loadAddon() {
  if (device !== 'cpu') return loadCudaOrExit('golden-parity').addon;
  const availability = probeCuda();
  const cpuAddon = path.join(__dirname, '..', '..', 'build', 'Release', 'bertnode.node');
  return require(availability.probe ? availability.addonPath : cpuAddon);
}

let failures = 0;
let comparisons = 0;
function report(fixture, check, error, tolerance) {
  const passed = error <= tolerance;
  comparisons += 1;
  if (!passed) failures += 1;
  console.log(JSON.stringify({ fixture, check, error, tolerance, passed }));
}


async function checkFixture(addon, fixture) {
  const model = new addon.BertModel(manifest.config, { head: fixture.head, trainableLayers: fixture.trainableLayers,
    trainEmbeddings: fixture.trainEmbeddings, device, precision });
  try {
    for (const name of Object.keys(manifest.parameters)) model.setParameter(name, tensor(`init.${name}`));
    const L = manifest.config.numHiddenLayers;
    const { batch: b0, labels: l0 } = batch(0);
    const out = await model.forward(b0, { labels: l0, attentionLayers: [...Array(L).keys()], outputHiddenStates: true });
    report(fixture.name, 'embeddings', normalizedMaxError(out.hiddenStates[0], tensor(fixture.embeddings)), FORWARD_TOL);
    for (let i = 0; i < L; ++i) {
      report(fixture.name, `hidden state ${i}`, normalizedMaxError(out.hiddenStates[i + 1], tensor(fixture.hiddenStates[i])),
        FORWARD_TOL);
      report(fixture.name, `attention ${i}`, normalizedMaxError(out.attentions[i], tensor(fixture.attentions[i])), FORWARD_TOL);
    }
    report(fixture.name, 'logits', normalizedMaxError(out.logits, tensor(fixture.logits)), FORWARD_TOL);
    report(fixture.name, 'loss', relative(out.loss, fixture.loss), FORWARD_TOL);

    await model.accumulateGradients(b0, l0, { scale: 1 });
    for (const [name, key] of Object.entries(fixture.gradients)) {
      const grad = model.getGradient(name);
      if (name.endsWith('attention.self.key.bias')) {
        report(fixture.name, `grad ${name} is rounding noise`, Math.max(maxAbs(grad), maxAbs(tensor(key))), KEY_BIAS_NOISE);
      } else {
        report(fixture.name, `grad ${name}`, normalizedMaxError(grad, tensor(key)), GRADIENT_TOL);
      }
    }
    const { gradNorm } = await model.applyOptimizer(manifest.hyper);
    report(fixture.name, 'step 1 grad norm', relative(gradNorm, fixture.steps[0].gradNorm), STEP_SCALAR_TOL);
    for (let s = 1; s < fixture.steps.length; ++s) {
      const { batch: bs, labels: ls } = batch(s);
      const r = await model.trainStep(bs, ls, { ...manifest.hyper, seed: 0, step: s });
      report(fixture.name, `step ${s + 1} loss`, relative(r.loss, fixture.steps[s].loss), STEP_SCALAR_TOL);
      report(fixture.name, `step ${s + 1} grad norm`, relative(r.gradNorm, fixture.steps[s].gradNorm), STEP_SCALAR_TOL);
    }
    for (const [name, key] of Object.entries(fixture.paramsAfterSteps)) {
      report(fixture.name, `${name} after ${fixture.steps.length} steps`, normalizedMaxError(model.getParameter(name),
        tensor(key)), ADAMW_TOL);
    }
  } finally {
    model.dispose();
  }
}

async function main() {
  const addon = loadAddon();
  for (const fixture of manifest.fixtures) await checkFixture(addon, fixture);
  console.log(JSON.stringify({ metric: 'golden-parity', device, precision, torch: manifest.torch,
    transformers: manifest.transformers, comparisons, failed: failures }));
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

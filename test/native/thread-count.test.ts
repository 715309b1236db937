// The CPU backend's numbers do not depend on how many threads run it: each output element is computed by one thread
// in one fixed order (GEMM tiles split over M and N, never over K; reductions in fixed blocks added in block order),
// and chunk boundaries fall on multiples of the grain, so a vectorised loop handles the same elements in its body
// and its scalar tail whatever the split (before that, 3 threads changed the first layer's output and every
// gradient). So a checkpoint need not record the thread count, and a run resumed on a machine with another core
// count continues bit for bit. Shapes large enough that every op splits (hidden 256, FFN 1024, 8 x 64 tokens): full
// fine-tuning with dropout, two AdamW steps, in fresh processes with BERTNODE_NUM_THREADS 1, 2, 3 and 5 (more
// threads than cores is fine: only the partition matters).
import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadKernels } from '../gemm/kernels';

const root = path.resolve(__dirname, '..', '..');

// Prints the SHA-256 of every parameter after two steps, the losses and gradient norms, the SHA-256 of the logits of
// an inference forward after them (in bf16 on AMX: the bf16-activation layers, native/model/bf16_activations.h), and
// the thread count used.
const TRAIN_TWO_STEPS = `
const crypto = require('crypto');
const addon = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)});
const { randomFloats, randomInts } = require(${JSON.stringify(path.join(root, 'scripts', 'gpu-check', 'data.js'))});
const config = { vocabSize: 500, hiddenSize: 256, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 1024,
  maxPositionEmbeddings: 128, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2 };
const B = 8, T = 64;
const head = process.env.HEAD;
const model = new addon.BertModel(config, { head, trainableLayers: 2, trainEmbeddings: true, device: 'cpu',
  precision: process.env.PRECISION });
model.parameterNames().forEach((name, i) => {
  const size = model.parameterShape(name).reduce((a, b) => a * b, 1);
  model.setParameter(name, randomFloats(size, 100 + i, 0.05));
});
const attentionMask = Int32Array.from({ length: B * T }, (_, i) => (i % T < T - 7 * (Math.floor(i / T) % 4) ? 1 : 0));
const batch = { inputIds: randomInts(B * T, 500, 1), attentionMask,
  tokenTypeIds: Int32Array.from({ length: B * T }, (_, i) => (i % T >= T / 2 ? 1 : 0)), batchSize: B, seqLen: T };
// Pre-training: masked-LM labels on ~1 token in 7 (-100 elsewhere), then next-sentence labels.
const labels = head === 'pretraining'
  ? Int32Array.from([...randomInts(B * T, 500, 3).map((id, i) => (i % 7 === 3 ? id : -100)), ...randomInts(B, 2, 4)])
  : randomInts(B, 2, 2);
const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 7 };
(async () => {
  const steps = [];
  for (let step = 0; step < 2; step++) steps.push(await model.trainStep(batch, labels, { ...hyper, step }));
  const hash = crypto.createHash('sha256');
  for (const name of model.parameterNames()) hash.update(Buffer.from(model.getParameter(name).buffer));
  const { logits } = await model.forward(batch, {});
  const inference = crypto.createHash('sha256').update(Buffer.from(logits.buffer)).digest('hex');
  console.log(JSON.stringify({ threads: addon.numThreads(), steps, parameters: hash.digest('hex'), inference }));
  model.dispose();
})();`;

interface RunResult {
  threads: number;
  steps: unknown[];
  parameters: string;
  inference: string;
}

function trainWithThreads(precision: string, threads: number, head = 'pooler'): RunResult {
  const run = spawnSync(process.execPath, ['-e', TRAIN_TWO_STEPS], { encoding: 'utf8', timeout: 120000,
    env: { ...process.env, BERTNODE_NUM_THREADS: String(threads), PRECISION: precision, HEAD: head } });
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout);
}

// bf16 GEMMs run only on CPUs with AVX-512 BF16 (elsewhere the engine refuses them, see test/native/bf16).
const precisions = loadKernels().gemmBf16Available() ? ['fp32', 'bf16'] : ['fp32'];

test.each(precisions)('%s: full fine-tuning gives bit-identical losses and parameters, then inference logits, with 1, 2, 3 and 5 threads',
  (precision) => {
    const [one, two, three, five] = [1, 2, 3, 5].map((threads) => trainWithThreads(precision, threads));
    expect([one.threads, two.threads, three.threads, five.threads]).toEqual([1, 2, 3, 5]);
    expect(two.steps).toEqual(one.steps);
    expect(three.steps).toEqual(one.steps);
    expect(five.steps).toEqual(one.steps);
    expect(two.parameters).toBe(one.parameters);
    expect(three.parameters).toBe(one.parameters);
    expect(five.parameters).toBe(one.parameters);
    expect([two.inference, three.inference, five.inference]).toEqual([one.inference, one.inference, one.inference]);
  }, 300000);

// The task heads' own ops run in one fixed order too: pre-training (the masked-LM cross-entropy over the vocabulary
// with ignored rows, the decoder tied to the word table, next-sentence prediction on the pooler) trains to the same
// bits with 1 and 3 threads.
test('pre-training head: bit-identical losses and parameters with 1 and 3 threads', () => {
  const [one, three] = [1, 3].map((threads) => trainWithThreads('fp32', threads, 'pretraining'));
  expect([one.threads, three.threads]).toEqual([1, 3]);
  expect(three.steps).toEqual(one.steps);
  expect(three.parameters).toBe(one.parameters);
}, 300000);

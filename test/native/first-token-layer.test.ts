// The first-token layer (native/model/bert_layer.cpp): a head that reads only each sequence's [CLS] row (sequence
// classification, multiple choice, [CLS]-pooled embeddings) gets a last layer that computes every key and value but
// everything else for the [CLS] rows alone. Its numbers must be the full layer's: each case runs one training step
// here (the default: the first-token layer) and in a child process with BERTNODE_FIRST_TOKEN_LAYER=0 (the full last
// layer, on the same addon binary; helpers/first-token-child.js), and the loss, every gradient, the updated weights and the eval logits are compared —
// with live dropout, whose masks the [CLS] rows must share with the full tensors.
//
// Tolerance: both runs do the same fp32 arithmetic on the [CLS] rows, but the GEMMs see M = B rows instead of B*T,
// so their blocking, and the order of a few sums (a weight gradient's sum over rows, where the full layer adds the
// other rows' exact zeros), may differ: 2e-6 of each tensor's largest magnitude. bf16 (bf16 GEMM operands) is looser,
// 2e-2, because the full last layer's inference runs on bf16 activations where the first-token layer keeps fp32
// activations between its bf16 GEMMs.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { CONFIG, RunResult, RunSpec, makeBatch, makeModel, runSpec } from './helpers/first-token-run';

const child = path.join(__dirname, 'helpers', 'first-token-child.js');
// The binary the CPU loader resolves (under npm run test:asan, the sanitizer build); the child loads that one.
const addon = (require('node-gyp-build') as { path(dir: string): string }).path(path.resolve(__dirname, '..', '..'));

function runFullLastLayer(spec: RunSpec): RunResult {
  const run = spawnSync(process.execPath, [child, addon, JSON.stringify(spec)],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, BERTNODE_FIRST_TOKEN_LAYER: '0' } });
  if (run.status !== 0) throw new Error(`child failed (${run.status ?? run.signal}): ${run.stderr}`);
  return JSON.parse(run.stdout) as RunResult;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

// Max |a - b| over max |b|, named, so a failure says which tensor.
function expectClose(name: string, a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number): void {
  expect([name, a.length]).toEqual([name, b.length]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  const error = diff / Math.max(maxAbs(b), 1e-30);
  expect({ name, error: error <= tolerance ? 'within' : error }).toEqual({ name, error: 'within' });
}

async function expectSameNumbers(spec: RunSpec, tolerance: number): Promise<void> {
  const first = await runSpec(spec);
  const full = runFullLastLayer(spec);
  // Each process took its path, as its workspace shows: in training the first-token layer holds less (a forward
  // alone holds its keys and values besides the transient layers', so it differs either way); a batch of one
  // position runs the full layer.
  if (spec.T === 1) expect(first.nativeBytes).toBe(full.nativeBytes);
  else if (spec.inferenceOnly) expect(first.nativeBytes).not.toBe(full.nativeBytes);
  else expect(first.nativeBytes).toBeLessThan(full.nativeBytes);
  expect(Math.abs(first.loss - full.loss)).toBeLessThanOrEqual(tolerance * Math.abs(full.loss));
  expect(first.logits.length).toBeGreaterThan(0);
  expect(Object.keys(first.gradients)).toEqual(Object.keys(full.gradients));
  for (const name of Object.keys(full.gradients)) {
    expectClose(`d ${name}`, first.gradients[name], full.gradients[name], tolerance);
    expectClose(name, first.updated[name], full.updated[name], tolerance);
  }
  expectClose('logits', first.logits, full.logits, tolerance);
}

const LABELS = [2, 0, 1, 1, 0];

describe('the first-token layer gives the full last layer\'s numbers', () => {
  test('sequence classification (pooler), every layer and the embeddings training, live dropout', async () => {
    await expectSameNumbers({ options: { head: 'pooler' }, B: 5, T: 13, labels: LABELS }, 2e-6);
  });

  test('the classic recipe: last layer + linear [CLS] head from the frozen prefix, live dropout', async () => {
    await expectSameNumbers({ options: { head: 'cls', trainableLayers: 1, trainEmbeddings: false }, B: 5, T: 13,
      labels: LABELS, fromPrefix: true }, 2e-6);
  });

  test.each([1, 2, 130])('a single-layer model (the layer reads the embeddings), T = %i', async (T) => {
    // T = 130: more keys than one 128-row strip of the fused attention.
    await expectSameNumbers({ options: { head: 'cls' }, config: { numHiddenLayers: 1, maxPositionEmbeddings: 160 }, B: 3, T,
      labels: [1, 2, 0] }, 2e-6);
  });

  test.each(['multi_label_classification', 'regression'] as const)('%s', async (problemType) => {
    const targets = Array.from({ length: 5 * 3 }, (_, i) => (problemType === 'regression' ? Math.sin(i) : i % 2));
    await expectSameNumbers({ options: { head: 'pooler', problemType }, B: 5, T: 9, labels: targets, floatLabels: true },
      2e-6);
  });

  test('[CLS]-pooled sentence embeddings (inference)', async () => {
    await expectSameNumbers({ options: { head: 'embedding', pooling: 'cls', normalize: true }, B: 5, T: 13, labels: [],
      inferenceOnly: true }, 2e-6);
  });

  test('int8 inference (the Linear layers on their int8 copies)', async () => {
    await expectSameNumbers({ options: { head: 'pooler', precision: 'int8' }, B: 5, T: 13, labels: [], inferenceOnly: true },
      2e-6);
  });

  test('multiple choice', async () => {
    await expectSameNumbers({ options: { head: 'multiple-choice', numChoices: 3 }, B: 6, T: 11, labels: [2, 0] }, 2e-6);
  });

  test('bf16 precision', async () => {
    let bf16 = true;
    try {
      makeModel({ precision: 'bf16' }).dispose();
    } catch {
      bf16 = false;  // no AVX-512 BF16 on this CPU: refused, as bf16.test.ts checks
    }
    if (bf16) await expectSameNumbers({ options: { head: 'pooler', precision: 'bf16' }, B: 5, T: 13, labels: LABELS }, 2e-2);
  });
});

describe('where the full last layer still runs', () => {
  const batch = makeBatch(4, 13);

  test('hidden states and the last layer\'s attention come whole, with the same logits', async () => {
    const m = makeModel({ head: 'pooler' });
    const last = CONFIG.numHiddenLayers - 1;
    const plain = await m.forward(batch);
    const withHidden = await m.forward(batch, { outputHiddenStates: true });
    const withAttention = await m.forward(batch, { attentionLayers: [last] });
    expect(withHidden.hiddenStates).toHaveLength(CONFIG.numHiddenLayers + 1);
    expect(withHidden.hiddenStates[CONFIG.numHiddenLayers]).toHaveLength(batch.batchSize * batch.seqLen * CONFIG.hiddenSize);
    expect(withAttention.attentions[0]).toHaveLength(batch.batchSize * CONFIG.numAttentionHeads * batch.seqLen ** 2);
    expectClose('logits with hidden states', withHidden.logits, plain.logits, 2e-6);
    expectClose('logits with attention', withAttention.logits, plain.logits, 2e-6);
    m.dispose();
  });

  test('heads that read every position (token classification, mean-pooled embeddings) are untouched by the switch', async () => {
    const specs: RunSpec[] = [
      { options: { head: 'token-classification' }, B: 4, T: 13, labels: Array.from({ length: 4 * 13 }, (_, i) => i % 3) },
      { options: { head: 'embedding', pooling: 'mean' }, B: 4, T: 13, labels: [], inferenceOnly: true },
    ];
    for (const spec of specs) {
      const here = await runSpec(spec), full = runFullLastLayer(spec);
      expect(here).toEqual(full);
    }
  });
});

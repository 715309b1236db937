// The frozen-layer cache's engine side: frozenPrefix(batch) and calls that start from prefixHidden.
// With dropout off, starting from the prefix runs exactly the same ops on the same inputs as starting from the ids,
// so logits, losses, gradients and updated parameters are compared bit for bit.
import { ValidationError } from '../../lib/errors';
import { Batch, BertConfig, NativeBert, NativeBertOptions } from '../../lib/native';

const CONFIG: BertConfig = {
  vocabSize: 30, hiddenSize: 16, numHiddenLayers: 3, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16,
  typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, classifierDropout: null, numLabels: 3,
};
const H = CONFIG.hiddenSize;
const HYPER = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 5, step: 3 };

function makeModel(options: NativeBertOptions, config: Partial<BertConfig> = {}): NativeBert {
  const m = NativeBert.create({ ...CONFIG, ...config }, { head: 'cls', trainableLayers: 1, trainEmbeddings: false, device: 'cpu', ...options });
  for (const name of m.parameterNames()) {
    const n = m.parameterShape(name).reduce((a, b) => a * b, 1);
    const ln = name.includes('LayerNorm.weight');
    m.setParameter(name, Float32Array.from({ length: n }, (_, i) => (ln ? 1 : 0) + Math.sin(i * 1.7 + name.length * 0.37) * 0.3));
  }
  return m;
}

// Three rows with padding (lengths 7, 4, 2) and both token types.
function makeBatch(): Batch {
  const B = 3, T = 7, lengths = [7, 4, 2];
  const inputIds = new Int32Array(B * T), attentionMask = new Int32Array(B * T), tokenTypeIds = new Int32Array(B * T);
  for (let r = 0; r < B; r++) {
    for (let t = 0; t < lengths[r]; t++) {
      inputIds[r * T + t] = (r * 7 + t * 3 + 1) % CONFIG.vocabSize;
      attentionMask[r * T + t] = 1;
      tokenTypeIds[r * T + t] = t >= 3 ? 1 : 0;
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, batchSize: B, seqLen: T };
}
const LABELS = Int32Array.from([2, 0, 1]);

function trainableGradients(m: NativeBert): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const n of m.parameterNames()) if (m.isTrainable(n)) out.set(n, m.getGradient(n)!);
  return out;
}

describe.each([1, 2])('trainableLayers %i of 3', (K) => {
  test('frozenPrefix is the eval-mode input of the first trainable layer (hidden state L-K), bit for bit', async () => {
    const m = makeModel({ trainableLayers: K }, { hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.2 });
    const batch = makeBatch();
    const prefix = await m.frozenPrefix(batch);
    const out = await m.forward(batch, { outputHiddenStates: true });
    expect(prefix.length).toBe(batch.batchSize * batch.seqLen * H);
    expect(prefix).toEqual(out.hiddenStates[CONFIG.numHiddenLayers - K]);
    m.dispose();
  });

  test('forward from prefixHidden (no ids) gives the logits, loss and attention of forward from ids', async () => {
    const m = makeModel({ trainableLayers: K });
    const batch = makeBatch();
    const prefixHidden = await m.frozenPrefix(batch);
    const last = CONFIG.numHiddenLayers - 1;
    const fromIds = await m.forward(batch, { labels: LABELS, attentionLayers: [last] });
    const { attentionMask, batchSize, seqLen } = batch;
    const fromPrefix = await m.forward({ attentionMask, batchSize, seqLen }, { labels: LABELS, attentionLayers: [last], prefixHidden });
    expect(fromPrefix.logits).toEqual(fromIds.logits);
    expect(fromPrefix.loss).toBe(fromIds.loss);
    expect(fromPrefix.attentions[0]).toEqual(fromIds.attentions[0]);
    m.dispose();
  });

  test('with dropout 0, accumulateGradients and trainStep from prefixHidden equal those from ids bit for bit', async () => {
    const a = makeModel({ trainableLayers: K });
    const b = makeModel({ trainableLayers: K });
    const batch = makeBatch();
    const prefixHidden = await b.frozenPrefix(batch);
    const la = await a.accumulateGradients(batch, LABELS, { scale: 0.5, seed: 1, step: 2 });
    const lb = await b.accumulateGradients(batch, LABELS, { scale: 0.5, seed: 1, step: 2, prefixHidden });
    expect(lb.loss).toBe(la.loss);
    const ga = trainableGradients(a), gb = trainableGradients(b);
    for (const [name, g] of ga) expect([name, gb.get(name)]).toEqual([name, g]);
    await a.applyOptimizer(HYPER);
    await b.applyOptimizer(HYPER);
    const sa = await a.trainStep(batch, LABELS, HYPER);
    const sb = await b.trainStep(batch, LABELS, HYPER, { prefixHidden });
    expect(sb).toEqual(sa);
    for (const name of a.parameterNames()) expect([name, b.getParameter(name)]).toEqual([name, a.getParameter(name)]);
    a.dispose();
    b.dispose();
  });
});

test('dropout in the trainable layers from prefixHidden is keyed by seed and step', async () => {
  const m = makeModel({ trainableLayers: 2 }, { hiddenDropoutProb: 0.3, attentionProbsDropoutProb: 0.3 });
  const batch = makeBatch();
  const prefixHidden = await m.frozenPrefix(batch);
  const run = (step: number) => m.forward(batch, { labels: LABELS, training: true, seed: 9, step, prefixHidden });
  const [a, b, c] = [await run(4), await run(4), await run(5)];
  const evalLoss = (await m.forward(batch, { labels: LABELS, prefixHidden })).loss;
  expect(b.loss).toBe(a.loss);
  expect(c.loss).not.toBe(a.loss);
  expect(a.loss).not.toBe(evalLoss);
  m.dispose();
});

test('a row\'s prefix does not depend on the padding around it (rounding stated)', async () => {
  const m = makeModel({ trainableLayers: 1 });
  const batch = makeBatch();
  const padded = await m.frozenPrefix(batch);
  // Row 1 (4 tokens) alone, unpadded.
  const T = batch.seqLen, n = 4;
  const alone = await m.frozenPrefix({
    inputIds: batch.inputIds.slice(T, T + n), attentionMask: batch.attentionMask.slice(T, T + n),
    tokenTypeIds: batch.tokenTypeIds.slice(T, T + n), batchSize: 1, seqLen: n,
  });
  // Masked keys get probability exactly 0 (attention.cpp), so the only possible difference is the summation order
  // of GEMMs and softmax sums over T = 7 vs 4 keys: float32 rounding, ≤ 1e-6 relative at these magnitudes.
  let worst = 0;
  for (let i = 0; i < n * H; i++) worst = Math.max(worst, Math.abs(padded[T * H + i] - alone[i]));
  expect(worst).toBeLessThan(1e-5);
  m.dispose();
});

describe('bad prefixHidden and models without a frozen prefix are typed errors', () => {
  const batch = makeBatch();
  const size = batch.batchSize * batch.seqLen * H;

  test.each([
    ['too short', new Float32Array(size - 1), /elements, expected/],
    ['too long', new Float32Array(size + H), /elements, expected/],
    ['NaN', Float32Array.from({ length: size }, (_, i) => (i === 17 ? NaN : 0)), /\[17\] is not finite/],
    ['Infinity', Float32Array.from({ length: size }, (_, i) => (i === 3 ? -Infinity : 0)), /\[3\] is not finite/],
    ['a Float64Array', new Float64Array(size), /must be a Float32Array/],
    ['an Array', Array.from({ length: size }, () => 0), /must be a Float32Array/],
  ])('prefixHidden %s', async (_label, prefixHidden, message) => {
    const m = makeModel({ trainableLayers: 1 });
    const p = prefixHidden as unknown as Float32Array;
    for (const call of [
      () => m.forward(batch, { prefixHidden: p }),
      () => m.accumulateGradients(batch, LABELS, { scale: 1, prefixHidden: p }),
      () => m.trainStep(batch, LABELS, HYPER, { prefixHidden: p }),
    ]) {
      const e = await call().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as Error).message).toMatch(message);
    }
    m.dispose();
  });

  test.each([
    ['trainableLayers = numHiddenLayers', { trainableLayers: 3 }],
    ['trainEmbeddings', { trainableLayers: 1, trainEmbeddings: true }],
  ])('%s: frozenPrefix and prefixHidden are refused', async (_label, options) => {
    const m = makeModel(options);
    await expect(m.frozenPrefix(batch)).rejects.toThrow(ValidationError);
    await expect(m.frozenPrefix(batch)).rejects.toThrow(/frozen prefix/);
    const prefixHidden = new Float32Array(size);
    await expect(m.forward(batch, { prefixHidden })).rejects.toThrow(/frozen prefix/);
    await expect(m.trainStep(batch, LABELS, HYPER, { prefixHidden })).rejects.toThrow(ValidationError);
    await expect(m.accumulateGradients(batch, LABELS, { scale: 1, prefixHidden })).rejects.toThrow(ValidationError);
    m.dispose();
  });

  test('a prefixHidden batch still needs a valid attentionMask; frozen layers\' attention and hidden states are refused', async () => {
    const m = makeModel({ trainableLayers: 1 });
    const prefixHidden = await m.frozenPrefix(batch);
    const { batchSize, seqLen } = batch;
    await expect(m.forward({ batchSize, seqLen } as never, { prefixHidden })).rejects.toThrow(/attentionMask must be an Int32Array/);
    const badMask = batch.attentionMask.slice();
    badMask[2] = 2;
    await expect(m.forward({ ...batch, attentionMask: badMask }, { prefixHidden })).rejects.toThrow(ValidationError);
    await expect(m.forward(batch, { prefixHidden, attentionLayers: [0] })).rejects.toThrow(/outside \[2, 3\)/);
    await expect(m.forward(batch, { prefixHidden, outputHiddenStates: true })).rejects.toThrow(/outputHiddenStates/);
    // The ids of a prefixHidden batch are not read: garbage there changes nothing.
    const garbage = { ...batch, inputIds: new Int32Array(batch.inputIds.length).fill(-5) };
    expect((await m.forward(garbage, { prefixHidden })).logits).toEqual((await m.forward(batch)).logits);
    m.dispose();
  });
});

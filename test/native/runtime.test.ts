// Behaviour of the native engine beyond single numbers: dropout is reproducible and has the right statistics,
// gradient accumulation equals the full-batch gradient, the optimizer state round-trips exactly, the event loop
// keeps running during a long forward, and calls on one model are serialised.
import { mulberry32 } from '../../lib/data/random';
import { NativeBert, Batch, BertConfig } from '../../lib/native';

function makeConfig(patch: Partial<BertConfig> = {}): BertConfig {
  return {
    vocabSize: 80, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 64,
    maxPositionEmbeddings: 64, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2, ...patch,
  };
}

function initialise(model: NativeBert, seed: number): void {
  const next = mulberry32(seed);
  for (const name of model.parameterNames()) {
    const n = model.parameterShape(name).reduce((a, b) => a * b, 1);
    const base = name.includes('LayerNorm.weight') ? 1 : 0;
    model.setParameter(name, Float32Array.from({ length: n }, () => base + (next() - 0.5) * 0.2));
  }
}

function makeBatch(config: BertConfig, batchSize: number, seqLen: number, seed: number): Batch {
  const next = mulberry32(seed);
  const n = batchSize * seqLen;
  const inputIds = new Int32Array(n);
  const attentionMask = new Int32Array(n);
  const tokenTypeIds = new Int32Array(n);
  for (let b = 0; b < batchSize; b++) {
    const length = Math.max(1, seqLen - ((b * 3) % seqLen));
    for (let t = 0; t < length; t++) {
      inputIds[b * seqLen + t] = 1 + Math.floor(next() * (config.vocabSize - 1));
      attentionMask[b * seqLen + t] = 1;
      tokenTypeIds[b * seqLen + t] = t >= length / 2 ? 1 : 0;
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen };
}

function labelsFor(batchSize: number): Int32Array {
  return Int32Array.from({ length: batchSize }, (_, i) => i % 2);
}

const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

describe('dropout', () => {
  const config = makeConfig();
  let model: NativeBert;
  const batch = makeBatch(config, 4, 16, 7);
  const labels = labelsFor(4);
  beforeAll(() => {
    model = NativeBert.create(config, { head: 'pooler' });
    initialise(model, 1);
  });
  afterAll(() => model.dispose());

  test('same seed and step give bit-identical losses; another step or seed gives other masks', async () => {
    const run = (seed: number, step: number) => model.forward(batch, { labels, training: true, seed, step });
    const a = await run(11, 3);
    const b = await run(11, 3);
    const c = await run(11, 4);
    const d = await run(12, 3);
    expect(b.loss).toBe(a.loss);
    expect(Array.from(b.logits)).toEqual(Array.from(a.logits));
    expect(c.loss).not.toBe(a.loss);
    expect(d.loss).not.toBe(a.loss);
    const evalA = await model.forward(batch, { labels });
    const evalB = await model.forward(batch, { labels, seed: 99, step: 5 });
    expect(evalB.loss).toBe(evalA.loss); // no dropout outside training, whatever the seed
    expect(evalA.loss).not.toBe(a.loss);
  });

  test('attention dropout drops a fraction p of the probabilities and scales the rest by 1/(1-p)', async () => {
    const p = 0.25;
    const cfg = makeConfig({ hiddenDropoutProb: 0, attentionProbsDropoutProb: p });
    const m = NativeBert.create(cfg, { head: 'cls' });
    try {
      initialise(m, 2);
      const big = makeBatch(cfg, 8, 48, 3);
      // Layer 0 sees the same input with and without dropout (no hidden dropout), so its probabilities before
      // dropout are the eval ones.
      const evalProbs = (await m.forward(big, { attentionLayers: [0] })).attentions[0];
      const trainProbs = (await m.forward(big, { attentionLayers: [0], training: true, seed: 5, step: 1 })).attentions[0];
      let candidates = 0;
      let dropped = 0;
      let worstKept = 0;
      for (let i = 0; i < evalProbs.length; i++) {
        if (evalProbs[i] === 0) continue; // padding keys: probability exactly 0 either way
        candidates++;
        if (trainProbs[i] === 0) {
          dropped++;
        } else {
          worstKept = Math.max(worstKept, Math.abs(trainProbs[i] * (1 - p) - evalProbs[i]) / evalProbs[i]);
        }
      }
      const fraction = dropped / candidates;
      // Binomial: sd = sqrt(p(1-p)/n) ≈ 0.0018 for n ≈ 58k; 5 sd keeps a correct generator from ever failing.
      const sd = Math.sqrt((p * (1 - p)) / candidates);
      expect(Math.abs(fraction - p)).toBeLessThan(5 * sd);
      expect(worstKept).toBeLessThan(1e-6); // kept values are exactly eval / (1-p) up to one rounding
    } finally {
      m.dispose();
    }
  });

  test('hidden dropout on the embeddings output: a fraction p zeroed, the rest scaled by 1/(1-p)', async () => {
    const p = 0.1;
    const cfg = makeConfig({ hiddenDropoutProb: p, attentionProbsDropoutProb: 0 });
    const m = NativeBert.create(cfg, { head: 'cls' });
    try {
      initialise(m, 3);
      const big = makeBatch(cfg, 16, 48, 4);
      const evalOut = (await m.forward(big, { outputHiddenStates: true })).hiddenStates[0];
      const trainOut = (await m.forward(big, { outputHiddenStates: true, training: true, seed: 2, step: 9 })).hiddenStates[0];
      let dropped = 0;
      let worstKept = 0;
      for (let i = 0; i < evalOut.length; i++) {
        if (trainOut[i] === 0) dropped++;
        else worstKept = Math.max(worstKept, Math.abs(trainOut[i] * (1 - p) - evalOut[i]) / Math.abs(evalOut[i]));
      }
      const sd = Math.sqrt((p * (1 - p)) / evalOut.length); // ≈ 0.0011 for 24k elements
      expect(Math.abs(dropped / evalOut.length - p)).toBeLessThan(5 * sd);
      expect(worstKept).toBeLessThan(1e-6);
    } finally {
      m.dispose();
    }
  });

  test('hidden dropout: the training loss differs from eval and averages near it', async () => {
    const cfg = makeConfig({ hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0 });
    const m = NativeBert.create(cfg, { head: 'pooler' });
    try {
      initialise(m, 4);
      const b = makeBatch(cfg, 8, 16, 9);
      const l = labelsFor(8);
      const evalLoss = (await m.forward(b, { labels: l })).loss as number;
      const losses: number[] = [];
      for (let step = 0; step < 20; step++) {
        losses.push((await m.forward(b, { labels: l, training: true, seed: 1, step })).loss as number);
      }
      expect(new Set(losses).size).toBe(losses.length); // every step draws a new mask
      const mean = losses.reduce((a, x) => a + x, 0) / losses.length;
      // Dropout of 0.1 perturbs a loss of ~0.7 by a few percent; the mean of 20 stays within 10% of eval.
      expect(Math.abs(mean - evalLoss) / evalLoss).toBeLessThan(0.1);
    } finally {
      m.dispose();
    }
  });
});

describe('training state', () => {
  const config = makeConfig({ hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 });

  test('accumulating two half batches with scale 1/2 equals the full batch gradient', async () => {
    const full = NativeBert.create(config, { head: 'cls', trainableLayers: 1, trainEmbeddings: true });
    const halves = NativeBert.create(config, { head: 'cls', trainableLayers: 1, trainEmbeddings: true });
    try {
      initialise(full, 5);
      initialise(halves, 5);
      const b = makeBatch(config, 4, 8, 21);
      const labels = labelsFor(4);
      const half = (i: number): Batch => ({
        inputIds: b.inputIds.slice(i * 16, i * 16 + 16), attentionMask: b.attentionMask.slice(i * 16, i * 16 + 16),
        tokenTypeIds: b.tokenTypeIds.slice(i * 16, i * 16 + 16), batchSize: 2, seqLen: 8,
      });
      await full.accumulateGradients(b, labels, { scale: 1 });
      await halves.accumulateGradients(half(0), labels.slice(0, 2), { scale: 0.5 });
      await halves.accumulateGradients(half(1), labels.slice(2, 4), { scale: 0.5 });
      for (const name of full.parameterNames()) {
        const g = full.getGradient(name);
        const h = halves.getGradient(name);
        if (g === null) {
          expect(h).toBeNull();
          continue;
        }
        // Same sums in another grouping: fp32 rounding only (≲1e-6 of the gradient's scale).
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < g.length; i++) {
          worst = Math.max(worst, Math.abs(g[i] - (h as Float32Array)[i]));
          scale = Math.max(scale, Math.abs(g[i]));
        }
        expect([name, worst <= 1e-5 * scale]).toEqual([name, true]);
      }
      const a = await full.applyOptimizer(hyper);
      const c = await halves.applyOptimizer(hyper);
      expect(Math.abs(a.gradNorm - c.gradNorm) / a.gradNorm).toBeLessThan(1e-5);
      expect(full.getOptimizerState().step).toBe(1);
    } finally {
      full.dispose();
      halves.dispose();
    }
  });

  test('optimizer state and parameters copied to a new model continue the run bit for bit', async () => {
    const a = NativeBert.create(config, { head: 'pooler' });
    const b = NativeBert.create(config, { head: 'pooler' });
    try {
      initialise(a, 6);
      const batches = [1, 2, 3].map((s) => makeBatch(config, 2, 8, 30 + s));
      const labels = labelsFor(2);
      await a.trainStep(batches[0], labels, { ...hyper, seed: 1, step: 0 });
      await a.trainStep(batches[1], labels, { ...hyper, seed: 1, step: 1 });
      for (const name of a.parameterNames()) b.setParameter(name, a.getParameter(name));
      const state = a.getOptimizerState();
      expect(state.step).toBe(2);
      b.setOptimizerState(state);
      const ra = await a.trainStep(batches[2], labels, { ...hyper, seed: 1, step: 2 });
      const rb = await b.trainStep(batches[2], labels, { ...hyper, seed: 1, step: 2 });
      expect(rb).toEqual(ra);
      for (const name of a.parameterNames()) {
        expect([name, Array.from(b.getParameter(name))]).toEqual([name, Array.from(a.getParameter(name))]);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});

describe('asynchronous calls', () => {
  test('the event loop keeps running during a large forward', async () => {
    const config = makeConfig({ hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024, numHiddenLayers: 4,
      maxPositionEmbeddings: 128 });
    const model = NativeBert.create(config);
    try {
      initialise(model, 8);
      const batch = makeBatch(config, 8, 128, 1);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 2);
      const started = process.hrtime.bigint();
      await model.forward(batch);
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      clearInterval(timer);
      // A forward of ~6 GFLOP takes far longer than 2 ms even on fast machines; ticks prove the loop ran meanwhile.
      // A blocking call would allow at most one tick (the one due when it returns).
      expect(elapsedMs).toBeGreaterThan(20);
      expect(ticks).toBeGreaterThanOrEqual(3);
    } finally {
      model.dispose();
    }
  });

  test('calls issued together run one after another and give the results of sequential calls', async () => {
    const config = makeConfig({ hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 });
    const model = NativeBert.create(config, { head: 'cls' });
    const twin = NativeBert.create(config, { head: 'cls' });
    try {
      initialise(model, 9);
      initialise(twin, 9);
      const batch = makeBatch(config, 2, 8, 2);
      const labels = labelsFor(2);
      const step = { ...hyper, lr: 1e-2, seed: 0, step: 0 };
      // Not awaited in between: the wrapper queues them in call order.
      const [before, trained, after] = await Promise.all([
        model.forward(batch, { labels }), model.trainStep(batch, labels, step), model.forward(batch, { labels }),
      ]);
      const tBefore = await twin.forward(batch, { labels });
      const tTrained = await twin.trainStep(batch, labels, step);
      const tAfter = await twin.forward(batch, { labels });
      expect(before.loss).toBe(tBefore.loss);
      expect(trained).toEqual(tTrained);
      expect(after.loss).toBe(tAfter.loss);
      expect(after.loss).not.toBe(before.loss);
    } finally {
      model.dispose();
      twin.dispose();
    }
  });
});

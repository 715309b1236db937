// The loop on the real engine: gradient accumulation over micro-batches equals one big batch, and dropout keyed by
// (seed, step) makes two identical runs give identical losses.
import { BatchLoader, EncodedDataset } from '../../lib/data';
import { NativeBert } from '../../lib/native';
import { train } from '../../lib/train';
import { syntheticExamples } from './fake-model';

const CONFIG = {
  vocabSize: 12, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32,
  typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2,
};

function model(dropout: number): NativeBert {
  const m = NativeBert.create({ ...CONFIG, hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout }, { head: 'cls', trainableLayers: 1, device: 'cpu' });
  for (const name of m.parameterNames()) {
    const n = m.parameterShape(name).reduce((a, b) => a * b, 1);
    m.setParameter(name, Float32Array.from({ length: n }, (_, i) => (name.includes('LayerNorm.weight') ? 1 : Math.sin(i * 12.9898 + name.length) * 0.2)));
  }
  return m;
}

const data: EncodedDataset = syntheticExamples(48, 12, 3);
const options = { maxSteps: 2, lr: 1e-3, maxGradNorm: 0, schedule: 'constant' as const };

test('accumulating 2 micro-batches of 8 is one update on the batch of 16 (no dropout)', async () => {
  const a = model(0);
  const b = model(0);
  await train(a, new BatchLoader(data, { batchSize: 16, shuffle: true, seed: 4 }), ['neg', 'pos'], options);
  // Same seed and size: the permutation is the same, so micro-batches 2k, 2k+1 hold big batch k's examples.
  await train(b, new BatchLoader(data, { batchSize: 8, shuffle: true, seed: 4 }), ['neg', 'pos'], { ...options, gradientAccumulation: 2 });
  // Tolerance: the summed gradient differs from the big batch's in float32 rounding (different summation
  // order, padding to 8 vs 16 rows); AdamW's first steps are ~lr·sign(g), so parameters agree to ~1e-6.
  // The key bias is left out: it adds the same q·b to every score of a query row, which softmax ignores, so its
  // true gradient is 0 and Adam scales the rounding noise left in its place up to ±lr.
  for (const name of a.parameterNames().filter((n) => a.isTrainable(n) && !n.endsWith('attention.self.key.bias'))) {
    const pa = a.getParameter(name);
    const pb = b.getParameter(name);
    let worst = 0;
    for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
    expect([name, worst < 2e-6]).toEqual([name, true]);
  }
  a.dispose();
  b.dispose();
});

test('with dropout on, two runs with the same seed give the same losses bit for bit, another seed does not', async () => {
  const runs = [];
  for (const seed of [7, 7, 8]) {
    const m = model(0.1);
    const r = await train(m, new BatchLoader(data, { batchSize: 8, shuffle: true, seed: 1 }), ['neg', 'pos'], { maxSteps: 6, lr: 1e-3, seed });
    runs.push(r.history.steps.map((s) => s.loss));
    m.dispose();
  }
  expect(runs[1]).toEqual(runs[0]);
  expect(runs[2]).not.toEqual(runs[0]);
});

// The frozen-layer cache (lib/train/frozen-cache.ts): training from the cache equals training from ids when the
// frozen layers have no dropout; bf16/fp16 storage error bounds; stale and corrupt caches refused; fit's option.
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BertClassifier } from '../../lib';
import { BatchLoader, EncodedDataset, evaluationBatches } from '../../lib/data';
import { FrozenCacheError } from '../../lib/errors';
import { NativeBert } from '../../lib/native';
import { FrozenCache, FrozenCacheModel, type FrozenCacheOptions, cachedEvaluationBatches, cachedTrainingBatches, evaluateModel, frozenCacheKey, train } from '../../lib/train';
import { syntheticReviews, writeTinyModel } from '../classifier/tiny-model';
import { syntheticExamples } from './fake-model';

const CONFIG = {
  vocabSize: 12, hiddenSize: 16, numHiddenLayers: 3, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32,
  typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, classifierDropout: null, numLabels: 2,
};

function model(options: { trainableLayers?: number; trainEmbeddings?: boolean } = {}, dropout = 0): NativeBert {
  const m = NativeBert.create({ ...CONFIG, hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout },
    { head: 'cls', trainableLayers: 1, trainEmbeddings: false, device: 'cpu', ...options });
  for (const name of m.parameterNames()) {
    const n = m.parameterShape(name).reduce((a, b) => a * b, 1);
    m.setParameter(name, Float32Array.from({ length: n }, (_, i) => (name.includes('LayerNorm.weight') ? 1 : 0) + Math.sin(i * 12.9898 + name.length) * 0.3));
  }
  return m;
}

const data: EncodedDataset = syntheticExamples(40, 12, 5);
const ids = Array.from({ length: data.size }, (_, i) => `synthetic/${i}`);
const options = { epochs: 2, lr: 1e-2, seed: 3 };

let tmp: string;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-frozen-'));
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

// Largest |a - b| / max(|b|, 1e-3) over two arrays of numbers.
function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1e-3));
  return worst;
}

describe.each(['memory', 'disk'] as const)('fp32 cache in %s', (storage) => {
  test('training from the cache follows training from ids (no dropout) to float32 rounding', async () => {
    const a = model();
    const b = model();
    const loaderA = new BatchLoader(data, { batchSize: 8, shuffle: true, seed: 9 });
    const loaderB = new BatchLoader(data, { batchSize: 8, shuffle: true, seed: 9 });
    const evalA = evaluationBatches(data, { batchSize: 16 });
    const evalB = evaluationBatches(data, { batchSize: 16 });
    const cache = await FrozenCache.build(b, data, ids, { storage, dtype: 'fp32', batchSize: 7 });
    expect(cache.storage).toBe(storage);
    const ra = await train(a, loaderA, ['neg', 'pos'], { ...options, evaluation: evalA });
    const rb = await train(new FrozenCacheModel(b), cachedTrainingBatches(loaderB, cache), ['neg', 'pos'],
      { ...options, evaluation: cachedEvaluationBatches(evalB, cache) });
    // Not bit for bit: the cache is built in length-sorted batches padded to other lengths than the training
    // batches, and the GEMMs' and softmax's summation order depends on the padded length (masked keys add exact
    // zeros, but the blocking and vector lanes change), so each prefix row carries float32 rounding differences
    // (~1e-7 relative). On the same batch the engine is bit-identical (test/native/frozen-prefix.test.ts). Through
    // 10 AdamW steps at lr 1e-2 they stay below 1e-5 relative in losses and gradient norms and 1e-6 absolute in
    // parameters of scale ~0.3 (measured: ≤ 1.2e-7).
    const steps = (r: typeof ra) => r.history.steps.flatMap((s) => [s.loss, s.gradNorm]);
    expect(worstRelative(steps(rb), steps(ra))).toBeLessThan(1e-5);
    expect(rb.history.evaluations.map((e) => e.metrics.accuracy)).toEqual(ra.history.evaluations.map((e) => e.metrics.accuracy));
    // The key bias is left out (as in native-loop.test.ts): softmax ignores it, so its true gradient is 0 and Adam
    // scales the rounding noise left in its place up to ±lr.
    for (const name of a.parameterNames().filter((n) => !n.endsWith('attention.self.key.bias'))) {
      const pa = a.getParameter(name), pb = b.getParameter(name);
      let worst = 0;
      for (let i = 0; i < pa.length; i++) worst = Math.max(worst, Math.abs(pa[i] - pb[i]));
      expect([name, worst < 1e-6]).toEqual([name, true]);
    }
    cache.close();
    a.dispose();
    b.dispose();
  });
});

test('with dropout on, training from the cache differs from ids only by the frozen layers\' dropout and stays seeded', async () => {
  const runs = [];
  for (let k = 0; k < 2; k++) {
    const m = model({}, 0.1);
    const cache = await FrozenCache.build(m, data, ids, { storage: 'memory', dtype: 'fp32' });
    const r = await train(new FrozenCacheModel(m), cachedTrainingBatches(new BatchLoader(data, { batchSize: 8, shuffle: true, seed: 9 }), cache), ['neg', 'pos'], options);
    runs.push(r.history.steps.map((s) => s.loss));
    m.dispose();
  }
  const plain = model({}, 0.1);
  const fromIds = await train(plain, new BatchLoader(data, { batchSize: 8, shuffle: true, seed: 9 }), ['neg', 'pos'], options);
  plain.dispose();
  expect(runs[1]).toEqual(runs[0]);
  expect(runs[0]).not.toEqual(fromIds.history.steps.map((s) => s.loss));
});

test.each([
  // bf16 keeps 8 significant bits (ulp 2^-7 of the binade): round-to-nearest error ≤ 2^-8 relative; fp16 keeps 11:
  // ≤ 2^-11 relative for normal values (|x| ≥ 2^-14), ≤ 2^-25 absolute below.
  ['bf16', 2 ** -8, 0],
  ['fp16', 2 ** -11, 2 ** -25],
] as const)('%s storage: every value within its rounding bound of fp32; loss difference stated', async (dtype, relBound, absBound) => {
  const m = model();
  const exact = await FrozenCache.build(m, data, ids, { storage: 'memory', dtype: 'fp32' });
  const rounded = await FrozenCache.build(m, data, ids, { storage: 'disk', dtype });
  expect(rounded.bytes).toBe(exact.bytes / 2);
  const all = Array.from({ length: data.size }, (_, i) => i);
  const x = exact.assemble(all, data.maxLength), y = rounded.assemble(all, data.maxLength);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(y[i] - x[i]) - Math.abs(x[i]) * relBound - absBound);
  expect(worst).toBeLessThanOrEqual(0);
  // Forward from the rounded cache: the loss moves by ~ the relative rounding (measured, not a bound).
  const loader = new BatchLoader(data, { batchSize: 40 });
  const { batch, labels } = loader.batch(0, 0);
  const lossOf = async (c: FrozenCache) => (await m.forward(batch, { labels, prefixHidden: c.assemble(loader.batch(0, 0).indices, batch.seqLen) })).loss!;
  const [l32, lr] = [await lossOf(exact), await lossOf(rounded)];
  expect(Math.abs(lr - l32) / l32).toBeLessThan(dtype === 'bf16' ? 1e-2 : 2e-3);
  exact.close();
  rounded.close();
  m.dispose();
});

test('fp16 refuses a value outside its range instead of storing Infinity', async () => {
  const m = model();
  // A LayerNorm gain of 1e5 puts the last frozen layer's outputs far beyond fp16's 65504.
  m.setParameter('bert.encoder.layer.1.output.LayerNorm.weight', new Float32Array(CONFIG.hiddenSize).fill(1e5));
  await expect(FrozenCache.build(m, data, ids, { storage: 'memory', dtype: 'fp16' })).rejects.toMatchObject({ code: 'ERR_BERTNODE_FROZEN_CACHE_OPTIONS' });
  m.dispose();
});

test('a cache file is keyed: another frozen parameter, other examples or another dtype never reuse it', async () => {
  const dir = path.join(tmp, 'keyed');
  const m = model();
  const first = await FrozenCache.build(m, data, ids, { dir, dtype: 'fp32' });
  expect(first.storage).toBe('disk');
  const file = first.file!;
  first.close();
  // Same key: the file is reused (not rebuilt: its mtime does not move).
  const mtime = fs.statSync(file).mtimeMs;
  const again = await FrozenCache.build(m, data, ids, { dir, dtype: 'fp32' });
  expect(again.file).toBe(file);
  expect(fs.statSync(file).mtimeMs).toBe(mtime);
  again.close();

  const changed = m.getParameter('bert.encoder.layer.0.attention.self.query.weight');
  changed[0] += 1e-3;
  m.setParameter('bert.encoder.layer.0.attention.self.query.weight', changed);
  const newKey = frozenCacheKey(m, data, ids, 'fp32');
  expect(() => FrozenCache.open(file, newKey)).toThrow(FrozenCacheError);
  expect(() => FrozenCache.open(file, newKey)).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_FROZEN_CACHE_STALE' }));
  const rebuilt = await FrozenCache.build(m, data, ids, { dir, dtype: 'fp32' });
  expect(rebuilt.file).not.toBe(file);
  rebuilt.close();
  // Other example ids, another dtype, or another maxLength give other keys too.
  const key = frozenCacheKey(m, data, ids, 'fp32');
  expect(frozenCacheKey(m, data, ids.map((s) => s + 'x'), 'fp32')).not.toBe(key);
  expect(frozenCacheKey(m, data, ids, 'bf16')).not.toBe(key);
  expect(frozenCacheKey(m, { ...data, maxLength: data.maxLength + 1 }, ids, 'fp32')).not.toBe(key);
  m.dispose();
});

test('a truncated or foreign file is refused as corrupt; a closed cache refuses use', async () => {
  const dir = path.join(tmp, 'corrupt');
  const m = model();
  const cache = await FrozenCache.build(m, data, ids, { dir, dtype: 'bf16' });
  const file = cache.file!;
  cache.close();
  expect(() => cache.assemble([0], data.maxLength)).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_FROZEN_CACHE_CLOSED' }));
  const key = frozenCacheKey(m, data, ids, 'bf16');
  fs.truncateSync(file, fs.statSync(file).size - 2);
  expect(() => FrozenCache.open(file, key)).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_FROZEN_CACHE_CORRUPT' }));
  fs.writeFileSync(file, 'not a cache');
  expect(() => FrozenCache.open(file, key)).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_FROZEN_CACHE_CORRUPT' }));
  // build() rebuilds over a corrupt file of its own key.
  const rebuilt = await FrozenCache.build(m, data, ids, { dir, dtype: 'bf16' });
  expect(rebuilt.file).toBe(file);
  expect(rebuilt.assemble([3], data.maxLength).length).toBe(data.maxLength * CONFIG.hiddenSize);
  rebuilt.close();
  m.dispose();
});

test.each([
  ['all layers trainable', { trainableLayers: 3 }],
  ['trainable embeddings', { trainableLayers: 1, trainEmbeddings: true }],
])('a model with %s has no frozen prefix to cache', async (_label, o) => {
  const m = model(o);
  await expect(FrozenCache.build(m, data, ids)).rejects.toMatchObject({ code: 'ERR_BERTNODE_FROZEN_CACHE_OPTIONS' });
  m.dispose();
});

test('fit({cacheFrozenLayers}) follows fit without it when dropout is 0; cached validation matches evaluate()', async () => {
  const modelDir = path.join(tmp, 'tiny');
  await writeTinyModel(modelDir, { layers: 3 });
  // Dropout off, so the cache's only semantic difference (no dropout in frozen layers) is gone.
  const configFile = path.join(modelDir, 'config.json');
  const hf = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.writeFileSync(configFile, JSON.stringify({ ...hf, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 }));
  const reviews = syntheticReviews(160).map((r) => ({ text: r.text, label: r.label ? 'pos' : 'neg' }));
  const fit = async (cacheFrozenLayers: false | { storage: 'disk'; dtype: 'fp32'; dir: string }) => {
    const clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 64, batchSize: 16, seed: 5 });
    const result = await clf.fit(reviews.slice(0, 128), { epochs: 2, lr: 1e-3, validation: reviews.slice(128), cacheFrozenLayers });
    const direct = await clf.evaluate(reviews.slice(128));
    clf.dispose();
    return { result, direct };
  };
  const plain = await fit(false);
  const cached = await fit({ storage: 'disk', dtype: 'fp32', dir: path.join(tmp, 'fit-cache') });
  expect(fs.readdirSync(path.join(tmp, 'fit-cache')).filter((f) => f.endsWith('.bin'))).toHaveLength(2); // train + validation
  // Float32 rounding only (see the loop test above).
  const losses = (r: typeof plain) => r.result.history.steps.map((s) => s.loss);
  expect(worstRelative(losses(cached), losses(plain))).toBeLessThan(1e-5);
  expect(cached.result.validation!.accuracy).toBe(plain.result.validation!.accuracy);
  expect(cached.direct.accuracy).toBe(cached.result.validation!.accuracy);
  expect(Math.abs(cached.direct.loss - cached.result.validation!.loss) / cached.direct.loss).toBeLessThan(1e-5);
});

test('exact resume with the cache: abort, rebuild the cache from its file, resume — same losses and parameter bytes; another cache setting is refused', async () => {
  const dir = path.join(tmp, 'resume');
  const checkpointDir = path.join(dir, 'checkpoints');
  const batches = () => new BatchLoader(data, { batchSize: 8, shuffle: true, seed: 9 });
  const run = async (extra: { signal?: AbortSignal; onProgress?: (e: { step: number }) => void; resume?: boolean }, cacheOptions: FrozenCacheOptions | false = { dir: path.join(dir, 'cache'), dtype: 'bf16' }) => {
    const m = model({}, 0.1);
    const cache = cacheOptions && (await FrozenCache.build(m, data, ids, cacheOptions));
    const trainOptions = { ...options, epochs: 3, checkpointDir, checkpointEvery: 2, ...extra };
    const r = await (cache
      ? train(new FrozenCacheModel(m), cachedTrainingBatches(batches(), cache), ['neg', 'pos'], trainOptions)
      : train(m, batches(), ['neg', 'pos'], trainOptions)).finally(() => (cache ? cache.close() : undefined));
    const bytes = Buffer.concat(m.parameterNames().map((n) => m.getParameter(n)).map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
    m.dispose();
    return { r, bytes };
  };
  const reference = await run({});
  await fsp.rm(checkpointDir, { recursive: true });
  const controller = new AbortController();
  const stopped = await run({ signal: controller.signal, onProgress: (e) => e.step === 7 && controller.abort() });
  expect(stopped.r.stopReason).toBe('aborted');
  // Without the cache, or from a cache of another dtype or build batch size, the continued run would compute other
  // numbers: each is refused, naming the setting and both values, and leaves the checkpoint as it was.
  await expect(run({ resume: true }, false)).rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_MISMATCH', setting: 'frozenCache', checkpointValue: 'bf16', currentValue: false });
  await expect(run({ resume: true }, { storage: 'memory', dtype: 'fp32' })).rejects.toThrow(/frozenCache: checkpoint "bf16", now "fp32"/);
  await expect(run({ resume: true }, { storage: 'memory', dtype: 'bf16', batchSize: 5 }))
    .rejects.toMatchObject({ setting: 'frozenCacheBuildBatchSize', checkpointValue: 32, currentValue: 5 });
  // Storage is not a setting of the numbers: the same values from memory instead of the file resume exactly.
  const resumed = await run({ resume: true }, { storage: 'memory', dtype: 'bf16' });
  expect(resumed.r.history.steps.map((s) => s.loss)).toEqual(reference.r.history.steps.map((s) => s.loss));
  expect(Buffer.compare(resumed.bytes, reference.bytes)).toBe(0);
});

test('fit: a run with cacheFrozenLayers resumes only with the cache (typed error otherwise) and then ends with the same model bytes', async () => {
  const modelDir = path.join(tmp, 'tiny-resume');
  await writeTinyModel(modelDir, { layers: 3 });
  const reviews = syntheticReviews(96).map((r) => ({ text: r.text, label: r.label ? 'pos' : 'neg' }));
  const fit = async (name: string, extra: { resume?: boolean; signal?: AbortSignal; onProgress?: (e: { step: number }) => void }, cacheFrozenLayers: boolean) => {
    const clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32, batchSize: 16, seed: 5 });
    try {
      const result = await clf.fit(reviews.slice(0, 64), {
        epochs: 2, lr: 1e-3, validation: reviews.slice(64), checkpointDir: path.join(tmp, name), checkpointEvery: 2, cacheFrozenLayers, ...extra,
      });
      await clf.save(path.join(tmp, `${name}-model`));
      return { result, weights: fs.readFileSync(path.join(tmp, `${name}-model`, 'model.safetensors')) };
    } finally {
      clf.dispose();
    }
  };
  const reference = await fit('fit-ref', {}, true);
  const controller = new AbortController();
  const stopped = await fit('fit-run', { signal: controller.signal, onProgress: (e) => e.step === 3 && controller.abort() }, true);
  expect(stopped.result.stopReason).toBe('aborted');
  await expect(fit('fit-run', { resume: true }, false))
    .rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_MISMATCH', setting: 'frozenCache', checkpointValue: 'bf16', currentValue: false });
  const resumed = await fit('fit-run', { resume: true }, true);
  expect(resumed.result.history).toEqual(reference.result.history);
  expect(Buffer.compare(resumed.weights, reference.weights)).toBe(0);
});

// What a new user trips on: options checked when given (typed errors naming the option and the closest valid
// name), labels matched by name, the inference settings saved with the model, the cls head's model card, the
// warnings transformers gives (once), concurrent calls refused while fit() runs, and the thread count.
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  BertClassifier, BusyError, InputError, LabelMismatchError, OptionTypeError, OptionValueError, UnknownOptionError,
} from '../../lib';
import { resolveModelDirectory } from '../../lib/train/model-source';
import { cgroupCpuLimit, configureThreads, defaultThreadCount } from '../../lib/train/threads';
import { syntheticReviews, writeTinyModel } from './tiny-model';

let tmp: string;
let modelDir: string;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-usability-'));
  modelDir = path.join(tmp, 'tiny');
  await writeTinyModel(modelDir);
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const named = syntheticReviews(64).map((r) => ({ text: r.text, label: r.label ? 'pos' : 'neg' }));

// Process warnings emitted while `fn` runs, by code.
async function warningsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    await fn();
    return emit.mock.calls.map((c) => (c[1] as { code?: string } | undefined)?.code ?? String(c[0]));
  } finally {
    emit.mockRestore();
  }
}

test('constructor options: misspelled names suggest the valid one, wrong types and values name the option', () => {
  const error = (o: object) => { try { new BertClassifier(o as never); } catch (e) { return e as Error & Record<string, unknown>; } throw new Error('no error'); };
  expect(error({ maxLen: 64 })).toMatchObject({ constructor: UnknownOptionError, option: 'maxLen', suggestion: 'maxLength' });
  expect(error({ learningRate: 1e-3 })).toMatchObject({ suggestion: 'lr' });
  expect(error({ num_train_epochs: 3 })).toMatchObject({ suggestion: 'epochs', code: 'ERR_BERTNODE_UNKNOWN_OPTION' });
  expect(error({ max_length: 3 }).message).toContain("did you mean 'maxLength'?");
  expect(error({ device: 'CPU' })).toMatchObject({ constructor: OptionValueError, option: 'device', suggestion: 'cpu' });
  expect(error({ device: 'gpu' })).toMatchObject({ constructor: OptionValueError, suggestion: 'cuda' });
  expect(error({ padding: 'bogus' })).toMatchObject({ constructor: OptionValueError, option: 'padding' });
  expect(error({ seed: 'x' })).toMatchObject({ constructor: OptionTypeError, option: 'seed', code: 'ERR_BERTNODE_OPTION_TYPE' });
  expect(error({ epochs: '2' })).toMatchObject({ constructor: OptionTypeError, option: 'epochs' });
  expect(error({ bucketBatches: -1 })).toMatchObject({ constructor: OptionValueError, option: 'bucketBatches' });
  expect(error({ trainableLayers: 'most' })).toMatchObject({ constructor: OptionValueError, option: 'trainableLayers' });
  expect(error({ threads: 0 })).toMatchObject({ constructor: OptionValueError, option: 'threads' });
  expect(() => new BertClassifier({ device: 'cpu', maxLength: 64, threads: 2, trainableLayers: 'all' })).not.toThrow();
});

test('fit and evaluate options are checked at the call; predict([null]) is a typed input error', async () => {
  await using clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32 });
  await expect(clf.fit(named, { learning_rate: 1e-3 } as never)).rejects.toMatchObject({ constructor: UnknownOptionError, suggestion: 'lr' });
  await expect(clf.fit(named, { num_train_epochs: 1 } as never)).rejects.toMatchObject({ suggestion: 'epochs' });
  await expect(clf.fit(named, { epochs: '2' } as never)).rejects.toBeInstanceOf(OptionTypeError);
  await expect(clf.fit(named, { warmupRatio: 2 })).rejects.toMatchObject({ constructor: OptionValueError, option: 'warmupRatio' });
  await expect(clf.evaluate(named, { onProgres: () => 0 } as never)).rejects.toMatchObject({ suggestion: 'onProgress' });
  await expect(clf.predict([null] as never)).rejects.toMatchObject({ constructor: InputError, code: 'ERR_BERTNODE_INPUT', index: 0 });
  await expect(clf.predict(['ok', 42] as never)).rejects.toMatchObject({ constructor: InputError, index: 1 });
  await expect(clf.predict([['a']] as never)).rejects.toBeInstanceOf(InputError);
});

test('concurrent fit() is refused with a BusyError, and so is predict() during fit(); both work again afterwards', async () => {
  await using clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32, batchSize: 16 });
  const first = clf.fit(named, { maxSteps: 3 });
  const results = await Promise.allSettled([clf.fit(named, { maxSteps: 3 }), clf.predict(['a film']), clf.evaluate(named), clf.save(path.join(tmp, 'busy'))]);
  for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { constructor: BusyError, code: 'ERR_BERTNODE_BUSY' } });
  expect((await first).stopReason).toBe('completed');
  // fit() while predictions are in flight is refused too; the predictions complete.
  const predicting = clf.predict(named.map((e) => e.text));
  await expect(clf.fit(named, { maxSteps: 1 })).rejects.toBeInstanceOf(BusyError);
  expect(await predicting).toHaveLength(64);
  expect((await clf.fit(named, { maxSteps: 1 })).steps).toBe(1);
});

test('labels are matched by name: a saved head reordered by the labels given; other names are an error naming both lists', async () => {
  const clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32, trainableLayers: 'all', seed: 3 });
  await clf.fit(named, { epochs: 2, lr: 1e-2, schedule: 'constant' });
  const saved = path.join(tmp, 'labelled');
  await warningsDuring(() => clf.save(saved));
  const texts = named.slice(0, 8).map((e) => e.text);
  const reference = await clf.predict(texts);
  await using swapped = await BertClassifier.fromPretrained(saved, { device: 'cpu', labels: ['pos', 'neg'] });
  expect(swapped.labels).toEqual(['pos', 'neg']);
  const again = await swapped.predict(texts);
  again.forEach((p, i) => {
    expect(p.label).toBe(reference[i].label);
    expect(p.probabilities.pos).toBe(reference[i].probabilities.pos);
    expect(p.logits).toEqual([...reference[i].logits].reverse());
  });
  const mismatch = await BertClassifier.fromPretrained(saved, { device: 'cpu', labels: ['good', 'bad'] }).catch((e) => e);
  expect(mismatch).toBeInstanceOf(LabelMismatchError);
  expect(mismatch.message).toContain('[good, bad]');
  expect(mismatch.message).toContain('[neg, pos]');
  clf.dispose();

  // A file's "negative"/"positive" are never mapped by position onto other names.
  const csv = path.join(tmp, 'reviews.csv');
  await fsp.writeFile(csv, 'review,sentiment\n' + named.map((e) => `${e.text.replace(/,/g, '')},${e.label === 'pos' ? 'positive' : 'negative'}`).join('\n') + '\n');
  await using goodBad = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32, labels: ['good', 'bad'] });
  await expect(goodBad.fit(csv, { maxSteps: 1 })).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LABEL' });
  await expect(goodBad.fit(named, { maxSteps: 1 })).rejects.toBeInstanceOf(LabelMismatchError);
  // The classic neg/pos classifier reads them by name (negative is neg), whatever their order in the list.
  await using posNeg = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32, labels: ['pos', 'neg'] });
  const metrics = await posNeg.evaluate(csv);
  const negatives = named.filter((e) => e.label === 'neg').length;
  expect(metrics.confusionMatrix[1].reduce((a, b) => a + b, 0)).toBe(negatives); // row 1 = true class 'neg'
});

test('the maxLength used is saved (config.json, tokenizer_config.json) and reloaded: identical predictions', async () => {
  await using clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 8, seed: 2 });
  await clf.fit(named, { maxSteps: 2, lr: 1e-2 });
  const saved = path.join(tmp, 'short');
  await warningsDuring(() => clf.save(saved));
  expect(JSON.parse(await fsp.readFile(path.join(saved, 'tokenizer_config.json'), 'utf8'))).toMatchObject({ model_max_length: 8, do_lower_case: true });
  expect(JSON.parse(await fsp.readFile(path.join(saved, 'config.json'), 'utf8'))).toMatchObject({ bertnode_max_length: 8 });
  await using again = await BertClassifier.fromPretrained(saved, { device: 'cpu' });
  expect(again.maxLength).toBe(8);
  const texts = named.slice(0, 8).map((e) => e.text); // all longer than 8 tokens: truncation decides the result
  expect(await again.predict(texts)).toEqual(await clf.predict(texts));
});

test("saving a 'cls' head warns and writes a model card with the matching transformers code; a pooler head loads as it is", async () => {
  await using cls = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32 });
  const clsDir = path.join(tmp, 'cls-card');
  expect(await warningsDuring(() => cls.save(clsDir))).toEqual(['BERTNODE_CLS_HEAD']);
  const card = await fsp.readFile(path.join(clsDir, 'README.md'), 'utf8');
  expect(card).toContain('logits = model.classifier(model.bert(**enc).last_hidden_state[:, 0])');
  expect(card).toContain('max_length=32');
  expect(card).toContain('0: `neg`, 1: `pos`');

  await using pooler = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32, head: 'pooler' });
  const poolerDir = path.join(tmp, 'pooler-card');
  expect(await warningsDuring(() => pooler.save(poolerDir))).toEqual([]);
  const poolerCard = await fsp.readFile(path.join(poolerDir, 'README.md'), 'utf8');
  expect(poolerCard).toContain('logits = model(**enc).logits');
  // Interoperable bit for bit: transformers' own architecture and names, the tensors exactly the model's.
  const config = JSON.parse(await fsp.readFile(path.join(poolerDir, 'config.json'), 'utf8'));
  expect(config.architectures).toEqual(['BertForSequenceClassification']);
  await using reloaded = await BertClassifier.fromPretrained(poolerDir, { device: 'cpu' });
  expect(reloaded.head).toBe('pooler');
  expect(await reloaded.predict(['A dull film.'])).toEqual(await pooler.predict(['A dull film.']));
});

test('warnings as transformers gives them: an untrained head once, one-class data; device auto without a GPU stays quiet', async () => {
  await using clf = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', maxLength: 32 });
  expect(await warningsDuring(async () => {
    await clf.predict(['a']);
    await clf.predict(['b']);
    await clf.evaluate(named.slice(0, 4));
  })).toEqual(['BERTNODE_UNTRAINED_HEAD']);
  expect(await warningsDuring(() => clf.fit(named.filter((e) => e.label === 'pos'), { maxSteps: 1 }))).toEqual(['BERTNODE_ONE_CLASS']);
  expect(await warningsDuring(() => clf.predict(['c']))).toEqual([]); // trained now

  const auto = new BertClassifier({ model: modelDir, maxLength: 32, device: 'auto' });
  const warnings = await warningsDuring(() => auto.ready());
  expect(warnings.filter((w) => w !== 'BERTNODE_UNTRAINED_HEAD')).toEqual([]);
  expect(['cpu', 'cuda']).toContain(auto.device);
  auto.dispose();
});

test('threads: the default respects the cgroup CPU quota and the affinity mask, not the host core count', async () => {
  expect(cgroupCpuLimit('max 100000\n')).toBeUndefined();
  expect(cgroupCpuLimit('200000 100000\n')).toBe(2);
  expect(cgroupCpuLimit('150000 100000')).toBe(2);
  expect(cgroupCpuLimit('50000 100000')).toBe(1);
  const quota = path.join(tmp, 'cpu.max');
  await fsp.writeFile(quota, '100000 100000\n');
  expect(defaultThreadCount(quota)).toBe(1);
  expect(defaultThreadCount(path.join(tmp, 'no-cgroup'))).toBe(os.availableParallelism());
  const saved = process.env.BERTNODE_NUM_THREADS;
  try {
    delete process.env.BERTNODE_NUM_THREADS;
    expect(configureThreads(3)).toBe(3);
    expect(process.env.BERTNODE_NUM_THREADS).toBe('3'); // what the native pool reads when it starts
    process.env.BERTNODE_NUM_THREADS = '5';
    expect(configureThreads()).toBe(5); // a value the user set wins over the default
  } finally {
    if (saved === undefined) delete process.env.BERTNODE_NUM_THREADS;
    else process.env.BERTNODE_NUM_THREADS = saved;
  }
});

test('the threads option reaches the native pool (a fresh process: the pool is sized once, by the first model)', () => {
  const script = `require(${JSON.stringify(path.join(__dirname, '..', 'ts-register.js'))});
    const { BertClassifier } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib'))});
    const { loadBackend } = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'native'))});
    new BertClassifier({ model: ${JSON.stringify(modelDir)}, device: 'cpu', threads: 1 }).ready()
      .then((c) => { console.log(loadBackend('cpu').numThreads()); c.dispose(); });`;
  const env = { ...process.env };
  delete env.BERTNODE_NUM_THREADS;
  expect(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim()).toBe('1');
});

test('a missing model folder named by a path is reported at once, not looked up on the hub', async () => {
  for (const p of ['./no-such-model', '/no/such/model', '~/models/none', 'runs/imdb/model']) {
    await expect(resolveModelDirectory(p, { endpoint: 'http://127.0.0.1:9' })).rejects.toMatchObject({ code: 'ERR_BERTNODE_MODEL_NOT_FOUND' });
  }
});

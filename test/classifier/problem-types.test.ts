// BertClassifier's problemType: multi-label and regression on a tiny random BERT (no network), with a learnable
// signal: options are validated, fit learns above chance, save writes transformers' problem_type and
// id2label/label2id, fromPretrained reads the problem type back and predicts identically, checkpoints record it
// (an interrupted run resumes to the uninterrupted one's parameters; another problem type is refused), the
// frozen-layer cache, early-stopping metrics and explain work.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BertClassifier, DataFormatError, InputError, LabelMismatchError, OptionValueError, ResumeSettingsError } from '../../lib';
import { mulberry32 } from '../../lib/data/random';
import { NEGATIVE, POSITIVE, writeTinyModel } from './tiny-model';

let tmp: string;
let modelDir: string;
beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-problem-'));
  modelDir = path.join(tmp, 'tiny');
  await writeTinyModel(modelDir);
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const FILLER = ['the', 'a', 'movie', 'film', 'acting', 'was', 'is', 'and', 'but', 'really', 'story', 'cast', 'scene', 'ending'];

// Texts with 0..2 positive words, 0..2 negative words (each count equally likely) and, half the time, the word
// 'music': multi-label classes pos / neg / music (present 2/3, 2/3 and 1/2 of the time, independently),
// regression value #positive - #negative (variance 4/3).
function signalTexts(n: number, seed: number): { text: string; classes: string[]; value: number }[] {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  return Array.from({ length: n }, () => {
    const positives = Math.floor(random() * 3);
    const negatives = Math.floor(random() * 3);
    const music = random() < 0.5;
    const words = Array.from({ length: 5 + Math.floor(random() * 5) }, () => pick(FILLER));
    const insert = (w: string) => words.splice(Math.floor(random() * (words.length + 1)), 0, w);
    for (let i = 0; i < positives; i++) insert(pick(POSITIVE));
    for (let i = 0; i < negatives; i++) insert(pick(NEGATIVE));
    if (music) insert('music');
    const classes = [positives > 0 && 'pos', negatives > 0 && 'neg', music && 'music'].filter((c): c is string => !!c);
    return { text: words.join(' '), classes, value: positives - negatives };
  });
}

const texts = signalTexts(360, 7);
const multi = texts.map((t) => ({ text: t.text, label: t.classes }));
const regression = texts.map((t) => ({ text: t.text, label: t.value }));
const LABELS = ['pos', 'neg', 'music'];
const BASE = { device: 'cpu', maxLength: 32, batchSize: 16, seed: 5, trainableLayers: 'all' } as const;
const FIT = { epochs: 10, lr: 5e-3, schedule: 'constant' } as const;

describe('options', () => {
  it('problemType is checked like the other options', () => {
    expect(() => new BertClassifier({ problemType: 'multilabel' as never })).toThrow(expect.objectContaining({ option: 'problemType', suggestion: 'multi_label' }));
    expect(() => new BertClassifier({ problemType: true as never })).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_OPTION_TYPE', option: 'problemType' }));
    expect(() => new BertClassifier({ problemType: 'regression', labels: ['a', 'b'] })).toThrow(expect.objectContaining({ option: 'labels' }));
    expect(() => new BertClassifier({ problemType: 'single_label', numOutputs: 2 })).toThrow(expect.objectContaining({ option: 'numOutputs' }));
    expect(() => new BertClassifier({ problemType: 'regression', numOutputs: 0 })).toThrow(OptionValueError);
    expect(() => new BertClassifier({ problemType: 'regression', threshold: 0.3 })).toThrow(expect.objectContaining({ option: 'threshold' }));
    expect(() => new BertClassifier({ problemType: 'multi_label', threshold: 1.5 })).toThrow(expect.objectContaining({ option: 'threshold' }));
    expect(new BertClassifier({ problemType: 'regression', numOutputs: 2 }).labels).toEqual(['LABEL_0', 'LABEL_1']);
    expect(new BertClassifier({ problemType: 'multi_label', threshold: 0.3 }).threshold).toBe(0.3);
  });

  it('data, metrics and the IMDb default are checked against the problem type', async () => {
    // Without problemType the model's decides (a base model: single-label), and the options are checked against it.
    await expect(BertClassifier.fromPretrained(modelDir, { ...BASE, threshold: 0.3 })).rejects.toThrow(/threshold is for problemType 'multi_label', not 'single_label'/);
    await expect(BertClassifier.fromPretrained(modelDir, { ...BASE, numOutputs: 2 })).rejects.toThrow(expect.objectContaining({ option: 'numOutputs' }));
    await using ml = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'multi_label', labels: LABELS });
    await expect(ml.fit(undefined)).rejects.toThrow(InputError);
    await expect(ml.fit([{ text: 'a', label: ['pos', 'drama'] }])).rejects.toThrow(LabelMismatchError);
    await expect(ml.fit([{ text: 'a', label: 'pos' as never }])).rejects.toThrow(/label must be an array of class names/);
    await expect(ml.fit('data.tsv')).rejects.toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_DATA_PARSE', file: 'data.tsv' }));
    await expect(ml.fit(multi.slice(0, 8), { validation: 0.5, bestMetric: 'pearson' })).rejects.toThrow(expect.objectContaining({ option: 'bestMetric' }));
    await expect(ml.fit(multi.slice(0, 8), { validation: 0.5, earlyStopping: { metric: 'mse', patience: 1 } }))
      .rejects.toThrow(expect.objectContaining({ option: 'earlyStopping.metric' }));
    await using reg = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'regression' });
    expect(reg.labels).toEqual(['LABEL_0']);
    await expect(reg.evaluate([{ text: 'a', label: 'high' as never }])).rejects.toThrow(/label must be a finite number/);
    await expect(reg.fit([{ text: 'a', label: NaN }])).rejects.toThrow(InputError);
    await expect(reg.fit(regression.slice(0, 8), { validation: 0.5, bestMetric: 'accuracy' as never })).rejects.toThrow(expect.objectContaining({ option: 'bestMetric' }));
    await using single = await BertClassifier.fromPretrained(modelDir, BASE);
    await expect(single.fit([{ text: 'a', label: 'pos' }], { bestMetric: 'mse' as never })).rejects.toThrow(expect.objectContaining({ option: 'bestMetric' }));
  });
});

describe('multi-label', () => {
  it('learns the signal; save writes problem_type; fromPretrained reads it back with identical predictions', async () => {
    const clf = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'multi_label', labels: LABELS });
    expect(clf.problemType).toBe('multi_label');
    const result = await clf.fit(multi.slice(0, 280), { ...FIT, validation: multi.slice(280), bestMetric: 'f1_macro' });
    expect(result.best?.metric).toBe('f1_macro');
    const metrics = await clf.evaluate(multi.slice(280));
    // Predicting the frequent decisions everywhere (pos, neg, either for music) scores a subset accuracy of
    // 2/3 * 2/3 * 1/2 = 0.22, a micro F1 of 22/29 = 0.76 and a macro F1 of at most (0.8 + 0.8 + 0.67) / 3 = 0.76.
    expect(metrics.accuracy).toBeGreaterThan(0.55);
    expect(metrics.f1).toBeGreaterThan(0.85);
    expect(metrics.f1_macro).toBeGreaterThan(0.85);
    expect(metrics.perClass.map((c) => c.label)).toEqual(LABELS);
    expect(metrics.count).toBe(80);
    expect(result.validation!.f1_macro).toBe(metrics.f1_macro); // the best evaluation's parameters are kept

    const [p] = await clf.predict(['a wonderful film with music']);
    expect(Object.keys(p.scores)).toEqual(LABELS);
    expect(p.labels).toEqual(LABELS.filter((l) => p.scores[l] > 0.5));
    expect(p.labels).toEqual(['pos', 'music']);

    const saved = path.join(tmp, 'multi');
    await clf.save(saved);
    const config = JSON.parse(await fsp.readFile(path.join(saved, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ problem_type: 'multi_label_classification', id2label: { 0: 'pos', 1: 'neg', 2: 'music' }, label2id: { pos: 0, neg: 1, music: 2 }, bertnode_threshold: 0.5 });
    expect(await fsp.readFile(path.join(saved, 'README.md'), 'utf8')).toContain('torch.sigmoid(logits)');
    const again = await BertClassifier.fromPretrained(saved, { device: 'cpu' });
    expect(again.problemType).toBe('multi_label');
    const sample = multi.slice(280, 300).map((e) => e.text);
    expect(await again.predict(sample)).toEqual(await clf.predict(sample));
    await expect(BertClassifier.fromPretrained(saved, { device: 'cpu', problemType: 'single_label' })).rejects.toThrow(expect.objectContaining({ option: 'problemType' }));

    // A threshold of 0.99 predicts fewer classes from the same scores; it is saved and read back with the model.
    const strict = await BertClassifier.fromPretrained<'multi_label'>(saved, { device: 'cpu', threshold: 0.99 });
    const [q] = await strict.predict(['a wonderful film with music']);
    expect(q.scores).toEqual(p.scores);
    expect(q.labels).toEqual(LABELS.filter((l) => p.scores[l] > 0.99));
    await strict.save(path.join(tmp, 'multi-strict'));
    await using strictAgain = await BertClassifier.fromPretrained<'multi_label'>(path.join(tmp, 'multi-strict'), { device: 'cpu' });
    expect(strictAgain.threshold).toBe(0.99);
    expect(await strictAgain.predict(['a wonderful film with music'])).toEqual([q]);

    // Attention maps are per input, whatever the head: explain shows the top-scoring class and the scores.
    const explained = await again.explain('a wonderful film with music', { layers: 'all' });
    expect(explained.layers).toHaveLength(2);
    expect(explained.probabilities).toEqual(p.scores);
    expect(explained.predicted).toBe(LABELS.reduce((a, b) => (p.scores[b] > p.scores[a] ? b : a)));
    expect(await again.attentionReport([{ text: 'dull music', label: 'neg, music' }])).toContain('true: neg, music');
    for (const c of [clf, again, strict]) c.dispose();
  }, 120_000);

  it('trains from the frozen-layer cache, validating on a held-out share', async () => {
    await using clf = await BertClassifier.fromPretrained(modelDir, { ...BASE, trainableLayers: 1, problemType: 'multi_label', labels: LABELS });
    const result = await clf.fit(multi.slice(0, 64), { maxSteps: 3, lr: 1e-3, validation: 0.25, cacheFrozenLayers: true });
    expect(result.steps).toBe(3);
    expect(result.trainExamples).toBe(48);
    expect(result.validation!.count).toBe(16);
    expect(Number.isFinite(result.validation!.loss)).toBe(true);
  });
});

describe('data from a .jsonl file', () => {
  it('trains as the same examples given as an array; a bad line is a DataFormatError naming it', async () => {
    const file = path.join(tmp, 'multi.jsonl');
    const lines = multi.slice(0, 48).map((e, i) => JSON.stringify(i % 2 ? { text: e.text, label: e.label } : { text: e.text, text_pair: '', label: e.label }));
    await fsp.writeFile(file, `${lines.join('\n')}\n\n`);
    const asArray = multi.slice(0, 48).map((e, i) => (i % 2 ? e : { ...e, textPair: '' }));
    const options = { maxSteps: 3, lr: 1e-3 };
    await using fromArray = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'multi_label', labels: LABELS });
    await using fromFile = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'multi_label', labels: LABELS });
    await fromArray.fit(asArray, options);
    await fromFile.fit(file, options);
    const sample = multi.slice(300, 310).map((e) => e.text);
    expect(await fromFile.predict(sample)).toEqual(await fromArray.predict(sample));
    expect(await fromFile.evaluate(file)).toEqual(await fromArray.evaluate(asArray));

    const bad = path.join(tmp, 'bad.jsonl');
    await fsp.writeFile(bad, '{"text": "good", "label": ["pos"]}\n\n{"text": "dull", "label": "neg"}\n');
    await expect(fromFile.evaluate(bad)).rejects.toThrow(DataFormatError);
    await expect(fromFile.evaluate(bad)).rejects.toThrow(`${bad}:3: "label" must be an array of class names (multi-label)`);
    await fsp.writeFile(bad, '{"text": "good", "label": ["pos"]}\n{"text": 3}\n');
    await expect(fromFile.evaluate(bad)).rejects.toThrow(`${bad}:2: no string "text" field`);
    await fsp.writeFile(bad, '{"text": "good", "label": ["pos", "drama"]}\n');
    await expect(fromFile.evaluate(bad)).rejects.toThrow(LabelMismatchError);
    await using reg = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'regression' });
    await fsp.writeFile(bad, '{"text": "good", "label": 1.5}\n{"text": "dull", "label": null}\n');
    await expect(reg.evaluate(bad)).rejects.toThrow(`${bad}:2: "label" must be a finite number (regression)`);
  });
});

describe('regression', () => {
  it('learns the signal; saves num_labels 1 as transformers does; reloads with identical predictions', async () => {
    const clf = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'regression' });
    const result = await clf.fit(regression.slice(0, 280), { ...FIT, validation: regression.slice(280) });
    expect(result.best?.metric).toBe('mse');
    const metrics = await clf.evaluate(regression.slice(280));
    // Chance: a correlation of 0, and the variance of the values (4/3) as mse.
    expect(metrics.pearson).toBeGreaterThan(0.85);
    expect(metrics.spearmanr).toBeGreaterThan(0.85);
    expect(metrics.mse).toBeLessThan(0.4);
    // The engine's mean squared error over the same batches (float32, batch-weighted): 1e-5 relative.
    expect(Math.abs(metrics.loss - metrics.mse)).toBeLessThan(1e-5 * metrics.mse);

    const saved = path.join(tmp, 'regression');
    await clf.save(saved);
    const config = JSON.parse(await fsp.readFile(path.join(saved, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ problem_type: 'regression', id2label: { 0: 'LABEL_0' }, label2id: { LABEL_0: 0 } });
    // The problem type is read back from config.json; the type parameter only types the results.
    const again = await BertClassifier.fromPretrained<'regression'>(saved, { device: 'cpu' });
    expect(again.problemType).toBe('regression');
    const sample = regression.slice(280, 300).map((e) => e.text);
    const [first, ...rest] = await again.predict(sample);
    expect([first, ...rest]).toEqual(await clf.predict(sample));
    expect(first.values).toEqual([first.value]);
    await expect(BertClassifier.fromPretrained(saved, { device: 'cpu', problemType: 'multi_label' })).rejects.toThrow(expect.objectContaining({ option: 'problemType' }));
    await expect(BertClassifier.fromPretrained(saved, { device: 'cpu', problemType: 'regression', numOutputs: 2 })).rejects.toThrow(expect.objectContaining({ option: 'numOutputs' }));

    const explained = await again.explain('a wonderful film');
    expect(explained.predicted).toBe('LABEL_0');
    expect(explained.probabilities.LABEL_0).toBe((await again.predict(['a wonderful film']))[0].value);
    clf.dispose();
    again.dispose();
  }, 120_000);

  it('an interrupted run resumes to the uninterrupted one; a checkpoint of another problem type is refused', async () => {
    const data = regression.slice(0, 96);
    const options = { maxSteps: 6, lr: 1e-3, validation: regression.slice(280, 312), evaluateEvery: 2 } as const;
    await using whole = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'regression' });
    const full = await whole.fit(data, options);

    const checkpointDir = path.join(tmp, 'ck-regression');
    const abort = new AbortController();
    await using first = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'regression' });
    const stopped = await first.fit(data, { ...options, checkpointDir, signal: abort.signal, onProgress: (e) => e.step === 3 && abort.abort() });
    expect(stopped.stopReason).toBe('aborted');
    await using second = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'regression' });
    const resumed = await second.fit(data, { ...options, checkpointDir, resume: true });
    expect(resumed.steps).toBe(6);
    expect(resumed.history.evaluations.map((e) => e.metrics)).toEqual(full.history.evaluations.map((e) => e.metrics));
    const sample = data.slice(0, 8).map((e) => e.text);
    expect(await second.predict(sample)).toEqual(await whole.predict(sample));

    // The same folder, the same texts, another problem type: refused, naming it.
    await using other = await BertClassifier.fromPretrained(modelDir, { ...BASE, problemType: 'multi_label', labels: ['pos', 'neg'] });
    const refused = other.fit(data.map((e) => ({ text: e.text, label: e.label > 0 ? ['pos'] : [] })), { ...options, validation: undefined, checkpointDir, resume: true });
    await expect(refused).rejects.toThrow(ResumeSettingsError);
    await expect(refused).rejects.toThrow(/problemType: checkpoint "regression", now "multi_label_classification"/);
  }, 120_000);
});

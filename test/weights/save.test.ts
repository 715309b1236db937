// saveModel writes the Hugging Face layout; reading it back gives the same tensors, config and labels.
// scripts/golden/check_saved_model.py runs the first test with BERTNODE_SAVED_MODEL_DIR set and checks in Python
// that transformers loads the folder with identical tensors and logits.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { TensorMismatchError, WeightsFormatError } from '../../lib/errors';
import { loadModel, readSafetensors, saveModel } from '../../lib/weights';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'weights');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-save-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a model read from a legacy pytorch_model.bin is saved for python and reads back identical', async () => {
  const source = await loadModel(path.join(FIXTURES, 'pytorch-legacy'));
  const dirs = [path.join(tmp, 'saved')];
  if (process.env.BERTNODE_SAVED_MODEL_DIR) dirs.push(process.env.BERTNODE_SAVED_MODEL_DIR);
  for (const dir of dirs) {
    await saveModel(dir, source.config, source.tensors, {
      labels: source.labels,
      rawConfig: source.rawConfig,
      tokenizerFiles: [path.join(FIXTURES, 'vocab.txt')],
    });
    const back = await loadModel(dir);
    expect(back.config).toEqual(source.config);
    expect(back.labels).toEqual(source.labels);
    expect(back.missing).toEqual([]);
    expect(back.unused).toEqual([]);
    for (const [name, data] of source.tensors) expect([name, back.tensors.get(name)]).toEqual([name, data]);
    expect(fs.readFileSync(path.join(dir, 'vocab.txt'))).toEqual(fs.readFileSync(path.join(FIXTURES, 'vocab.txt')));

    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['BertForSequenceClassification']);
    expect(config.id2label).toEqual({ 0: 'negative', 1: 'neutral', 2: 'positive' });
    expect(config.label2id).toEqual({ negative: 0, neutral: 1, positive: 2 });
    // Keys the package does not own survive a round trip.
    expect(config.transformers_version).toBe(source.rawConfig.transformers_version);

    const { metadata } = await readSafetensors(path.join(dir, 'model.safetensors'));
    expect(metadata).toEqual({ format: 'pt' });
    // The data buffer starts 8-byte aligned, as the reference writer leaves it.
    const headerLength = fs.readFileSync(path.join(dir, 'model.safetensors')).readBigUInt64LE(0);
    expect(Number(headerLength) % 8).toBe(0);
  }
});

test('new label names replace the old ones in config.json', async () => {
  const source = await loadModel(path.join(FIXTURES, 'safetensors-bertmodel'), { labels: ['neg', 'pos'] });
  const tensors = new Map(source.tensors);
  tensors.set('classifier.weight', new Float32Array(2 * 16).fill(0.5));
  tensors.set('classifier.bias', new Float32Array([1, -1]));
  const dir = path.join(tmp, 'relabelled');
  await saveModel(dir, source.config, tensors, { labels: source.labels, rawConfig: source.rawConfig });
  const back = await loadModel(dir);
  expect(back.labels).toEqual(['neg', 'pos']);
  expect(back.config.numLabels).toBe(2);
  expect(Array.from(back.tensors.get('classifier.bias')!)).toEqual([1, -1]);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).architectures).toEqual(['BertForSequenceClassification']);
});

test('saving refuses a missing, mis-sized or unknown tensor', async () => {
  const source = await loadModel(path.join(FIXTURES, 'safetensors-f32'));
  const opts = { labels: source.labels };
  const without = new Map(source.tensors);
  without.delete('bert.pooler.dense.bias');
  await expect(saveModel(path.join(tmp, 'x'), source.config, without, opts)).rejects.toThrow(TensorMismatchError);
  const short = new Map(source.tensors).set('classifier.bias', new Float32Array(2));
  await expect(saveModel(path.join(tmp, 'x'), source.config, short, opts)).rejects.toThrow(/classifier\.bias/);
  const extra = new Map(source.tensors).set('cls.predictions.bias', new Float32Array(50));
  await expect(saveModel(path.join(tmp, 'x'), source.config, extra, opts)).rejects.toThrow(WeightsFormatError);
  await expect(saveModel(path.join(tmp, 'x'), source.config, source.tensors, { labels: ['a', 'a', 'b'] }))
    .rejects.toThrow(/distinct/);
});

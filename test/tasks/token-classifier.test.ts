import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LabelMismatchError, OptionValueError, UnknownOptionError } from '../../lib/errors';
import { BertTokenClassifier } from '../../lib/tasks';
import { writeTinyModel } from '../classifier/tiny-model';
import { taggedSentences } from './task-data';

const LABELS = ['O', 'B-NEG', 'B-POS'];
let dir: string;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bertnode-ner-'));
  base = path.join(dir, 'base');
  await writeTinyModel(base);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('learns the tags, saves BertForTokenClassification and reloads with identical outputs', async () => {
  const ner = await BertTokenClassifier.fromPretrained(base, { labels: LABELS, maxLength: 24, batchSize: 16, lr: 3e-3, epochs: 4 });
  const before = await ner.evaluate(taggedSentences(40, 99));
  const result = await ner.fit(taggedSentences(160), { validation: taggedSentences(40, 99) });
  expect(result.stopReason).toBe('completed');
  expect(result.validation!.f1).toBeGreaterThan(0.8);
  expect(result.validation!.f1).toBeGreaterThan(before.f1);
  const saved = path.join(dir, 'ner');
  await ner.save(saved);
  const config = JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8'));
  expect(config.architectures).toEqual(['BertForTokenClassification']);
  expect(config.id2label).toEqual({ 0: 'O', 1: 'B-NEG', 2: 'B-POS' });
  const reloaded = await BertTokenClassifier.fromPretrained(saved);
  const words = ['the', 'great', 'movie', 'was', 'dull'];
  expect(await reloaded.predict([words])).toEqual(await ner.predict([words]));
  expect((await reloaded.predict([words]))[0].map((w) => w.label)).toEqual(['O', 'B-POS', 'O', 'O', 'B-NEG']);
  ner.dispose();
  reloaded.dispose();
}, 60_000);

test('labels are matched by name: another tag set is a LabelMismatchError naming both lists', async () => {
  await expect(BertTokenClassifier.fromPretrained(base)).rejects.toThrow(OptionValueError);
  const ner = await BertTokenClassifier.fromPretrained(base, { labels: ['O', 'B-PER'], maxLength: 24 });
  const error = await ner.evaluate(taggedSentences(4)).catch((e) => e);
  expect(error).toBeInstanceOf(LabelMismatchError);
  expect(error.message).toContain('[B-NEG, B-POS, O] vs [O, B-PER]');
  ner.dispose();
});

test('options are checked when given: a misspelt one is named', async () => {
  await expect(BertTokenClassifier.fromPretrained(base, { labels: LABELS, maxLen: 24 } as never)).rejects.toThrow(/maxLen.*maxLength/);
  const ner = await BertTokenClassifier.fromPretrained(base, { labels: LABELS, maxLength: 24 });
  await expect(ner.fit(taggedSentences(4), { epoch: 1 } as never)).rejects.toThrow(UnknownOptionError);
  ner.dispose();
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LabelMismatchError } from '../../lib/errors';
import { BertSequenceClassifier } from '../../lib/tasks';
import { syntheticReviews, writeTinyModel } from '../classifier/tiny-model';

let dir: string;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bertnode-seq-'));
  base = path.join(dir, 'base');
  await writeTinyModel(base);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A sequence-level signal needs more steps than the token tasks on this tiny model (the [CLS] vector must learn to gather it).
const OPTIONS = { maxLength: 24, batchSize: 16, lr: 5e-3, epochs: 10 };

test('regression (STS-B style): pearson rises, problem_type saved, reload predicts the same values', async () => {
  const data = (n: number, seed: number) => syntheticReviews(n, seed).map((r) => ({ text: r.text, label: r.label ? 4.5 : 0.5 }));
  const reg = await BertSequenceClassifier.fromPretrained(base, { ...OPTIONS, problemType: 'regression', glueTask: 'stsb' });
  const result = await reg.fit(data(160, 1), { validation: data(40, 2) });
  expect(result.validation!.pearson).toBeGreaterThan(0.5); // chance is 0
  expect(Object.keys(result.validation!).sort()).toEqual(['combined_score', 'loss', 'pearson', 'spearmanr']);
  const saved = path.join(dir, 'reg');
  await reg.save(saved);
  const config = JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8'));
  expect([config.architectures[0], config.problem_type]).toEqual(['BertForSequenceClassification', 'regression']);
  const reloaded = await BertSequenceClassifier.fromPretrained(saved, { problemType: 'regression' });
  expect(await reloaded.predict(['a great film'])).toEqual(await reg.predict(['a great film']));
  reg.dispose();
  reloaded.dispose();
}, 60_000);

test('multi-label: BCE on independent classes learns both, labels matched by name', async () => {
  const data = (n: number, seed: number) => syntheticReviews(n, seed).map((r, i) => ({ text: r.text, label: [r.label ? 'pos' : 'neg', ...(i % 3 === 0 ? [] : [])] }));
  const ml = await BertSequenceClassifier.fromPretrained(base, { ...OPTIONS, problemType: 'multi_label', labels: ['neg', 'pos'] });
  const result = await ml.fit(data(160, 3), { validation: data(40, 4) });
  expect(result.validation!.accuracy).toBeGreaterThan(0.9);
  const [p] = await ml.predict(['a wonderful superb film']);
  expect(p.scores.pos).toBeGreaterThan(0.5);
  expect(p.scores.neg).toBeLessThan(0.5);
  const saved = path.join(dir, 'ml');
  await ml.save(saved);
  expect(JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8')).problem_type).toBe('multi_label_classification');
  const reloaded = await BertSequenceClassifier.fromPretrained(saved, { problemType: 'multi_label', labels: ['pos', 'neg'] });
  const [q] = await reloaded.predict(['a wonderful superb film']);
  expect(q.scores.pos).toBeCloseTo(p.scores.pos, 6); // rows reordered by name
  await expect(reloaded.evaluate([{ text: 'x', label: ['other'] }])).rejects.toThrow(LabelMismatchError);
  ml.dispose();
  reloaded.dispose();
}, 60_000);

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BertQuestionAnswerer } from '../../lib/tasks';
import { writeTinyModel } from '../classifier/tiny-model';
import { squadExamples } from './task-data';

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'bertnode-qa-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('finds the answer span, saves BertForQuestionAnswering and reloads with identical answers', async () => {
  const base = path.join(dir, 'base');
  await writeTinyModel(base);
  const qa = await BertQuestionAnswerer.fromPretrained(base, { maxLength: 32, batchSize: 16, lr: 3e-3, epochs: 5 });
  const validation = squadExamples(40, 99);
  const before = await qa.evaluate(validation);
  const result = await qa.fit(squadExamples(200), { validation });
  expect(result.validation!.exact_match).toBeGreaterThan(70);
  expect(result.validation!.exact_match).toBeGreaterThan(before.exact_match);
  expect(Object.keys(result.validation!).sort()).toEqual(['exact_match', 'f1', 'loss']);
  // evaluate runs the features longest first and puts their logits back by feature: its exact match is predict's
  // (item order, one path of its own) scored by hand.
  const predicted = await qa.predict(validation);
  const matches = predicted.filter((p, i) => p.answer === validation[i].answers.text[0]).length;
  expect((await qa.evaluate(validation)).exact_match).toBeCloseTo((100 * matches) / validation.length, 10);
  const saved = path.join(dir, 'qa');
  await qa.save(saved);
  expect(JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8')).architectures).toEqual(['BertForQuestionAnswering']);
  const reloaded = await BertQuestionAnswerer.fromPretrained(saved);
  const inputs = [{ question: 'which word ?', context: 'the plot was boring and the cast' }];
  const answers = await reloaded.predict(inputs);
  expect(answers).toEqual(await qa.predict(inputs));
  expect(answers[0].answer).toBe('boring');
  qa.dispose();
  reloaded.dispose();
}, 90_000);

test('SQuAD 2.0 reports squad_v2 metric names', async () => {
  const base = path.join(dir, 'base2');
  await writeTinyModel(base);
  const qa = await BertQuestionAnswerer.fromPretrained(base, { maxLength: 32, version2WithNegative: true });
  const examples = squadExamples(6);
  examples[0].answers = { text: [], answerStart: [] };
  const metrics = await qa.evaluate(examples);
  expect(metrics).toEqual(expect.objectContaining({ exact: expect.any(Number), f1: expect.any(Number), HasAns_exact: expect.any(Number), NoAns_exact: expect.any(Number) }));
  qa.dispose();
});

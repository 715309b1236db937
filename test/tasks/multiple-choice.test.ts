import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InputError } from '../../lib/errors';
import { BertMultipleChoice } from '../../lib/tasks';
import { writeTinyModel } from '../classifier/tiny-model';
import { swagExamples } from './task-data';

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'bertnode-mc-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('learns to pick the ending, saves BertForMultipleChoice and reloads with identical scores', async () => {
  const base = path.join(dir, 'base');
  await writeTinyModel(base);
  const mc = await BertMultipleChoice.fromPretrained(base, { maxLength: 16, batchSize: 8, lr: 2e-3, epochs: 4 });
  const validation = swagExamples(60, 99);
  const result = await mc.fit(swagExamples(240), { validation });
  expect(result.validation!.accuracy).toBeGreaterThan(0.6); // chance is 0.25
  const saved = path.join(dir, 'mc');
  await mc.save(saved);
  expect(JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8')).architectures).toEqual(['BertForMultipleChoice']);
  const reloaded = await BertMultipleChoice.fromPretrained(saved);
  const inputs = validation.slice(0, 3);
  expect(await reloaded.predict(inputs)).toEqual(await mc.predict(inputs));
  await expect(reloaded.predict([{ context: 'a', endings: ['b', 'c'] }])).rejects.toThrow(InputError);
  mc.dispose();
  reloaded.dispose();
}, 90_000);

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BertMaskedLM } from '../../lib/tasks';
import { writeTinyModel } from '../classifier/tiny-model';
import { repetitiveLines } from './task-data';

let dir: string;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bertnode-mlm-'));
  base = path.join(dir, 'base');
  await writeTinyModel(base);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('masked-LM pre-training lowers perplexity, fills masks, saves BertForMaskedLM and reloads identically', async () => {
  const mlm = await BertMaskedLM.fromPretrained(base, { maxLength: 16, batchSize: 16, lr: 3e-3, epochs: 6 });
  const validation = repetitiveLines(48, 99);
  const before = await mlm.evaluate(validation);
  const result = await mlm.fit(repetitiveLines(240), { validation });
  expect(result.validation!.perplexity).toBeLessThan(before.perplexity / 4);
  expect(result.validation!.perplexity).toBeCloseTo(Math.exp(result.validation!.loss), 6);
  const fills = await mlm.predict(['dull dull [MASK] dull dull']);
  expect(fills[0][0][0].token_str).toBe('dull');
  const saved = path.join(dir, 'mlm');
  await mlm.save(saved);
  expect(JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8')).architectures).toEqual(['BertForMaskedLM']);
  const reloaded = await BertMaskedLM.fromPretrained(saved);
  expect(await reloaded.predict(['great [MASK] great'])).toEqual(await mlm.predict(['great [MASK] great']));
  expect(await reloaded.evaluate(validation)).toEqual(await mlm.evaluate(validation));
  mlm.dispose();
  reloaded.dispose();
}, 90_000);

test('with nsp: BertForPreTraining, next-sentence accuracy reported beside perplexity', async () => {
  const pt = await BertMaskedLM.fromPretrained(base, { maxLength: 24, nsp: true });
  // Documents of four sentences, a blank line between them.
  const lines = repetitiveLines(20).flatMap((line, i) => (i % 4 === 3 ? [line, ''] : [line]));
  const metrics = await pt.evaluate(lines);
  expect(Object.keys(metrics).sort()).toEqual(['loss', 'next_sentence_accuracy', 'perplexity']);
  const saved = path.join(dir, 'pt');
  await pt.save(saved);
  expect(JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8')).architectures).toEqual(['BertForPreTraining']);
  pt.dispose();
});

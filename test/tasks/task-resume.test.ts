// The task classes train through the one loop, so its guarantees hold for them: an aborted run resumed from its
// checkpoint ends with exactly the parameters of an uninterrupted one (masked-LM masks are keyed by seed, epoch and
// batch, so they repeat too), and fit() runs alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BusyError, DisposedError } from '../../lib/errors';
import { BertMaskedLM } from '../../lib/tasks';
import { writeTinyModel } from '../classifier/tiny-model';
import { repetitiveLines } from './task-data';

let dir: string;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'bertnode-task-resume-'));
  base = path.join(dir, 'base');
  await writeTinyModel(base);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS = { maxLength: 16, batchSize: 8, lr: 1e-3, epochs: 2 };
const lines = repetitiveLines(48);

async function mlmOutput(mlm: BertMaskedLM) {
  return mlm.predict(['dull [MASK] dull', 'great great [MASK]'], { topK: 3 });
}

test('masked LM: abort + resume from the checkpoint ends where an uninterrupted run ends', async () => {
  const whole = await BertMaskedLM.fromPretrained(base, OPTIONS);
  const full = await whole.fit(lines);
  const expected = await mlmOutput(whole);

  const checkpointDir = path.join(dir, 'checkpoints');
  const first = await BertMaskedLM.fromPretrained(base, OPTIONS);
  const controller = new AbortController();
  const stopped = await first.fit(lines, { checkpointDir, checkpointEvery: 2, signal: controller.signal, onProgress: (e) => { if (e.step === 5) controller.abort(); } });
  expect(stopped.stopReason).toBe('aborted');
  first.dispose();

  const second = await BertMaskedLM.fromPretrained(base, OPTIONS);
  const resumed = await second.fit(lines, { checkpointDir, resume: true });
  expect(resumed.steps).toBe(full.steps);
  expect(resumed.history.steps.map((s) => s.loss)).toEqual(full.history.steps.map((s) => s.loss));
  expect(await mlmOutput(second)).toEqual(expected);
  whole.dispose();
  second.dispose();
}, 60_000);

test('fit() runs alone; a disposed model refuses calls', async () => {
  const mlm = await BertMaskedLM.fromPretrained(base, OPTIONS);
  const running = mlm.fit(lines.slice(0, 16), { maxSteps: 2 });
  await expect(mlm.evaluate(lines)).rejects.toThrow(BusyError);
  await expect(mlm.fit(lines)).rejects.toThrow(BusyError);
  await running;
  mlm.dispose();
  await expect(mlm.predict(['[MASK]'])).rejects.toThrow(DisposedError);
});

test('frozen-layer cache: token classification trains the last layer from cached frozen outputs; masked LM refuses it', async () => {
  const { BertTokenClassifier } = await import('../../lib/tasks');
  const { taggedSentences } = await import('./task-data');
  const ner = await BertTokenClassifier.fromPretrained(base, { labels: ['O', 'B-NEG', 'B-POS'], maxLength: 24, batchSize: 16, lr: 1e-2, epochs: 8, trainableLayers: 1, trainEmbeddings: false });
  const validation = taggedSentences(40, 99);
  const result = await ner.fit(taggedSentences(160), { validation, cacheFrozenLayers: { storage: 'memory', dtype: 'fp32' } });
  expect(result.validation!.f1).toBeGreaterThan(0.8);
  // The cached evaluation saw the frozen layers' exact (fp32) output: evaluating from the ids agrees.
  const direct = await ner.evaluate(validation);
  expect(direct.f1).toBe(result.validation!.f1);
  expect(direct.loss).toBeCloseTo(result.validation!.loss, 5);
  ner.dispose();
  const mlm = await BertMaskedLM.fromPretrained(base, { ...OPTIONS, trainableLayers: 1, trainEmbeddings: false });
  await expect(mlm.fit(lines, { cacheFrozenLayers: true })).rejects.toThrow(/cacheFrozenLayers/);
  mlm.dispose();
}, 60_000);

// BertClassifier with precision 'int8': a model fine-tuned in fp32 and saved, loaded again with 'int8', predicts and
// evaluates (on the int8 Linear layers: the probabilities move, within int8's error) and refuses fit and CUDA.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BertClassifier, OptionValueError } from '../../lib';
import { syntheticReviews, writeTinyModel } from '../classifier/tiny-model';

let tmp: string;
let saved: string;
const named = syntheticReviews(240).map((r) => ({ text: r.text, label: r.label ? 'pos' : 'neg' }));
const heldOut = named.slice(200);

beforeAll(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-int8-'));
  await writeTinyModel(path.join(tmp, 'tiny'));
  await using clf = await BertClassifier.fromPretrained(path.join(tmp, 'tiny'), { device: 'cpu', maxLength: 64, seed: 5, trainableLayers: 'all' });
  await clf.fit(named.slice(0, 200), { epochs: 3, lr: 1e-2, schedule: 'constant' });
  saved = path.join(tmp, 'saved');
  await clf.save(saved);
});
afterAll(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

test('predict and evaluate run int8 and stay close to fp32', async () => {
  await using fp32 = await BertClassifier.fromPretrained(saved, { device: 'cpu', maxLength: 64 });
  await using int8 = await BertClassifier.fromPretrained(saved, { device: 'cpu', maxLength: 64, precision: 'int8' });
  const texts = heldOut.map((r) => r.text);
  const [a, b] = [await fp32.predict(texts), await int8.predict(texts)];
  const diffs = a.map((p, i) => Math.abs(p.probabilities.pos - b[i].probabilities.pos));
  // int8 is in use: the probabilities move (fp32 run twice gives the same bits) ...
  expect(Math.max(...diffs)).toBeGreaterThan(1e-6);
  // ... by int8's error, not by a broken layer: the logits' relative error is ~1e-2 (int8-model.test.ts), and a
  // probability moves by at most a quarter of its logit difference's change; 0.05 allows logit moves of 0.2.
  expect(Math.max(...diffs)).toBeLessThan(0.05);
  const [ea, eb] = [await fp32.evaluate(heldOut), await int8.evaluate(heldOut)];
  expect(Math.abs(ea.accuracy - eb.accuracy)).toBeLessThanOrEqual(2 / heldOut.length);
});

test('fit is refused with a typed error before any data is read; so is CUDA', async () => {
  await using int8 = new BertClassifier({ model: saved, device: 'cpu', precision: 'int8' });
  await expect(int8.fit(named)).rejects.toBeInstanceOf(OptionValueError);
  await expect(int8.fit(named)).rejects.toThrow(/precision 'int8' is for inference/);
  await expect(new BertClassifier({ model: saved, device: 'cuda', precision: 'int8' }).ready())
    .rejects.toMatchObject({ code: 'ERR_BERTNODE_INVALID_ARGUMENT', message: expect.stringMatching(/only available on the CPU/) });
});

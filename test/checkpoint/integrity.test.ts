// What a resume trusts (issue 12, items 7 and 8): every value it reads from checkpoint.json is covered by the
// checksum, and a damaged latest.json is an error that names the intact checkpoints, never a fresh start that
// prunes them.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointError } from '../../lib/errors';
import { hasCheckpoint, loadCheckpoint, train } from '../../lib/train';
import { FakeModel, loader, syntheticExamples } from '../train/fake-model';

const LABELS = ['neg', 'pos'];
const trainSet = syntheticExamples(60, 12, 1);
const options = { maxSteps: 4, lr: 0.05, seed: 3 } as const;

let tmp: string;
let root: string;
let stepDir: string;
beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-ckpt-integrity-'));
  root = path.join(tmp, 'run');
  // A run stopped after its first checkpoint (step 2 of 4).
  const controller = new AbortController();
  await train(new FakeModel(12, 2), loader(trainSet, 8, 5), LABELS,
    { ...options, checkpointDir: root, signal: controller.signal, onProgress: (e) => e.step === 2 && controller.abort() });
  const latest = JSON.parse(await fsp.readFile(path.join(root, 'latest.json'), 'utf8')) as { checkpoint: string };
  stepDir = path.join(root, latest.checkpoint);
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const resume = (model = new FakeModel(12, 2)) => train(model, loader(trainSet, 8, 5), LABELS, { ...options, checkpointDir: root, resume: true });

type Json = Record<string, any>;
async function editCheckpointJson(edit: (file: Json) => void): Promise<void> {
  const file = path.join(stepDir, 'checkpoint.json');
  const json = JSON.parse(await fsp.readFile(file, 'utf8')) as Json;
  edit(json);
  await fsp.writeFile(file, JSON.stringify(json));
}

describe('checkpoint.json is covered by the checksum', () => {
  test('an untouched checkpoint resumes', async () => {
    await expect(resume()).resolves.toMatchObject({ steps: 4 });
  });

  test.each([
    ['state.step', (f: Json) => { f.value.state.step += 1; }],
    ['optimizer.step', (f: Json) => { f.value.optimizer.step += 1; }],
    ['two tensor offsets swapped', (f: Json) => {
      const [[, a], [, b]] = f.value.parameters.$map as [string, Json][];
      [a.offset, b.offset] = [b.offset, a.offset];
    }],
    ['a learning-rate setting in the fingerprint', (f: Json) => { f.value.fingerprint.settings.lr = 0.5; }],
  ])('an edit of %s is refused on resume', async (_what, edit) => {
    await editCheckpointJson(edit);
    const model = new FakeModel(12, 2);
    const attempt = resume(model);
    await expect(attempt).rejects.toBeInstanceOf(CheckpointError);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_CORRUPT' });
    await expect(attempt).rejects.toThrow(/checkpoint\.json or data\.bin does not match the checksum/);
    expect(model.calls).toBe(0);
  });

  // A version 1 checkpoint.json (checksum over data.bin only), rewritten with the value whose JSON is `valueJson`.
  async function writeVersion1(valueJson: string): Promise<void> {
    const data = await fsp.readFile(path.join(stepDir, 'data.bin'));
    const sha256 = createHash('sha256').update(data).digest('hex');
    const header = JSON.stringify({ format: 'bertnode-checkpoint', version: 1, byteLength: data.length, sha256 });
    await fsp.writeFile(path.join(stepDir, 'checkpoint.json'), `${header.slice(0, -1)},"value":${valueJson}}`);
  }

  test('a version 1 checkpoint still loads, verified as before, with a warning', async () => {
    const { value } = JSON.parse(await fsp.readFile(path.join(stepDir, 'checkpoint.json'), 'utf8')) as Json;
    await writeVersion1(JSON.stringify(value));
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await expect(resume()).resolves.toMatchObject({ steps: 4 });
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/version 1 checkpoint/), { code: 'BERTNODE_CHECKPOINT_V1' });
    } finally {
      warn.mockRestore();
    }
  });

  // References that pass the (version 1) checksum but were not written by saveCheckpoint.
  test.each([
    ['an unknown dtype', '{"w": {"$tensor": "toString", "offset": 0, "length": 1}}'],
    ['a negative length', '{"w": {"$tensor": "f32", "offset": 0, "length": -1}}'],
    ['a huge length', '{"w": {"$tensor": "f32", "offset": 0, "length": 1e300}}'],
    ['a map that is not a list of pairs', '{"m": {"$map": 7}}'],
    ['a value nested 100k deep', `{"w": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
  ])('%s is a CheckpointError', async (_what, valueJson) => {
    await writeVersion1(valueJson);
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      await expect(loadCheckpoint(root)).rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_CORRUPT' });
    } finally {
      warn.mockRestore();
    }
  });
});

describe('a damaged latest.json', () => {
  test.each([
    ['null', 'null'],
    ['truncated', '{"checkpoint": "st'],
    ['empty', ''],
    ['garbage bytes', '\u0000\u00ff\u0013'],
    ['a name outside the folder', '{"checkpoint": "../elsewhere"}'],
    ['a name that is not a string', '{"checkpoint": 7}'],
  ])('(%s) is a typed error naming the intact checkpoint, which is kept', async (_what, content) => {
    await fsp.writeFile(path.join(root, 'latest.json'), content);
    expect(await hasCheckpoint(root)).toBe(true);
    const model = new FakeModel(12, 2);
    const attempt = resume(model);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_CORRUPT' });
    await expect(attempt).rejects.toThrow(new RegExp(`latest\\.json .*complete checkpoints beside it: ${path.basename(stepDir)}`));
    expect(model.calls).toBe(0);
    // The intact checkpoint is still there and loads by its directory.
    await expect(loadCheckpoint(stepDir)).resolves.toMatchObject({ dir: stepDir });
  });

  test('a missing latest.json (and no checkpoint) still means a fresh start', async () => {
    const empty = path.join(tmp, 'empty');
    expect(await hasCheckpoint(empty)).toBe(false);
    await expect(train(new FakeModel(12, 2), loader(trainSet, 8, 5), LABELS, { ...options, checkpointDir: empty, resume: true }))
      .resolves.toMatchObject({ steps: 4 });
  });
});

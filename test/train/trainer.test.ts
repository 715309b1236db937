import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointError, ResumeSettingsError, TrainingOptionsError } from '../../lib/errors';
import { BatchLoader, evaluationBatches } from '../../lib/data';
import { MetricsAccumulator, ProgressEvent, evaluateModel, learningRateAt, loadCheckpoint, saveCheckpoint, train } from '../../lib/train';
import { FakeModel, loader, syntheticExamples } from './fake-model';

const LABELS = ['neg', 'pos'];
const VOCAB = 12;
const trainSet = syntheticExamples(60, VOCAB, 1);
const evalSet = syntheticExamples(40, VOCAB, 2);
const data = () => loader(trainSet, 8, 5);
const evaluation = evaluationBatches(evalSet, { batchSize: 16 });

let tmp: string;
beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-train-'));
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

const params = (m: FakeModel) => m.parameterNames().map((n) => [n, Array.from(m.getParameter(n))] as const);

describe('metrics', () => {
  test('accuracy, per-class and macro precision/recall/F1, confusion matrix, mean loss', () => {
    const acc = new MetricsAccumulator(['a', 'b', 'c']);
    // true:      a a a b b c
    // predicted: a a b b c c
    acc.addPredictions(Int32Array.from([0, 0, 1, 1, 2, 2]), Int32Array.from([0, 0, 0, 1, 1, 2]), 0.5);
    acc.addLogits(Float32Array.from([0, 0, 9]), Int32Array.from([1]), 2.0);
    const r = acc.result();
    expect(r.confusionMatrix).toEqual([[2, 1, 0], [0, 1, 2], [0, 0, 1]]);
    expect(r.accuracy).toBeCloseTo(4 / 7, 12);
    expect(r.perClass[0]).toMatchObject({ precision: 1, recall: 2 / 3, support: 3 });
    expect(r.perClass[1].precision).toBeCloseTo(0.5, 12);
    expect(r.perClass[1].recall).toBeCloseTo(1 / 3, 12);
    expect(r.perClass[2].precision).toBeCloseTo(1 / 3, 12);
    expect(r.perClass[2].f1).toBeCloseTo(0.5, 12);
    expect(r.f1).toBeCloseTo((0.8 + 0.4 + 0.5) / 3, 12);
    expect(r.loss).toBeCloseTo((0.5 * 6 + 2.0) / 7, 12);
  });

  test('a class never predicted has precision 0, not NaN; bad indices are typed errors', () => {
    const acc = new MetricsAccumulator(['a', 'b']);
    acc.addPredictions(Int32Array.from([0, 0]), Int32Array.from([0, 1]));
    expect(acc.result().perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0 });
    expect(Number.isNaN(acc.result().loss)).toBe(true);
    expect(() => acc.addPredictions(Int32Array.from([2]), Int32Array.from([0]))).toThrow(TrainingOptionsError);
    expect(() => new MetricsAccumulator(['only'])).toThrow(TrainingOptionsError);
  });
});

describe('schedule', () => {
  test('linear warmup then linear decay to 0 (Hugging Face values); constant after warmup', () => {
    const s = { kind: 'linear' as const, lr: 1, warmupSteps: 4, totalSteps: 12 };
    expect([0, 2, 4, 8, 12].map((k) => learningRateAt(s, k))).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(learningRateAt({ ...s, kind: 'constant' }, 10)).toBe(1);
    expect(learningRateAt({ ...s, warmupSteps: 0 }, 0)).toBe(1);
  });
});

describe('training loop', () => {
  test('learns the signal; progress events carry step, epoch, loss, lr, throughput and ETA', async () => {
    const model = new FakeModel(VOCAB, 2);
    const events: ProgressEvent[] = [];
    const before = await evaluateModel(model, evaluation, LABELS);
    const r = await train(model, data(), LABELS, { epochs: 3, lr: 0.05, evaluation, onProgress: (e) => events.push(e) });
    expect(r.stopReason).toBe('completed');
    expect(r.steps).toBe(24); // ceil(60 / 8) = 8 batches per epoch x 3 epochs
    expect(events.map((e) => e.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(events[23]).toMatchObject({ epoch: 2, totalSteps: 24, batchesPerEpoch: 8, batchInEpoch: 8 });
    expect(events.every((e) => e.examplesPerSecond >= 0 && e.etaSeconds >= 0 && Number.isFinite(e.loss))).toBe(true);
    const noEvaluation: ProgressEvent[] = [];
    await train(new FakeModel(VOCAB, 2), data(), LABELS, { maxSteps: 3, onProgress: (e) => noEvaluation.push(e) });
    expect(noEvaluation[2].etaSeconds).toBe(0); // nothing left: no step, no evaluation
    expect(events[0].lr).toBeCloseTo(0.05, 12); // linear decay from the peak, no warmup
    expect(r.history.epochs).toHaveLength(3);
    expect(r.history.evaluations.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const after = await evaluateModel(model, evaluation, LABELS);
    expect(before.accuracy).toBeLessThan(0.8);
    expect(after.accuracy).toBeGreaterThan(0.85); // chance is 0.5; the signal token decides every example
    expect(r.history.epochs[2].trainLoss).toBeLessThan(r.history.epochs[0].trainLoss);
  });

  test('gradient accumulation over 2 x 4 equals one batch of 8 (no dropout)', async () => {
    const a = new FakeModel(VOCAB, 2, 0);
    const b = new FakeModel(VOCAB, 2, 0);
    await train(a, loader(trainSet, 8, 5), LABELS, { maxSteps: 1, lr: 0.01, maxGradNorm: 0 });
    const r = await train(b, loader(trainSet, 4, 5), LABELS, {
      maxSteps: 1, lr: 0.01, maxGradNorm: 0, gradientAccumulation: 2,
    });
    expect(r.steps).toBe(1);
    // The two models see the same 8 examples only if the permutations agree on the first 8; they do (same seed, n).
    // Tolerance: float64 gradient sums in a different order, then float32 parameters: 1e-6 absolute.
    const pa = a.getParameter('classifier.weight');
    const pb = b.getParameter('classifier.weight');
    for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThan(1e-6);
  });

  test('exact resume: abort mid-run, resume from the checkpoint, same losses and parameters bit for bit', async () => {
    const options = { epochs: 3, lr: 0.05, evaluation, evaluateEvery: 5, checkpointEvery: 3, seed: 9 } as const;
    const full = new FakeModel(VOCAB, 2);
    const ref = await train(full, data(), LABELS, { ...options, checkpointDir: path.join(tmp, 'ref') });

    const controller = new AbortController();
    const first = new FakeModel(VOCAB, 2);
    const dir = path.join(tmp, 'run');
    const stopped = await train(first, data(), LABELS, {
      ...options, checkpointDir: dir, signal: controller.signal,
      onProgress: (e) => e.step === 11 && controller.abort(),
    });
    expect(stopped.stopReason).toBe('aborted');
    expect(stopped.steps).toBe(11); // the step in flight finishes, then a checkpoint is written

    const second = new FakeModel(VOCAB, 2); // fresh parameters: everything must come from the checkpoint
    const resumed = await train(second, data(), LABELS, { ...options, checkpointDir: dir, resume: true });
    expect(resumed.stopReason).toBe('completed');
    expect(resumed.history.steps.map((s) => s.loss)).toEqual(ref.history.steps.map((s) => s.loss));
    expect(resumed.history.evaluations).toEqual(ref.history.evaluations);
    expect(params(second)).toEqual(params(full));
  });

  test('an evaluation interrupted by the signal is redone on resume; the history matches the uninterrupted run', async () => {
    const options = { epochs: 2, lr: 0.05, evaluation, evaluateEvery: 4, seed: 3 } as const;
    const full = new FakeModel(VOCAB, 2);
    const ref = await train(full, data(), LABELS, options);

    const controller = new AbortController();
    let evaluationBatches = 0;
    const dir = path.join(tmp, 'eval-abort');
    const first = await train(new FakeModel(VOCAB, 2), data(), LABELS, {
      ...options, checkpointDir: dir, signal: controller.signal,
      // The second evaluation (after step 8) is stopped after its first batch.
      onEvaluationProgress: () => ++evaluationBatches === 4 && controller.abort(),
    });
    expect(first.stopReason).toBe('aborted');
    expect(first.steps).toBe(8);
    expect(first.history.evaluations).toHaveLength(1);
    const second = new FakeModel(VOCAB, 2);
    const resumed = await train(second, data(), LABELS, { ...options, checkpointDir: dir, resume: true });
    expect(resumed.history).toEqual(ref.history);
    expect(params(second)).toEqual(params(full));
  });

  test('resume: true with an empty checkpoint folder starts from scratch; another set-up is refused', async () => {
    const dir = path.join(tmp, 'ck');
    const r = await train(new FakeModel(VOCAB, 2), data(), LABELS, { maxSteps: 2, checkpointDir: dir, resume: true });
    expect(r.steps).toBe(2);
    await expect(train(new FakeModel(VOCAB, 2), data(), LABELS, { maxSteps: 4, checkpointDir: dir, resume: true }))
      .rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_MISMATCH' });
    const otherBase = new FakeModel(VOCAB, 2);
    otherBase.setParameter('bert.frozen.weight', Float32Array.from([9, 9, 9, 9]));
    await expect(train(otherBase, data(), LABELS, { maxSteps: 2, checkpointDir: dir, resume: true }))
      .rejects.toThrow(/frozen parameters differ/);
    await expect(train(new FakeModel(VOCAB, 2), data(), LABELS, { maxSteps: 2, resume: path.join(tmp, 'nothing') }))
      .rejects.toBeInstanceOf(CheckpointError);
  });

  // Each of these changed nothing the old fingerprint looked at (it held seed, counts, lr, schedule and warmup only),
  // so a resume used to continue silently with other numbers.
  test.each([
    ['weightDecay', { weightDecay: 0 }, 0.01, 0],
    ['maxGradNorm', { maxGradNorm: 0.5 }, 1, 0.5],
    ['beta2', { beta2: 0.98 }, 0.999, 0.98],
    ['bestMetric', { bestMetric: 'loss' }, 'accuracy', 'loss'],
    ['evaluation', { evaluation: undefined }, true, false],
    ['data.seed', { data: () => loader(trainSet, 8, 6) }, 5, 6],
    ['data.padding', { data: () => new BatchLoader(trainSet, { batchSize: 8, shuffle: true, seed: 5, padding: 'max_length' }) }, 'longest', 'max_length'],
    ['data.examplesSha256', { data: () => loader(syntheticExamples(60, VOCAB, 4), 8, 5) }, expect.any(String), expect.any(String)],
  ] as const)('resuming with another %s is refused, naming the setting and both values', async (name, change, recorded, current) => {
    const dir = path.join(tmp, 'mismatch');
    const base = { maxSteps: 4, lr: 0.05, evaluation, checkpointDir: dir } as const;
    const { data: otherData, ...options } = change as { data?: () => ReturnType<typeof data> } & Record<string, unknown>;
    // The interrupted run: same set-up, stopped after its first checkpoint (step 2 of 4).
    const controller = new AbortController();
    await train(new FakeModel(VOCAB, 2), data(), LABELS, { ...base, signal: controller.signal, onProgress: (e) => e.step === 2 && controller.abort() });
    const model = new FakeModel(VOCAB, 2);
    const attempt = train(model, (otherData ?? data)(), LABELS, { ...base, ...options, resume: true });
    await expect(attempt).rejects.toBeInstanceOf(ResumeSettingsError);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_BERTNODE_CHECKPOINT_MISMATCH', setting: name, checkpointValue: recorded, currentValue: current });
    await expect(attempt).rejects.toThrow(new RegExp(`${name.replace('.', '\\.')}: checkpoint `));
    expect(model.calls).toBe(0);
  });

  test('a device change resumes with a warning; a checkpoint without recorded settings resumes exactly with a warning', async () => {
    // A model that reports its device as NativeBert does; the numbers are the same, so the run must still end equal.
    class DeviceModel extends FakeModel {
      constructor(readonly device: string) { super(VOCAB, 2); }
      runSettings() { return { device: this.device }; }
    }
    const options = { epochs: 2, lr: 0.05, checkpointEvery: 3, seed: 4 } as const;
    const full = new FakeModel(VOCAB, 2);
    await train(full, data(), LABELS, options);
    const interrupt = async (dir: string) => {
      const controller = new AbortController();
      await train(new DeviceModel('cpu'), data(), LABELS, { ...options, checkpointDir: dir, signal: controller.signal, onProgress: (e) => e.step === 5 && controller.abort() });
    };
    const warnings: { message: string; code?: string }[] = [];
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(((message: string, o?: { code?: string }) => {
      warnings.push({ message, code: o?.code });
    }) as typeof process.emitWarning);
    try {
      const moved = path.join(tmp, 'moved');
      await interrupt(moved);
      const onCuda = new DeviceModel('cuda');
      await train(onCuda, data(), LABELS, { ...options, checkpointDir: moved, resume: true });
      expect(warnings).toEqual([expect.objectContaining({ code: 'BERTNODE_RESUME_SETTING_CHANGED', message: expect.stringMatching(/device "cuda" instead of "cpu"/) })]);
      expect(params(onCuda)).toEqual(params(full));

      // A checkpoint as an older bertnode wrote it: the few settings it had as fields of the fingerprint, no `settings`.
      const old = path.join(tmp, 'old');
      await interrupt(old);
      const { value } = await loadCheckpoint(old);
      const ck = value as { fingerprint: { settings?: Record<string, unknown> } & Record<string, unknown> };
      const { settings, ...rest } = ck.fingerprint;
      const legacy = ['seed', 'numExamples', 'batchesPerEpoch', 'gradientAccumulation', 'totalSteps', 'lr', 'schedule', 'warmupSteps'];
      ck.fingerprint = { ...rest, ...Object.fromEntries(legacy.map((k) => [k, settings![k]])) };
      await saveCheckpoint(old, 'legacy', ck);
      warnings.length = 0;
      const resumed = new DeviceModel('cpu');
      await train(resumed, data(), LABELS, { ...options, checkpointDir: old, resume: true });
      expect(warnings).toEqual([expect.objectContaining({ code: 'BERTNODE_CHECKPOINT_UNVERIFIED', message: expect.stringMatching(/did not record beta1, beta2, .*device/) })]);
      expect(params(resumed)).toEqual(params(full));
      // What an older checkpoint did record is still checked.
      await expect(train(new DeviceModel('cpu'), data(), LABELS, { ...options, lr: 0.04, checkpointDir: old, resume: true }))
        .rejects.toThrow(/lr: checkpoint 0.05, now 0.04/);
    } finally {
      spy.mockRestore();
    }
  });

  test('early stopping on a metric that cannot improve stops after `patience` evaluations; best model restored', async () => {
    const model = new FakeModel(VOCAB, 2);
    const r = await train(model, data(), LABELS, {
      epochs: 10, lr: 1e-9, evaluation, evaluateEvery: 2, earlyStopping: { metric: 'accuracy', patience: 2 },
    });
    expect(r.stopReason).toBe('early-stopping');
    expect(r.history.evaluations).toHaveLength(3); // the first sets the best, two more without improvement
    expect(r.steps).toBe(6);
    expect(r.restoredBest).toBe(true);
  });

  test('resuming from the final checkpoint of an early-stopped run does not train further', async () => {
    const options = { epochs: 10, lr: 1e-9, evaluation, evaluateEvery: 2, earlyStopping: { patience: 2 }, checkpointDir: path.join(tmp, 'es') };
    const r = await train(new FakeModel(VOCAB, 2), data(), LABELS, options);
    const model = new FakeModel(VOCAB, 2);
    const again = await train(model, data(), LABELS, { ...options, resume: true });
    expect(again.stopReason).toBe('early-stopping');
    expect(again.steps).toBe(r.steps);
    expect(model.calls).toBe(0);
  });

  test('restoreBest leaves the parameters that scored best', async () => {
    const model = new FakeModel(VOCAB, 2);
    const r = await train(model, data(), LABELS, { epochs: 2, lr: 0.3, evaluation, evaluateEvery: 1, bestMetric: 'loss' });
    const losses = r.history.evaluations.map((e) => e.metrics.loss);
    expect(r.best!.value).toBe(Math.min(...losses));
    expect((await evaluateModel(model, evaluation, LABELS)).loss).toBe(r.best!.value);
  });

  test('bad options are typed errors', async () => {
    const m = new FakeModel(VOCAB, 2);
    await expect(train(m, data(), LABELS, { epochs: 0 })).rejects.toBeInstanceOf(TrainingOptionsError);
    await expect(train(m, data(), LABELS, { lr: -1 })).rejects.toBeInstanceOf(TrainingOptionsError);
    await expect(train(m, data(), LABELS, { earlyStopping: { patience: 1 } })).rejects.toBeInstanceOf(TrainingOptionsError);
    await expect(train(m, data(), LABELS, { evaluation, bestMetric: 'auc' as never })).rejects.toBeInstanceOf(TrainingOptionsError);
    await expect(train(m, data(), LABELS, { resume: true })).rejects.toBeInstanceOf(TrainingOptionsError);
  });
});

// The loop behind BertClassifier.fit(): optimizer updates (with gradient accumulation), the learning-rate
// schedule, evaluation, best-model keeping, early stopping, checkpoints and exact resume, AbortSignal, progress.
//
// Exactness of resume rests on four facts: dropout masks are keyed by (seed, micro-step), the batch at
// (epoch, index) depends only on the seed and the epoch, a checkpoint holds every parameter bit for bit, the
// optimizer's moments and step count, and the loop's own position and history, and it records every setting the
// numbers depend on (./run-settings.ts), so a resume with another one is refused. A resumed run therefore issues the
// same native calls with the same inputs as the uninterrupted one.

import { createHash } from 'node:crypto';
import { CheckpointError, TrainingOptionsError } from '../errors';
import { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { checkResumeSettings, modelRunSettings, prefixed } from './run-settings';
import { evaluateModel } from './evaluate';
import { isImprovement } from './metrics';
import { EvaluationRecord, ResolvedTrainOptions, TrainOptions, resolveTrainOptions } from './options';
import type { ClassificationMetrics } from './metrics';
import { ScheduleOptions, learningRateAt, validateSchedule } from './schedule';
import { RunSettings, StepHyper, TrainableModel, TrainingBatches } from './types';

export interface StepRecord {
  /** Optimizer update (1-based). */
  step: number;
  /** Fractional epoch position of the update. */
  epoch: number;
  /** The update's training loss. */
  loss: number;
  /** Learning rate the update used. */
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface EpochRecord<M = ClassificationMetrics> {
  /** Epoch (0-based). */
  epoch: number;
  /** mean over the epoch's examples */
  trainLoss: number;
  /** The evaluation at the end of the epoch, when one ran. */
  evaluation?: EvaluationRecord<M>;
}

export interface TrainingHistory<M = ClassificationMetrics> {
  /** Every optimizer update. */
  steps: StepRecord[];
  /** Every completed epoch. */
  epochs: EpochRecord<M>[];
  /** Every evaluation on the validation data. */
  evaluations: EvaluationRecord<M>[];
}

export type StopReason = 'completed' | 'early-stopping' | 'aborted';

export interface TrainResult<M = ClassificationMetrics> {
  /** Why training ended: `'completed'`, `'early-stopping'` or `'aborted'` (the signal). */
  stopReason: StopReason;
  /** Optimizer updates done (a resumed run counts the interrupted part). */
  steps: number;
  /** Updates planned. */
  totalSteps: number;
  /** Losses, learning rates and evaluations, step by step. */
  history: TrainingHistory<M>;
  /** The best evaluation by `bestMetric`, when there was evaluation data. */
  best?: { metric: string; value: number; step: number; epoch: number };
  /** Whether the model ends with the best evaluation's parameters (`restoreBest`). */
  restoredBest: boolean;
  /** directory of the last checkpoint written */
  checkpoint?: string;
}

// This process's share of the run (a resumed run measures its own throughput).
interface Session {
  startedAt: number;
  trainingMs: number;
  examples: number;
  stepsDone: number;
  evaluationMs: number;
  evaluations: number;
}

interface LoopState<M> {
  step: number; // optimizer updates done
  microStep: number; // micro-batches done; keys dropout
  epoch: number;
  batchInEpoch: number;
  epochLossSum: number;
  epochExamples: number;
  history: TrainingHistory<M>;
  best?: TrainResult['best'];
  evaluationsWithoutImprovement: number;
  stoppedEarly?: boolean; // so that resuming from the final checkpoint of an early-stopped run does not train on
  pendingAfterStep?: AfterStep; // the step's evaluation was interrupted: redo it (and what follows) on resume
}

// What remains to do after an optimizer step: evaluation and checkpoint decisions depend on these.
interface AfterStep {
  epochOfStep: number;
  epochEnded: boolean;
  lastStep: boolean;
}

// What must agree between a checkpoint and the run that resumes from it for the resume to be exact.
interface RunFingerprint {
  // Absent in checkpoints of older versions, whose fingerprint held only the settings in OLD_FINGERPRINT_SETTINGS
  // as fields of its own.
  settings?: RunSettings;
  parameters: string[];
  trainable: string[];
  // Frozen parameters never change, so a checkpoint stores only this digest of them (bert-base with the classic
  // recipe: ~115 MB of checkpoint instead of ~525 MB); resuming checks that the model starts from the same ones.
  frozenSha256: string;
}

// The settings an older checkpoint's fingerprint recorded, under the same names as in `settings`.
const OLD_FINGERPRINT_SETTINGS = ['seed', 'numExamples', 'batchesPerEpoch', 'gradientAccumulation', 'totalSteps', 'lr', 'schedule', 'warmupSteps'];

interface CheckpointValue<M> {
  kind: 'bertnode-trainer';
  fingerprint: RunFingerprint;
  state: LoopState<M>;
  parameters: Map<string, Float32Array>; // the trainable ones
  optimizer: unknown;
  bestParameters?: Map<string, Float32Array>;
}

export class Trainer<M = ClassificationMetrics> {
  private readonly o: ResolvedTrainOptions;
  private readonly schedule: ScheduleOptions;
  private readonly batchesPerEpoch: number;
  private readonly stepsPerEpoch: number;
  private readonly totalSteps: number;
  private bestParameters?: Map<string, Float32Array>;
  private lastCheckpoint?: string;
  private frozenSha256?: string;

  constructor(
    private readonly model: TrainableModel,
    private readonly data: TrainingBatches,
    private readonly labelNames: readonly string[],
    private readonly options: TrainOptions<M> = {},
  ) {
    this.o = resolveTrainOptions(options);
    this.batchesPerEpoch = data.batchesPerEpoch();
    if (this.batchesPerEpoch < 1) throw new TrainingOptionsError('the training data has no batches');
    this.stepsPerEpoch = Math.ceil(this.batchesPerEpoch / this.o.gradientAccumulation);
    this.totalSteps = this.o.maxSteps ?? this.o.epochs * this.stepsPerEpoch;
    const warmupSteps = this.o.warmupSteps ?? Math.ceil(this.o.warmupRatio * this.totalSteps);
    this.schedule = { kind: this.o.schedule, lr: this.o.lr, warmupSteps, totalSteps: this.totalSteps };
    validateSchedule(this.schedule);
    if (options.resume && !options.checkpointDir && typeof options.resume !== 'string') {
      throw new TrainingOptionsError('resume: true needs checkpointDir (or pass the checkpoint path as resume)');
    }
  }

  async run(): Promise<TrainResult<M>> {
    const st = await this.initialState();
    const signal = this.options.signal;
    const session: Session = { startedAt: Date.now(), trainingMs: 0, examples: 0, stepsDone: 0, evaluationMs: 0, evaluations: 0 };
    let stopReason: StopReason = st.stoppedEarly ? 'early-stopping' : 'completed';

    // A run stopped during an evaluation resumes by finishing it, so its history matches an uninterrupted run's.
    let pending = st.pendingAfterStep;
    while (!st.stoppedEarly && (pending || st.step < this.totalSteps)) {
      if (signal?.aborted) {
        stopReason = 'aborted';
        break;
      }
      if (!pending) {
        const t0 = Date.now();
        const { loss, gradNorm, lr, examples } = await this.optimizerStep(st);
        session.trainingMs += Date.now() - t0;
        session.examples += examples;
        session.stepsDone++;
        st.history.steps.push({ step: st.step, epoch: st.epoch, loss, lr, gradNorm });
        st.epochLossSum += loss * examples;
        st.epochExamples += examples;
        pending = { epochOfStep: st.epoch, epochEnded: st.batchInEpoch === this.batchesPerEpoch, lastStep: st.step === this.totalSteps };
        this.emitProgress(st, pending.epochOfStep, loss, lr, gradNorm, session);
        if (pending.epochEnded) {
          st.history.epochs.push({ epoch: st.epoch, trainLoss: st.epochLossSum / st.epochExamples });
          st.epoch++;
          st.batchInEpoch = 0;
          st.epochLossSum = 0;
          st.epochExamples = 0;
        }
      }
      const { epochOfStep, epochEnded, lastStep } = pending;
      let stopEarly = false;
      if (this.evaluationDue(st, epochEnded, lastStep)) {
        st.pendingAfterStep = pending;
        try {
          const t0 = Date.now();
          stopEarly = await this.evaluate(st, epochOfStep, epochEnded);
          session.evaluationMs += Date.now() - t0;
          session.evaluations++;
        } catch (e) {
          if (!signal?.aborted) throw e;
          stopReason = 'aborted';
          break;
        }
      }
      st.pendingAfterStep = undefined;
      pending = undefined;
      if (stopEarly) {
        stopReason = 'early-stopping';
        st.stoppedEarly = true;
      }
      if (this.checkpointDue(st, epochEnded, lastStep || stopEarly)) await this.checkpoint(st);
    }
    if (stopReason === 'aborted' && this.options.checkpointDir) await this.checkpoint(st);

    let restoredBest = false;
    if (this.o.restoreBest && this.bestParameters) {
      for (const [name, value] of this.bestParameters) this.model.setParameter(name, value);
      restoredBest = true;
    }
    return {
      stopReason,
      steps: st.step,
      totalSteps: this.totalSteps,
      history: st.history,
      best: st.best,
      restoredBest,
      checkpoint: this.lastCheckpoint,
    };
  }

  // One optimizer update over up to `gradientAccumulation` micro-batches (fewer at the end of an epoch).
  private async optimizerStep(st: LoopState<M>): Promise<{ loss: number; gradNorm: number; lr: number; examples: number }> {
    const o = this.o;
    const count = Math.min(o.gradientAccumulation, this.batchesPerEpoch - st.batchInEpoch);
    const lr = learningRateAt(this.schedule, st.step);
    const hyper: StepHyper = {
      lr,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      weightDecay: o.weightDecay,
      maxGradNorm: o.maxGradNorm,
      seed: o.seed,
      step: st.microStep,
    };
    if (count === 1) {
      const { batch, labels } = this.data.batch(st.epoch, st.batchInEpoch);
      const r = await this.model.trainStep(batch, labels, hyper);
      st.batchInEpoch++;
      st.microStep++;
      st.step++;
      return { loss: r.loss, gradNorm: r.gradNorm, lr, examples: batch.batchSize };
    }
    // Each micro-batch's mean loss is weighted by its share of the update's examples, so the accumulated gradient is
    // the gradient of the mean loss over all of them, whatever the sizes of the micro-batches.
    const batches = Array.from({ length: count }, (_, i) => this.data.batch(st.epoch, st.batchInEpoch + i));
    const examples = batches.reduce((s, b) => s + b.batch.batchSize, 0);
    let loss = 0;
    for (const { batch, labels } of batches) {
      const scale = batch.batchSize / examples;
      const r = await this.model.accumulateGradients(batch, labels, { scale, seed: o.seed, step: st.microStep });
      loss += r.loss * scale;
      st.microStep++;
      st.batchInEpoch++;
    }
    const { gradNorm } = await this.model.applyOptimizer(hyper);
    st.step++;
    return { loss, gradNorm, lr, examples };
  }

  private emitProgress(
    st: LoopState<M>,
    epoch: number,
    loss: number,
    lr: number,
    gradNorm: number,
    session: Session,
  ): void {
    if (!this.options.onProgress) return;
    const seconds = session.trainingMs / 1000;
    const secondsPerStep = seconds / session.stepsDone;
    // Evaluations still due: timed once one has run; until then priced at the training throughput per example (an
    // evaluation example costs a forward pass only, so this errs on the long side).
    const evaluation = this.options.evaluation;
    const secondsPerEvaluation = session.evaluations > 0
      ? session.evaluationMs / 1000 / session.evaluations
      : evaluation ? (evaluation.numExamples * seconds) / Math.max(1, session.examples) : 0;
    this.options.onProgress({
      step: st.step,
      totalSteps: this.totalSteps,
      epoch,
      epochs: this.totalSteps / this.stepsPerEpoch,
      batchInEpoch: st.batchInEpoch,
      batchesPerEpoch: this.batchesPerEpoch,
      loss,
      lr,
      gradNorm,
      examplesPerSecond: seconds > 0 ? session.examples / seconds : 0,
      elapsedSeconds: (Date.now() - session.startedAt) / 1000,
      etaSeconds: secondsPerStep * (this.totalSteps - st.step) + secondsPerEvaluation * this.evaluationsFrom(st.step),
    });
  }

  // Evaluations the run will still make from optimizer step `step` on, that step's own included (progress is
  // reported before it): each epoch end or every N steps, and the last step.
  private evaluationsFrom(step: number): number {
    if (!this.options.evaluation) return 0;
    const every = this.o.evaluateEvery === 'epoch' ? this.stepsPerEpoch : this.o.evaluateEvery;
    const regular = Math.floor(this.totalSteps / every) - Math.floor((step - 1) / every);
    return regular + (this.totalSteps % every !== 0 ? 1 : 0);
  }

  private evaluationDue(st: LoopState<M>, epochEnded: boolean, lastStep: boolean): boolean {
    if (!this.options.evaluation) return false;
    const every = this.o.evaluateEvery;
    if (every === 'epoch' ? epochEnded : st.step % every === 0) return true;
    // The run's final parameters are always evaluated, even when the last step falls between evaluation points.
    return lastStep;
  }

  private checkpointDue(st: LoopState<M>, epochEnded: boolean, finalOne: boolean): boolean {
    if (!this.options.checkpointDir) return false;
    const every = this.o.checkpointEvery;
    return finalOne || (every === 'epoch' ? epochEnded : st.step % every === 0);
  }

  // Evaluates, keeps the best parameters, and answers whether early stopping has run out of patience.
  private async evaluate(st: LoopState<M>, epochOfStep: number, epochEnded: boolean): Promise<boolean> {
    const data = this.options.evaluation!;
    const evaluateOptions = { signal: this.options.signal, onProgress: this.options.onEvaluationProgress };
    // Without a task's evaluator the loop trains sequence classification, whose metrics are ClassificationMetrics.
    const metrics = this.options.evaluator
      ? await this.options.evaluator.evaluate(this.model, data, evaluateOptions)
      : await evaluateModel(this.model, data, this.labelNames, evaluateOptions) as M;
    const position = epochEnded ? st.epoch : epochOfStep + st.batchInEpoch / this.batchesPerEpoch;
    const record: EvaluationRecord<M> = { step: st.step, epoch: position, metrics };
    st.history.evaluations.push(record);
    if (epochEnded) st.history.epochs[st.history.epochs.length - 1].evaluation = record;
    this.options.onEvaluation?.(record);

    const bestMetric = this.o.bestMetric;
    if (isImprovement(bestMetric, metricValue(metrics, bestMetric), st.best?.value)) {
      st.best = { metric: bestMetric, value: metricValue(metrics, bestMetric), step: st.step, epoch: position };
      if (this.o.restoreBest) this.bestParameters = this.copyTrainableParameters();
    }
    const es = this.o.earlyStopping;
    if (!es) return false;
    const previous = st.history.evaluations.slice(0, -1).map((r) => metricValue(r.metrics, es.metric));
    const bestBefore = previous.reduce<number | undefined>((b, v) => (isImprovement(es.metric, v, b) ? v : b), undefined);
    st.evaluationsWithoutImprovement = isImprovement(es.metric, metricValue(metrics, es.metric), bestBefore, es.minDelta) ? 0 : st.evaluationsWithoutImprovement + 1;
    return st.evaluationsWithoutImprovement >= es.patience;
  }

  private copyTrainableParameters(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const name of this.model.parameterNames()) if (this.model.isTrainable(name)) out.set(name, Float32Array.from(this.model.getParameter(name)));
    return out;
  }

  private fingerprint(): RunFingerprint {
    return {
      settings: this.runSettings(),
      parameters: this.model.parameterNames(),
      trainable: this.trainableNames(),
      frozenSha256: this.frozenDigest(),
    };
  }

  // Every setting the continued run's numbers depend on (./run-settings.ts). The frozen-layer cache is named at the
  // top level (false when the batches do not come from one), since training from it is a different computation.
  private runSettings(): RunSettings {
    const o = this.o;
    const { frozenCache = false, frozenCacheBuildBatchSize = null, ...data } = this.data.runSettings?.() ?? {};
    const evaluation = this.options.evaluation;
    return {
      seed: o.seed,
      numExamples: this.data.numExamples,
      batchesPerEpoch: this.batchesPerEpoch,
      gradientAccumulation: o.gradientAccumulation,
      totalSteps: this.totalSteps,
      lr: o.lr,
      schedule: o.schedule,
      warmupSteps: this.schedule.warmupSteps,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      weightDecay: o.weightDecay,
      maxGradNorm: o.maxGradNorm,
      frozenCache,
      frozenCacheBuildBatchSize,
      ...modelRunSettings(this.model),
      ...prefixed('data.', data),
      // Evaluation decides the best model (restoreBest) and early stopping, so its data and options count too.
      evaluation: evaluation !== undefined,
      ...(evaluation && { 'evaluation.numExamples': evaluation.numExamples, ...prefixed('evaluation.', evaluation.runSettings?.() ?? {}) }),
      evaluateEvery: o.evaluateEvery,
      bestMetric: o.bestMetric,
      restoreBest: o.restoreBest,
      earlyStopping: o.earlyStopping ? JSON.stringify(o.earlyStopping) : null,
    };
  }

  private trainableNames(): string[] {
    return this.model.parameterNames().filter((n) => this.model.isTrainable(n));
  }

  // Computed once per run: frozen parameters are never written during training.
  private frozenDigest(): string {
    if (this.frozenSha256 === undefined) {
      const hash = createHash('sha256');
      for (const name of this.model.parameterNames()) {
        if (this.model.isTrainable(name)) continue;
        const p = this.model.getParameter(name);
        hash.update(name).update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
      }
      this.frozenSha256 = hash.digest('hex');
    }
    return this.frozenSha256;
  }

  private async checkpoint(st: LoopState<M>): Promise<void> {
    const parameters = new Map<string, Float32Array>();
    for (const name of this.trainableNames()) parameters.set(name, this.model.getParameter(name));
    const value: CheckpointValue<M> = {
      kind: 'bertnode-trainer',
      fingerprint: this.fingerprint(),
      state: st,
      parameters,
      optimizer: this.model.getOptimizerState(),
      bestParameters: this.bestParameters,
    };
    const name = `step-${String(st.step).padStart(8, '0')}-${Date.now().toString(36)}`;
    this.lastCheckpoint = await saveCheckpoint(this.options.checkpointDir!, name, value, { keep: this.o.keepCheckpoints });
  }

  private async initialState(): Promise<LoopState<M>> {
    const fresh: LoopState<M> = {
      step: 0,
      microStep: 0,
      epoch: 0,
      batchInEpoch: 0,
      epochLossSum: 0,
      epochExamples: 0,
      history: { steps: [], epochs: [], evaluations: [] },
      evaluationsWithoutImprovement: 0,
    };
    const resume = this.options.resume;
    if (!resume) return fresh;
    const location = typeof resume === 'string' ? resume : this.options.checkpointDir!;
    // resume: true with an empty checkpoint folder starts from scratch, so one command line serves both runs.
    if (resume === true && !(await hasCheckpoint(location))) return fresh;
    const { dir, value } = await loadCheckpoint(location);
    const ck = value as CheckpointValue<M>;
    if (ck.kind !== 'bertnode-trainer') throw new CheckpointError(`${dir} is not a training checkpoint`, 'ERR_BERTNODE_CHECKPOINT_MISMATCH');
    const expected = this.fingerprint();
    const recorded = ck.fingerprint as RunFingerprint & Record<string, unknown>;
    // The model's parameter set first: another model makes every other comparison moot. An older checkpoint's
    // fingerprint held some settings as fields of its own; they are compared here like the model's.
    const structural = { parameters: expected.parameters, trainable: expected.trainable, frozenSha256: expected.frozenSha256 };
    const old = recorded.settings === undefined ? Object.fromEntries(OLD_FINGERPRINT_SETTINGS.map((k) => [k, expected.settings![k]])) : {};
    for (const [key, value] of Object.entries({ ...structural, ...old })) {
      if (JSON.stringify(value) !== JSON.stringify(recorded[key])) {
        const why = key === 'frozenSha256'
          ? 'the frozen parameters differ from those it was trained with (another base model or revision?)'
          : `${key}: checkpoint ${JSON.stringify(recorded[key]).slice(0, 80)}, now ${JSON.stringify(value).slice(0, 80)}`;
        throw new CheckpointError(`${dir} was written by a different run set-up (${why}); resume with the same model, data and options`,
          'ERR_BERTNODE_CHECKPOINT_MISMATCH');
      }
    }
    checkResumeSettings(dir, recorded.settings, expected.settings!, OLD_FINGERPRINT_SETTINGS);
    for (const [name, data] of ck.parameters) this.model.setParameter(name, data);
    this.model.setOptimizerState(ck.optimizer);
    this.bestParameters = ck.bestParameters;
    this.lastCheckpoint = dir;
    return ck.state;
  }
}

export async function train<M = ClassificationMetrics>(
  model: TrainableModel,
  data: TrainingBatches,
  labelNames: readonly string[],
  options: TrainOptions<M> = {},
): Promise<TrainResult<M>> {
  return new Trainer<M>(model, data, labelNames, options).run();
}

// A metric by name: the evaluator's metricNames (checked by resolveTrainOptions) name numeric fields.
function metricValue(metrics: unknown, name: string): number {
  return (metrics as Record<string, number>)[name];
}

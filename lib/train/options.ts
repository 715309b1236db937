// Options of the training loop, their defaults and their validation. Defaults follow Hugging Face's Trainer
// (AdamW β1 0.9, β2 0.999, ε 1e-8, weight decay 0.01 off biases/LayerNorm, clipping at global norm 1.0, linear
// decay) with the classic IMDb recipe's learning rate 5e-5, 2 epochs and seed 1234.

import { TrainingOptionsError } from '../errors';
import { ClassificationMetrics, METRIC_NAMES, MetricName } from './metrics';
import type { EvaluateOptions } from './evaluate';
import { ScheduleKind } from './schedule';
import { finite, integer, oneOf } from './option-check';
import { EvaluationBatches, TrainableModel } from './types';

export interface ProgressEvent {
  /** optimizer updates done, 1-based after the first update */
  step: number;
  /** Updates planned. */
  totalSteps: number;
  /** 0-based epoch the step belongs to */
  epoch: number;
  /** planned epochs (fractional when maxSteps ends mid-epoch) */
  epochs: number;
  /** micro-batches of this epoch done */
  batchInEpoch: number;
  /** Micro-batches per epoch. */
  batchesPerEpoch: number;
  /** this update's training loss (mean over its examples) */
  loss: number;
  /** Learning rate of this update. */
  lr: number;
  /** global gradient norm before clipping */
  gradNorm: number;
  /** training throughput of this session (evaluation time excluded) */
  examplesPerSecond: number;
  /** Time since this session started. */
  elapsedSeconds: number;
  /** remaining time at the current throughput, evaluations still due included */
  etaSeconds: number;
}

export interface EvaluationRecord<M = ClassificationMetrics> {
  /** Optimizer updates done when it ran. */
  step: number;
  /** fractional position: completed epochs + share of the current one */
  epoch: number;
  /** The metrics on the validation data. */
  metrics: M;
}

/**
 * How a task evaluates (lib/tasks): the loop runs it on `evaluation` and picks the best model and early stopping by
 * one of `metricNames`. Without one, the loop evaluates sequence classification (evaluateModel).
 */
export interface Evaluator<M> {
  /** The numeric metrics bestMetric and earlyStopping.metric may name ('loss' and 'perplexity' improve downwards). */
  readonly metricNames: readonly string[];
  /** bestMetric when none is given. */
  readonly defaultMetric: string;
  evaluate(model: TrainableModel, data: EvaluationBatches, options: EvaluateOptions): Promise<M>;
}

export interface EarlyStoppingOptions {
  /** default: bestMetric */
  metric?: MetricName | string;
  /** evaluations without improvement before stopping */
  patience: number;
  /** smallest change that counts as an improvement (default 0) */
  minDelta?: number;
}

export interface TrainOptions<M = ClassificationMetrics> {
  /** default 2 */
  epochs?: number;
  /** optimizer updates; when set, overrides epochs */
  maxSteps?: number;
  /** micro-batches per optimizer update (default 1) */
  gradientAccumulation?: number;
  /** peak learning rate (default 5e-5) */
  lr?: number;
  /** default 'linear' */
  schedule?: ScheduleKind;
  /** default 0; or warmupRatio of the total steps */
  warmupSteps?: number;
  /** Share of the total steps spent warming the learning rate up (instead of `warmupSteps`). Default 0. */
  warmupRatio?: number;
  /** default 0.01 */
  weightDecay?: number;
  /** default 0.9 */
  beta1?: number;
  /** default 0.999 */
  beta2?: number;
  /** default 1e-8 */
  eps?: number;
  /** default 1.0; 0 disables clipping */
  maxGradNorm?: number;
  /** dropout masks and data order (default 1234) */
  seed?: number;
  /** Evaluation batches (fit() builds them from its `validation` option). */
  evaluation?: EvaluationBatches;
  /** 'epoch' (default) or every N optimizer steps */
  evaluateEvery?: 'epoch' | number;
  /** metric that picks the best model (default 'accuracy', or the evaluator's default) */
  bestMetric?: MetricName | string;
  /** How evaluation data is scored (task classes); default: sequence classification metrics. */
  evaluator?: Evaluator<M>;
  /** end with the best evaluated parameters (default true when there is evaluation data) */
  restoreBest?: boolean;
  /** Stop when the evaluations stop improving. */
  earlyStopping?: EarlyStoppingOptions;
  /** Folder for checkpoints (written every `checkpointEvery`, read by `resume`). Default: none written. */
  checkpointDir?: string;
  /** 'epoch' (default) or every N optimizer steps */
  checkpointEvery?: 'epoch' | number;
  /** default 1 */
  keepCheckpoints?: number;
  /** true: resume from checkpointDir when it holds one; a path: resume from there */
  resume?: boolean | string;
  /** Stops training after the current step (a checkpoint is written when `checkpointDir` is set); `stopReason` is then `aborted`. */
  signal?: AbortSignal;
  /** Called after every optimizer update. */
  onProgress?: (event: ProgressEvent) => void;
  /** Called after every evaluation. */
  onEvaluation?: (record: EvaluationRecord<M>) => void;
  /** batches of the running evaluation */
  onEvaluationProgress?: (done: number, total: number) => void;
}

export interface ResolvedTrainOptions {
  epochs: number;
  maxSteps?: number;
  gradientAccumulation: number;
  lr: number;
  schedule: ScheduleKind;
  warmupSteps?: number;
  warmupRatio: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  eps: number;
  maxGradNorm: number;
  seed: number;
  evaluateEvery: 'epoch' | number;
  bestMetric: string;
  restoreBest: boolean;
  earlyStopping?: Required<EarlyStoppingOptions>;
  checkpointEvery: 'epoch' | number;
  keepCheckpoints: number;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  integer(1)(v, name);
  return v;
}

function finiteIn(name: string, v: number | undefined, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  finite(lo, hi)(v, name);
  return v;
}

function every(name: string, v: 'epoch' | number | undefined): 'epoch' | number {
  if (v === undefined || v === 'epoch') return 'epoch';
  return positiveInt(name, v, 1);
}

function metric(name: string, v: string | undefined, dflt: string, names: readonly string[]): string {
  if (v === undefined) return dflt;
  oneOf(...names)(v, name);
  return v;
}

export function resolveTrainOptions<M>(o: TrainOptions<M>): ResolvedTrainOptions {
  const names = o.evaluator?.metricNames ?? METRIC_NAMES;
  const bestMetric = metric('bestMetric', o.bestMetric, o.evaluator?.defaultMetric ?? 'accuracy', names);
  if (o.earlyStopping && !o.evaluation) throw new TrainingOptionsError('earlyStopping needs evaluation data');
  if (o.warmupSteps !== undefined && o.warmupRatio !== undefined) throw new TrainingOptionsError('give warmupSteps or warmupRatio, not both');
  return {
    epochs: positiveInt('epochs', o.epochs, 2),
    maxSteps: o.maxSteps === undefined ? undefined : positiveInt('maxSteps', o.maxSteps, 1),
    gradientAccumulation: positiveInt('gradientAccumulation', o.gradientAccumulation, 1),
    lr: finiteIn('lr', o.lr, 5e-5, Number.MIN_VALUE, 10),
    schedule: o.schedule === undefined ? 'linear' : (oneOf('linear', 'constant')(o.schedule, 'schedule'), o.schedule),
    warmupSteps: o.warmupSteps === undefined ? undefined : finiteIn('warmupSteps', o.warmupSteps, 0, 0, Number.MAX_SAFE_INTEGER),
    warmupRatio: finiteIn('warmupRatio', o.warmupRatio, 0, 0, 1),
    weightDecay: finiteIn('weightDecay', o.weightDecay, 0.01, 0, 10),
    beta1: finiteIn('beta1', o.beta1, 0.9, 0, 0.999999),
    beta2: finiteIn('beta2', o.beta2, 0.999, 0, 0.999999999),
    eps: finiteIn('eps', o.eps, 1e-8, Number.MIN_VALUE, 1),
    maxGradNorm: finiteIn('maxGradNorm', o.maxGradNorm, 1.0, 0, Number.MAX_VALUE),
    seed: finiteIn('seed', o.seed, 1234, 0, 2 ** 32 - 1),
    evaluateEvery: every('evaluateEvery', o.evaluateEvery),
    bestMetric,
    restoreBest: o.restoreBest ?? o.evaluation !== undefined,
    earlyStopping: o.earlyStopping && {
      metric: metric('earlyStopping.metric', o.earlyStopping.metric, bestMetric, names),
      patience: positiveInt('earlyStopping.patience', o.earlyStopping.patience, 1),
      minDelta: finiteIn('earlyStopping.minDelta', o.earlyStopping.minDelta, 0, 0, Number.MAX_VALUE),
    },
    checkpointEvery: every('checkpointEvery', o.checkpointEvery),
    keepCheckpoints: positiveInt('keepCheckpoints', o.keepCheckpoints, 1),
  };
}

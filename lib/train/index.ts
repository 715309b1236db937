// The training loop and what it is made of.
export { Trainer, train } from './trainer';
export type { EpochRecord, StepRecord, StopReason, TrainResult, TrainingHistory } from './trainer';
export type { EarlyStoppingOptions, EvaluationRecord, ProgressEvent, TrainOptions } from './options';
export { MetricsAccumulator, argmax, softmaxRow, isImprovement, METRIC_NAMES } from './metrics';
export type { ClassMetrics, ClassificationMetrics, MetricName } from './metrics';
export { learningRateAt } from './schedule';
export type { ScheduleKind, ScheduleOptions } from './schedule';
export { evaluateModel } from './evaluate';
export type { EvaluateOptions } from './evaluate';
export { hasCheckpoint, loadCheckpoint, saveCheckpoint } from './checkpoint';
export type {
  EncodedBatch, EvaluationBatches, LabeledBatch, OptimizerSettings, StepHyper, TrainableModel, TrainingBatches,
} from './types';
export { FrozenCache, frozenCacheKey, hasFrozenPrefix } from './frozen-cache';
export type { FrozenCacheDtype, FrozenCacheOptions, FrozenCacheStorage } from './frozen-cache';
export { FrozenCacheModel, cachedEvaluationBatches, cachedTrainingBatches, prepareFrozenTraining } from './frozen-training';
export type { CacheFrozenLayersOption, FrozenTraining, PrefixedBatch } from './frozen-training';

// The declarations use Node's types (Buffer, AbortSignal, fs streams): package.json declares @types/node as a
// dependency and this directive makes the published .d.ts ask for it, so a consumer need not declare it.
/// <reference types="node" preserve="true" />
// Public entry point of bertnode: the names the README's "API" section lists, and nothing else (test/package checks
// the two agree). The loaders, batching, training loop and caches behind them stay internal so they can change.

export { BertClassifier, loadImdb } from './classifier';
export type {
  ClassifierOptions, DeviceOption, Explanation, ExplainOptions, FitOptions, FitResult, HubOptions, ImdbData, ImdbSource,
  Prediction, PredictInput,
} from './classifier';
export type { ExampleInput, TextExample } from './train/examples';
export type {
  ClassMetrics, ClassificationMetrics, EarlyStoppingOptions, EpochRecord, EvaluationRecord, MetricName, ProgressEvent,
  StepRecord, StopReason, TrainingHistory, TrainOptions, TrainResult,
} from './train';

export * from './errors';
export { NativeBert } from './native';
export type { Batch, Device, ForwardOptions, ForwardResult, Head, NativeBertOptions, OptimizerHyper, OptimizerState } from './native';
export { BertTokenizer, TokenizerPool } from './tokenizer';
export type { EncodeOptions, Encoding, PoolOptions } from './tokenizer';
export type { BertConfig } from './weights';
export { readImdbArchive } from './data';
export { exportOnnx } from './onnx';
export type { OnnxExport } from './onnx';
export { renderAttentionReport, renderRunReport } from './explain';
export type { AttentionReportOptions, ExplainedText, RunReportInput } from './explain';

// The declarations use Node's types (Buffer, AbortSignal, fs streams): package.json declares @types/node as a
// dependency and this directive makes the published .d.ts ask for it, so a consumer need not declare it.
/// <reference types="node" preserve="true" />
// Public entry point of bertnode: the names the README's "API" section lists, and nothing else (test/package checks
// the two agree). The loaders, batching, training loop and caches behind them stay internal so they can change.

export { BertClassifier, loadImdb } from './classifier';
export type {
  ClassifierData, ClassifierOptions, DeviceOption, Explanation, ExplainOptions, FitOptions, FitResult, HubOptions, ImdbData,
  ImdbSource, MetricsFor, MultiLabelPrediction, Prediction, PredictionFor, PredictInput, RegressionPrediction, TargetExample,
} from './classifier';
export type { MultiLabelClassMetrics, MultiLabelMetrics, RegressionMetrics } from './train/problem-metrics';
export type { ProblemTypeName } from './train/problem-type';
export type { ExampleInput, TextExample } from './train/examples';
export type {
  CacheFrozenLayersOption, ClassMetrics, ClassificationMetrics, EarlyStoppingOptions, EpochRecord, EvaluateOptions,
  EvaluationRecord, MetricName, ProgressEvent, ScheduleKind, StepRecord, StopReason, TrainingHistory, TrainOptions,
  TrainResult,
} from './train';
export type { FrozenCacheOptions, FrozenCacheStorage } from './train/frozen-cache';
export type { StoredDtype } from './train/half-float';
export type { DownloadProgress, FetchModelOptions } from './hub';
export type { GlueMetricTask } from './metrics/glue';
// The task family (token classification, QA, multiple choice, masked LM, embeddings, sequence classification).
export * from './tasks';

export * from './errors';
export { NativeBert } from './native';
export type {
  Batch, Device, ForwardOptions, ForwardResult, Head, Labels, MaskBatch, NativeBertOptions, OptimizerHyper,
  OptimizerState, Precision, PrefixOptions, ProblemType, StepHyper,
} from './native';
export type { RawConfig, RawForwardResult, RawOptimizerState } from './native/addon';
export { BertTokenizer, TokenizerPool } from './tokenizer';
export type {
  DecodeOptions, EncodeOptions, Encoding, JsonTokenizerOptions, PoolOptions, TextInput, TruncationStrategy,
  VocabTokenizerOptions,
} from './tokenizer';
export type { BertConfig } from './weights';
export { missingClasses, readImdbArchive } from './data';
export type { ArchiveSource, Example, ImdbOptions } from './data';
export type { ImdbSplit } from './data/imdb-layout';
export { exportOnnx } from './onnx';
export type { OnnxExport } from './onnx';
export { renderAttentionReport, renderRunReport } from './explain';
export type { AttentionReportOptions, ClsAttention, ExplainedText, ExplainToken, RunReportInput } from './explain';
export { pipeline, PipelineArchitectureError } from './pipeline';
export type {
  AggregationStrategy, Answer, EntityGroup, FeatureExtractionOptions, FeatureExtractionPipeline, Features,
  FillMaskOptions, FillMaskPipeline, FillMaskPrediction, LabelScore, PipelineHandle, PipelineOptions,
  QuestionAnsweringOptions, PipelineTypes, QuestionAnsweringPipeline, Task as PipelineTask, TextClassificationInput,
  TextClassificationOptions, TextClassificationPipeline, TokenClassificationOptions, TokenClassificationPipeline,
  TokenEntity, ZeroShotClassificationPipeline, ZeroShotOptions, ZeroShotResult,
} from './pipeline';

// Public entry point of bertnode.

export { BertClassifier, loadImdb } from './classifier';
export type {
  ClassifierOptions, DeviceOption, Explanation, ExplainOptions, FitOptions, FitResult, HubOptions, ImdbData, ImdbSource,
  Prediction, PredictInput,
} from './classifier';
export type { ExampleInput, TextExample } from './train/examples';

export * from './errors';
export * from './train';
export * from './explain';
export { NativeBert } from './native';
export type { Batch, Device, ForwardOptions, ForwardResult, Head, NativeBertOptions, OptimizerHyper, OptimizerState } from './native';
export { BertTokenizer } from './tokenizer';
export type { EncodeOptions, Encoding } from './tokenizer';
export { loadModel, readConfig, saveModel, writeSafetensors } from './weights';
export type { BertConfig, LoadedModel } from './weights';
export {
  BatchLoader, CLASSIC_SPLIT, IMDB_LABELS, encodeExamples, evaluationBatches, missingClasses, readExamples, readImdbArchive,
  readImdbFolder, splitTrainValidation, stratifiedSample,
} from './data';
export type { EncodedDataset, Example } from './data';
export { pipeline, PipelineArchitectureError } from './pipeline';
export type {
  AggregationStrategy, Answer, EntityGroup, FeatureExtractionOptions, FeatureExtractionPipeline, Features, FillMaskOptions,
  FillMaskPipeline, FillMaskPrediction, LabelScore, PipelineHandle, PipelineOptions, QuestionAnsweringOptions,
  QuestionAnsweringPipeline, Task as PipelineTask, TextClassificationInput, TextClassificationOptions, TextClassificationPipeline,
  TokenClassificationOptions, TokenClassificationPipeline, TokenEntity, ZeroShotClassificationPipeline, ZeroShotOptions,
  ZeroShotResult,
} from './pipeline';

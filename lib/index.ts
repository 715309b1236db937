// Public entry point of bertnode.

export { BertClassifier, loadImdb } from './classifier';
export type {
  ClassifierOptions, DeviceOption, Explanation, ExplainOptions, FitOptions, FitResult, HubOptions, ImdbData, ImdbSource,
  Prediction, PredictInput,
} from './classifier';
export type { ExampleInput, TextExample } from './train/examples';
// The task family (token classification, QA, multiple choice, masked LM, embeddings, sequence classification).
export * from './tasks';

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

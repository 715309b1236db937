// The task family on one shared base (./task-model.ts): token classification, extractive QA, multiple choice,
// masked-LM pre-training and sentence embeddings.
export { TaskModel, type TaskFitOptions, type TaskFitResult, type TaskModelOptions } from './task-model';
export { BertTokenClassifier, type TaggedWords, type TaggingData, type TokenClassificationMetrics, type TokenClassifierOptions, type WordPrediction } from './token-classifier';
export { BertQuestionAnswerer, type QaAnswer, type QaData, type QaExample, type QaMetrics, type QuestionAnswererOptions } from './question-answerer';
export { BertMultipleChoice, type ChoiceData, type ChoiceExample, type ChoicePrediction, type MultipleChoiceMetrics, type MultipleChoiceOptions } from './multiple-choice';
export { BertMaskedLM, type MaskFill, type MaskedLmMetrics, type MaskedLmOptions, type TextData } from './masked-lm';
export { BertEmbedder, type EmbedderOptions } from './embedder';
export { BertSequenceClassifier, type SequenceClassifierOptions, type SequenceData, type SequenceExample, type SequenceMetrics, type SequencePrediction } from './sequence-classifier';

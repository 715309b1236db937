// The data layer: IMDb (folder or streamed archive), TSV/CSV/JSONL, seeded splits, tokenisation cache, batches.

export type { Batch, DataPosition, EncodingLike, Example, TokenizerLike } from './types';
export { openTarStream, type ArchiveSource } from './archive';
export { readTarEntries, type TarEntry, type TarEntryType, type TarMember } from './tar';
export { readImdbArchive, readImdbFolder, type ImdbOptions } from './imdb';
export { classifyImdbPath, IMDB_LABELS, type ImdbSplit } from './imdb-layout';
export { readCsv, readJsonl, readTsv, streamCsv, streamJsonl, streamTsv, type CsvOptions, type JsonlOptions, type TextFormatOptions, type TsvOptions } from './text-formats';
export { readExamples, type ReadExamplesOptions } from './read-examples';
export { resolveLabel, SENTIMENT_LABELS } from './labels';
export { cleanReviewText } from './clean';
export { mulberry32, shuffleInPlace, streamSeed, type Random } from './random';
export { CLASSIC_SPLIT, missingClasses, splitTrainValidation, stratifiedSample, type SplitOptions } from './split';
export { encodeExamples, exampleLength, type EncodedDataset, type EncodeOptions } from './encode';
export { BatchLoader, evaluationBatches, inferenceBatches, type BatchingOptions, type EvaluationBatchView, type LoadedBatch } from './batching';
// Task formats: GLUE TSV, token tagging (CoNLL, JSONL, IOB schemes, word alignment), SQuAD, SWAG, masked-LM text.
export { GLUE_TASKS, isGlueTask, readGlue, streamGlue, type GlueExample, type GlueLayout, type GlueOptions, type GlueSplit, type GlueTask } from './glue';
export { readConll, readTaggedJsonl, streamConll, streamTaggedJsonl, tagLabelList, type ConllOptions, type TaggedJsonlOptions, type TaggedSentence, type TaggingOptions } from './tagging';
export { beginToInsideIds, firstIob2Violation, iob1ToIob2 } from './iob';
export { IGNORE_INDEX, TokenAligner, type AlignedSentence, type AlignInput, type AlignOptions } from './token-alignment';
export { readSquad, type SquadExample, type SquadReadOptions } from './squad';
export { squadTrainFeatures, squadValidationFeatures, type SquadFeatureOptions, type SquadTrainFeature, type SquadValidationFeature } from './squad-features';
export { readSwag, streamSwag, swagFeatures, SWAG_ENDINGS, type SwagExample, type SwagFeatures } from './swag';
export { encodeLine, groupedFeatures, lineByLineFeatures, streamTextLines, type MlmFeature, type TextLineRecord } from './mlm-text';
export { MlmMasker, type MaskableRow, type MaskedRow, type MaskingOptions } from './mlm-masking';
export { multipleChoiceBatch, padTaskRows, questionAnsweringBatch, questionAnsweringInputs, tokenLabelBatch, type CollateOptions, type LabelledBatch } from './task-collators';
export { nextSentencePairs, readNspDocuments, type NspOptions, type NspPair } from './nsp-pairs';

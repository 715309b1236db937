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
export { BatchLoader, evaluationBatches, type BatchingOptions, type EvaluationBatchView, type LoadedBatch } from './batching';

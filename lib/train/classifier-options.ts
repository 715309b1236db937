// What BertClassifier's constructor, fit() and evaluate() accept, option by option (./option-check.ts): checked
// when the options are given, so `new BertClassifier({ maxLen: 64 })` fails at once, naming `maxLength`. Each table
// is typed by its options interface, so an option added there without a check here does not compile.

import { OptionTypeError } from '../errors';
import type { ClassifierOptions, FitOptions } from './classifier-types';
import type { EvaluateOptions } from './evaluate';
import { METRIC_NAMES } from './metrics';
import { MULTI_LABEL_METRIC_NAMES, REGRESSION_METRIC_NAMES } from './problem-metrics';
import { PROBLEM_TYPE_NAMES } from './problem-type';
import { either, finite, integer, isNumber, isString, ofType, oneOf, type OptionCheck } from './option-check';

const labelList: OptionCheck = (value, name) => {
  if (!Array.isArray(value) || !value.every((l) => typeof l === 'string' && l.length > 0)) {
    throw new OptionTypeError(name, 'an array of non-empty strings', value);
  }
};

const everyOption = either("'epoch' or an integer", { accepts: isString, check: oneOf('epoch') }, { accepts: isNumber, check: integer(1) });

export const CLASSIFIER_OPTIONS: Readonly<Record<keyof ClassifierOptions, OptionCheck>> = {
  model: ofType('string'),
  problemType: oneOf(...PROBLEM_TYPE_NAMES),
  labels: labelList,
  numOutputs: integer(1, 4096),
  threshold: finite(0, 1),
  maxLength: integer(2),
  batchSize: integer(1),
  lr: finite(0, 10, true),
  epochs: integer(1),
  trainableLayers: either("an integer or 'all'", { accepts: isString, check: oneOf('all') }, { accepts: isNumber, check: integer(0) }),
  trainEmbeddings: ofType('boolean'),
  head: oneOf('cls', 'pooler'),
  device: oneOf('cpu', 'cuda', 'auto'),
  precision: oneOf('fp32', 'bf16', 'tf32', 'int8'),
  seed: integer(0, 2 ** 32 - 1),
  padding: oneOf('longest', 'max_length'),
  bucketBatches: integer(0),
  threads: integer(1, 4096),
  hub: ofType('object'),
};

// Ranges of the training loop's own options are checked by resolveTrainOptions (./options.ts) with the same
// error classes; here the names and types.
export const FIT_OPTIONS: Readonly<Record<keyof FitOptions, OptionCheck>> = {
  validation: either('an array of examples, a path, or a share/count', { accepts: isNumber, check: finite(0, Number.MAX_SAFE_INTEGER, true) },
    { accepts: (v) => typeof v === 'string' || Array.isArray(v), check: () => undefined }),
  batchSize: integer(1),
  imdb: ofType('object'),
  cacheFrozenLayers: either('a boolean or an options object', { accepts: (v) => typeof v === 'boolean', check: () => undefined },
    { accepts: (v) => typeof v === 'object' && v !== null, check: () => undefined }),
  epochs: integer(1),
  maxSteps: integer(1),
  gradientAccumulation: integer(1),
  lr: finite(0, 10, true),
  schedule: oneOf('linear', 'constant'),
  warmupSteps: finite(0, Number.MAX_SAFE_INTEGER),
  warmupRatio: finite(0, 1),
  weightDecay: finite(0, 10),
  beta1: finite(0, 0.999999),
  beta2: finite(0, 0.999999999),
  eps: finite(0, 1, true),
  maxGradNorm: finite(0, Number.MAX_VALUE),
  seed: integer(0, 2 ** 32 - 1),
  evaluateEvery: everyOption,
  // Every problem type's names here; the loop narrows them to the classifier's (./options.ts).
  bestMetric: oneOf(...new Set([...METRIC_NAMES, ...MULTI_LABEL_METRIC_NAMES, ...REGRESSION_METRIC_NAMES])),
  restoreBest: ofType('boolean'),
  earlyStopping: ofType('object'),
  checkpointDir: ofType('string'),
  checkpointEvery: everyOption,
  keepCheckpoints: integer(1),
  resume: either('a boolean or a path', { accepts: (v) => typeof v === 'boolean' || typeof v === 'string', check: () => undefined }),
  signal: ofType('object', 'an AbortSignal'),
  onProgress: ofType('function'),
  onEvaluation: ofType('function'),
  onEvaluationProgress: ofType('function'),
};

export const EVALUATE_OPTIONS: Readonly<Record<keyof EvaluateOptions, OptionCheck>> = {
  signal: ofType('object', 'an AbortSignal'),
  onProgress: ofType('function'),
};

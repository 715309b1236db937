// What the task classes' fromPretrained() and fit() accept, option by option (lib/train/option-check.ts): checked
// when given, so a misspelt option fails at once with its name. The training loop's options are the classifier's
// (lib/train/classifier-options.ts) less those only BertClassifier has; ranges are checked by the loop itself.

import { OptionTypeError } from '../errors';
import { CLASSIFIER_OPTIONS, FIT_OPTIONS } from '../train/classifier-options';
import { ofType, type OptionCheck } from '../train/option-check';
import type { TaskFitOptions, TaskModelOptions } from './task-model';

export const TASK_OPTIONS: Readonly<Record<keyof TaskModelOptions, OptionCheck>> = {
  maxLength: CLASSIFIER_OPTIONS.maxLength,
  batchSize: CLASSIFIER_OPTIONS.batchSize,
  lr: CLASSIFIER_OPTIONS.lr,
  epochs: CLASSIFIER_OPTIONS.epochs,
  trainableLayers: CLASSIFIER_OPTIONS.trainableLayers,
  trainEmbeddings: CLASSIFIER_OPTIONS.trainEmbeddings,
  device: CLASSIFIER_OPTIONS.device,
  precision: CLASSIFIER_OPTIONS.precision,
  seed: CLASSIFIER_OPTIONS.seed,
  hub: CLASSIFIER_OPTIONS.hub,
};

const { validation: _v, batchSize: _b, imdb: _i, ...loopOptions } = FIT_OPTIONS;

export const TASK_FIT_OPTIONS: Readonly<Record<keyof TaskFitOptions<unknown, unknown>, OptionCheck>> = {
  ...loopOptions,
  // The task's evaluator names its metrics (lib/train/options.ts checks the name against them).
  bestMetric: ofType('string'),
  validation: (value, name) => {
    if (typeof value !== 'string' && !Array.isArray(value)) throw new OptionTypeError(name, 'an array of examples or a file path', value);
  },
};

export const labelNames: OptionCheck = CLASSIFIER_OPTIONS.labels;
export const flag: OptionCheck = ofType('boolean');

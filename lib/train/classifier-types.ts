// The public shapes of BertClassifier: its options, fit()'s options and result, a prediction, explain()'s options
// and result. Each property's JSDoc is what a user sees on hover and in the API reference.

import type { ClsAttention, ExplainedText } from '../explain';
import type { Device, Head, Precision } from '../native';
import type { ClassificationMetrics } from './metrics';
import type { TrainOptions } from './options';
import type { TrainResult } from './trainer';
import type { ExampleInput } from './examples';
import type { CacheFrozenLayersOption } from './frozen-training';
import type { ImdbSource } from './imdb-source';
import type { HubOptions } from './model-source';
import type { MultiLabelMetrics, RegressionMetrics } from './problem-metrics';
import type { ProblemTypeName } from './problem-type';
import type { TargetExample } from './target-examples';

/** Where the model runs: `'cpu'`, `'cuda'`, or `'auto'` (CUDA when a usable GPU is found, else the CPU, quietly). */
export type DeviceOption = Device | 'auto';

/**
 * Options of {@link BertClassifier}. Every one is optional: `new BertClassifier()` is the classic IMDb recipe. They
 * are checked in the constructor: an unknown name is an UnknownOptionError naming the closest valid one, a wrong
 * type an OptionTypeError, a value out of range or not among the choices an OptionValueError. `P` is the problem
 * type the results are typed for (the `problemType` given).
 */
export interface ClassifierOptions<P extends ProblemTypeName = 'single_label'> {
  /** Hugging Face hub id (downloaded through the cache) or local model folder. Default `'bert-base-uncased'`. */
  model?: string;
  /**
   * What a label is (transformers' `problem_type`): `'single_label'`, one class name per text (softmax and
   * cross-entropy); `'multi_label'`, an array of class names per text, any number of them (a sigmoid and binary
   * cross-entropy per class; predict returns the classes over `threshold`); `'regression'`, a number per text (or
   * `numOutputs` numbers; mean squared error; predict returns the value). Default: the saved model's
   * (config.json's `problem_type`; a trained head with one output is regression, as in transformers), else
   * `'single_label'`. A model trained for another problem type is refused (OptionValueError). Pass it to have
   * predict/evaluate/fit typed for it, also when a saved model would give it anyway.
   */
  problemType?: P;
  /**
   * Class names (classification). For a model with a trained head they must be its classes (config.json's
   * `id2label`), in any order: they are matched by name, and the head's rows follow the order given. Default: the
   * model's own classes, else `['neg', 'pos']`. Not for regression (its outputs are named LABEL_0, ... as in
   * transformers).
   */
  labels?: readonly string[];
  /** Regression only: values per text. Default: the trained head's, else 1. */
  numOutputs?: number;
  /**
   * Multi-label only: a class is predicted (and counted by evaluate's metrics) when its sigmoid score is over this.
   * Saved with the model (config.json's `bertnode_threshold`). Default: the saved model's, else 0.5.
   */
  threshold?: number;
  /**
   * Tokens per text, [CLS]/[SEP] included; longer texts are truncated. Saved with the model and used again when it
   * is reloaded. Default: the saved model's, else 256 (or the model's position count when smaller).
   */
  maxLength?: number;
  /** Examples per batch, for training and inference. Default 32. */
  batchSize?: number;
  /** Peak learning rate of AdamW. Default 5e-5. */
  lr?: number;
  /** Training epochs. Default 2. */
  epochs?: number;
  /** The last K encoder layers are trained, the others frozen; `'all'` is a full fine-tune. Default 1. */
  trainableLayers?: number | 'all';
  /** Train the embeddings too. Default: true only with `trainableLayers: 'all'`. */
  trainEmbeddings?: boolean;
  /**
   * `'cls'`: a linear layer on the [CLS] vector (the classic recipe). `'pooler'`: BERT's pooler then a linear layer
   * (transformers' BertForSequenceClassification, loadable there as it is). Default: the saved model's head, else
   * `'cls'` for a base model.
   */
  head?: Head;
  /** Default `'auto'`: CUDA when built and a usable GPU is present, else the CPU (a debug line with NODE_DEBUG=bertnode says why). */
  device?: DeviceOption;
  /**
   * `'fp32'` (default); `'bf16'` mixed precision on CUDA and AVX-512 BF16 CPUs; `'tf32'` on CUDA; `'int8'` for
   * inference on the CPU (predict, evaluate, explain): the encoder's Linear layers run on int8 weights quantised per
   * output channel and int8 activations quantised per token (PyTorch's dynamic quantisation), on AMX-INT8 or
   * AVX-512 VNNI (elsewhere portable code, slower than fp32). A fine-tuned MiniLM changed about 1 IMDb prediction in
   * 100 this way. `fit` is refused (train in fp32 or bf16, save, load with `'int8'`), and so is a CUDA device
   * (`device: 'auto'` then means the CPU).
   */
  precision?: Precision;
  /** Seed of the head's initialisation, dropout and the data order. Default 1234. */
  seed?: number;
  /** `'longest'` (default: same results as `'max_length'`, less work) or `'max_length'` (pad every batch to maxLength). */
  padding?: 'longest' | 'max_length';
  /**
   * Draw batches from chunks of this many batches sorted by length, so short texts pad little (the batch order
   * stays seeded). Default 0: plain shuffled batches.
   */
  bucketBatches?: number;
  /**
   * CPU threads of the engine's pool. Default: `BERTNODE_NUM_THREADS` when set, else the CPUs this process may use
   * (`os.availableParallelism()`, capped by a cgroup CPU quota), not the host's core count. The pool is sized once
   * per process, by the first model built.
   */
  threads?: number;
  /** Download settings: cache folder, revision, offline mode. */
  hub?: HubOptions;
}

/**
 * What fit() and evaluate() take for each problem type: single-label examples or a path lib/data reads;
 * multi-label and regression examples, or a .jsonl file of them (`{"text", "text_pair"?, "label"}` per line).
 */
export type ClassifierData<P extends ProblemTypeName> = P extends 'single_label' ? ExampleInput : readonly TargetExample[] | string;

/** Options of {@link BertClassifier.fit}: the training loop's {@link TrainOptions} and the data's. */
export interface FitOptions<P extends ProblemTypeName = 'single_label'> extends Omit<TrainOptions<MetricsFor<P>>, 'evaluation' | 'evaluator'> {
  /**
   * Validation data (examples or a path), or a part of the training data held out with the seed: a share in (0, 1)
   * or a count of examples (>= 1). Default: none, or the classic 5,000 when fit() loads IMDb itself.
   */
  validation?: ClassifierData<P> | number;
  /** Examples per batch for this run. Default: the classifier's `batchSize`. */
  batchSize?: number;
  /** Where fit() with no data finds IMDb. */
  imdb?: ImdbSource;
  /**
   * Compute the frozen layers' output once per example and train the last trainableLayers from it every epoch:
   * `true` = `{ storage: 'auto', dtype: 'bf16' }`. Needs frozen embeddings and trainableLayers < the model's layers.
   * The one difference from training from ids: no dropout in frozen layers.
   */
  cacheFrozenLayers?: CacheFrozenLayersOption;
}

/** evaluate()'s metrics for each problem type. */
export type MetricsFor<P extends ProblemTypeName> =
  P extends 'multi_label' ? MultiLabelMetrics : P extends 'regression' ? RegressionMetrics : ClassificationMetrics;

/** What {@link BertClassifier.fit} returns. */
export interface FitResult<M = ClassificationMetrics> extends TrainResult<M> {
  /** Validation metrics of the parameters the model ends with (the best evaluation's, when it was restored). */
  validation?: M;
  /** Examples trained on. */
  trainExamples: number;
}

/** A text, or a `[text, textPair]` sentence pair. */
export type PredictInput = string | readonly [string, string];

/** Options of {@link BertClassifier.explain}. */
export interface ExplainOptions {
  /** Second text of a sentence pair. */
  textPair?: string;
  /** Layer whose attention the report shows (0-based). Default: the last. */
  layer?: number;
  /** Layers returned in `layers`. Default: just `layer`. */
  layers?: readonly number[] | 'all';
  /** The text's true class (single-label: one of the labels), shown beside the prediction. */
  trueLabel?: string;
}

/**
 * {@link ExplainedText} with the [CLS] attention of every layer asked for. Multi-label: `predicted` is the
 * top-scoring class and `probabilities` the sigmoid scores; regression: `predicted` names the output and
 * `probabilities` holds its value.
 */
export interface Explanation extends ExplainedText {
  /** [CLS] attention per requested layer. */
  layers: { layer: number; attention: ClsAttention }[];
}

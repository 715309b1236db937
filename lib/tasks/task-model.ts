// The shared base of the task classes (BertTokenClassifier, BertQuestionAnswerer, BertMultipleChoice, BertMaskedLM):
// loading a checkpoint for a head, fit through the one training loop (lib/train/trainer.ts: schedule, AdamW,
// clipping, accumulation, evaluation, early stopping, checkpoints with exact resume, AbortSignal, progress),
// evaluate, save in Hugging Face's layout, dispose, and the rule that fit() runs alone. A task supplies its
// adapter: how its data becomes batches with labels in the head's layout and how outputs become metrics.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { BusyError, DisposedError, InputError, OptionValueError } from '../errors';
import { NativeBert, type Device, type Precision } from '../native';
import type { RawHeadOptions } from '../native/addon';
import { resolveDevice } from '../native/cuda';
import { BertTokenizer } from '../tokenizer';
import { train, type TrainResult } from '../train';
import type { EvaluateOptions } from '../train/evaluate';
import { type HubOptions, resolveModelDirectory } from '../train/model-source';
import type { Evaluator, TrainOptions } from '../train/options';
import { FrozenCacheModel, type CacheFrozenLayersOption } from '../train/frozen-training';
import { type BertConfig, readConfig } from '../weights';
import { EVALUATE_OPTIONS } from '../train/classifier-options';
import { checkOptions } from '../train/option-check';
import { TASK_FIT_OPTIONS } from './task-options';
import { itemEvaluationBatches, itemTrainingBatches, type TaskItems } from './task-batches';
import { buildItemCache, type ItemCache } from './task-cache';
import { readTaskTensors, saveTaskModel, setTaskParameters, type TaskTensors } from './task-weights';

const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

/** Options every task class takes. */
export interface TaskModelOptions {
  /** Tokens per row, special tokens included (default 128; BertQuestionAnswerer 384). */
  maxLength?: number;
  /** Rows (examples) per batch (default 16). */
  batchSize?: number;
  /** Peak learning rate (default 5e-5). */
  lr?: number;
  /** Epochs (default 3, as transformers' example scripts). */
  epochs?: number;
  /** Last encoder layers that train: a number or 'all' (default 'all', as the example scripts fine-tune). */
  trainableLayers?: number | 'all';
  /** Whether the embeddings train (default: when every layer does). */
  trainEmbeddings?: boolean;
  /** 'cpu' (default), 'cuda', 'cuda:N' or 'auto'. */
  device?: Device | 'auto';
  /** 'fp32' (default), 'tf32' (CUDA), 'bf16'. */
  precision?: Precision;
  /** Data order, dropout masks and new head weights (default 42, as transformers' scripts). */
  seed?: number;
  /** Where hub ids are fetched from and cached. */
  hub?: HubOptions;
}

/** fit()'s options: the training loop's (lib/train TrainOptions), with the task's evaluation data. */
export interface TaskFitOptions<D, M> extends Omit<TrainOptions<M>, 'evaluation' | 'evaluator'> {
  /** Data evaluated during training (each epoch, or every `evaluateEvery` steps). */
  validation?: D;
  /**
   * Run the frozen layers once per example and train the last `trainableLayers` from their output (needs
   * trainEmbeddings false and trainableLayers below the layer count; not for masked LM, whose inputs change).
   * true, or the cache's options (storage, dtype, dir, batchSize).
   */
  cacheFrozenLayers?: CacheFrozenLayersOption;
}

/** What fit() returns: the loop's result and the metrics of the model it ends with. */
export interface TaskFitResult<M> extends TrainResult<M> {
  /** The metrics of the best evaluation when the best parameters were restored, else of the last one. */
  validation?: M;
}

export interface LoadedTask {
  model: NativeBert;
  tokenizer: BertTokenizer;
  config: BertConfig;
  labels: string[];
  // config.json as read (id2label/label2id removed: saving writes the current ones).
  rawConfig: Record<string, unknown>;
  tokenizerFiles: string[];
  directory: string;
  // The head's tensors were initialised here (the checkpoint had none).
  missing: string[];
}

export interface LoadTaskOptions extends TaskModelOptions {
  head: RawHeadOptions;
  // Number of head outputs (config.numLabels); labels decides when given.
  numLabels?: number;
  // Called with the checkpoint's labels and tensors before the model is built: returns the labels to use (and may
  // reorder the head's rows to them, lib/train/head-labels.ts).
  labels?: (checkpointLabels: string[], tensors: TaskTensors) => string[];
}

// Reads `idOrDir` into a native model with `head`.
export async function loadTask(idOrDir: string, o: LoadTaskOptions): Promise<LoadedTask> {
  const directory = await resolveModelDirectory(idOrDir, o.hub);
  const { config: fileConfig, labels: fileLabels, raw } = await readConfig(path.join(directory, 'config.json'));
  // The catalogue of a labelled head depends on the label count: read with the checkpoint's, then resized.
  const probe: BertConfig = { ...fileConfig, numLabels: o.numLabels ?? fileLabels.length };
  const tensors = await readTaskTensors(directory, probe, o.head);
  const labels = o.labels ? o.labels(fileLabels, tensors) : fileLabels;
  const config: BertConfig = { ...fileConfig, numLabels: o.numLabels ?? labels.length };
  if (o.maxLength !== undefined && (!Number.isInteger(o.maxLength) || o.maxLength < 2 || o.maxLength > config.maxPositionEmbeddings)) {
    throw new OptionValueError('maxLength', `${o.maxLength} is not an integer in 2..${config.maxPositionEmbeddings} (the model's positions)`);
  }
  const requested = o.trainableLayers ?? 'all';
  const trainableLayers = requested === 'all' ? config.numHiddenLayers : requested;
  if (!Number.isInteger(trainableLayers) || trainableLayers < 0 || trainableLayers > config.numHiddenLayers) {
    throw new OptionValueError('trainableLayers', `${String(requested)} is not 'all' or an integer in 0..${config.numHiddenLayers}`);
  }
  const inferenceOnly = o.head.head === 'embedding';
  const model = NativeBert.create(config, {
    ...o.head,
    trainableLayers: inferenceOnly ? 0 : trainableLayers,
    trainEmbeddings: inferenceOnly ? false : o.trainEmbeddings ?? requested === 'all',
    device: o.device === 'auto' ? resolveDevice('auto') : o.device ?? 'cpu',
    precision: o.precision,
  });
  try {
    const initializerRange = typeof raw.initializer_range === 'number' ? raw.initializer_range : 0.02;
    setTaskParameters(model, tensors.tensors, initializerRange, o.seed ?? 42);
  } catch (e) {
    model.dispose();
    throw e;
  }
  const { id2label: _a, label2id: _b, ...rawConfig } = raw;
  return {
    model,
    tokenizer: BertTokenizer.fromPretrained(directory),
    config,
    labels,
    rawConfig,
    tokenizerFiles: TOKENIZER_FILES.map((f) => path.join(directory, f)).filter((f) => existsSync(f)),
    directory,
    missing: tensors.missing,
  };
}

// The adapter a task class supplies to the base.
export interface TaskAdapter<D, M> {
  // transformers' class of the saved model (config.json's architectures).
  readonly architecture: string;
  // config.json keys written over the loaded ones (problem_type, bertnode_*).
  savedConfig(): Record<string, unknown>;
  // Whether an item's inputs are the same in every batch, so the frozen-layer cache applies.
  readonly cacheable: boolean;
  // The items, their collation into batches with labels in the head's layout, their digest.
  trainingItems(data: D, seed: number): Promise<TaskItems<unknown>>;
  evaluation(data: D): Promise<TaskItems<unknown> & { evaluator: Evaluator<M> }>;
}

export abstract class TaskModel<D, M> {
  private fitting = false;
  private inFlight = 0;
  private disposed = false;

  protected constructor(protected readonly loaded: LoadedTask, protected readonly options: TaskModelOptions,
    private readonly adapter: TaskAdapter<D, M>) {}

  /** Label names, in the order of the head's outputs (empty for heads without labels). */
  get labels(): readonly string[] {
    return this.loaded.labels;
  }

  get config(): Readonly<BertConfig> {
    return this.loaded.config;
  }

  get tokenizer(): BertTokenizer {
    return this.loaded.tokenizer;
  }

  get device(): Device {
    return this.loaded.model.device;
  }

  /** Tokens per row: the option, else the saved model's, else 128 or the model's positions when fewer. */
  get maxLength(): number {
    const saved = this.loaded.rawConfig.bertnode_max_length;
    const fallback = Number.isInteger(saved) ? saved as number : this.defaultMaxLength();
    return this.options.maxLength ?? Math.min(fallback, this.loaded.config.maxPositionEmbeddings);
  }

  get batchSize(): number {
    return this.options.batchSize ?? 16;
  }

  protected defaultMaxLength(): number {
    return 128;
  }

  /** Trains with the shared loop. Refused (BusyError) while another call runs on this model. */
  async fit(trainData: D, options: TaskFitOptions<D, M> = {}): Promise<TaskFitResult<M>> {
    checkOptions('fit', options, TASK_FIT_OPTIONS);
    this.checkOpen();
    if (this.fitting || this.inFlight > 0) throw new BusyError('fit: this model is busy; await the running call first');
    this.fitting = true;
    try {
      const { validation, cacheFrozenLayers, ...trainOptions } = options;
      const seed = options.seed ?? this.options.seed ?? 42;
      const trainSet = await this.adapter.trainingItems(trainData, seed);
      if (trainSet.items.length === 0) throw new InputError('no training examples');
      const evaluation = validation === undefined ? undefined : await this.adapter.evaluation(validation);
      const caches: ItemCache[] = [];
      try {
        if (cacheFrozenLayers) {
          if (!this.adapter.cacheable) throw new OptionValueError('cacheFrozenLayers', "does not apply to this task (its inputs change from batch to batch)");
          const cacheOptions = { signal: options.signal, ...(typeof cacheFrozenLayers === 'object' ? cacheFrozenLayers : {}) };
          caches.push(await buildItemCache(this.loaded.model, trainSet, cacheOptions));
          if (evaluation) caches.push(await buildItemCache(this.loaded.model, evaluation, cacheOptions));
        }
        const result = await train<M>(caches.length > 0 ? new FrozenCacheModel(this.loaded.model) : this.loaded.model,
          itemTrainingBatches(trainSet, this.batchSize, seed, caches[0]?.prefix), this.loaded.labels, {
            epochs: this.options.epochs ?? 3,
            lr: this.options.lr ?? 5e-5,
            ...trainOptions,
            seed,
            evaluation: evaluation && itemEvaluationBatches(evaluation, this.batchSize, caches[1]?.prefix),
            evaluator: evaluation?.evaluator,
          });
        const evaluations = result.history.evaluations;
        const best = result.restoredBest ? evaluations.find((e) => e.step === result.best?.step) : undefined;
        return { ...result, validation: (best ?? evaluations[evaluations.length - 1])?.metrics };
      } finally {
        caches.forEach((c) => c.close());
      }
    } finally {
      this.fitting = false;
    }
  }

  /** The task's metrics (Hugging Face's names) on labelled data. */
  async evaluate(data: D, options: EvaluateOptions = {}): Promise<M> {
    checkOptions('evaluate', options, EVALUATE_OPTIONS);
    return this.use('evaluate', async () => {
      const set = await this.adapter.evaluation(data);
      return set.evaluator.evaluate(this.loaded.model, itemEvaluationBatches(set, this.batchSize), options);
    });
  }

  /**
   * Writes the model in Hugging Face's layout: model.safetensors (transformers' parameter names for this head),
   * config.json (architectures, id2label/label2id, problem_type, the maxLength used) and the tokenizer files.
   */
  async save(dir: string): Promise<void> {
    return this.use('save', async () => {
      const { model, config, labels, rawConfig, tokenizerFiles } = this.loaded;
      await saveTaskModel(dir, model, config, {
        architecture: this.adapter.architecture,
        labels: labels.length === config.numLabels ? labels : defaultLabels(config.numLabels),
        rawConfig: { ...rawConfig, ...this.adapter.savedConfig(), bertnode_max_length: this.maxLength },
        tokenizerFiles,
      });
    });
  }

  /** Frees the native model. Safe twice; later calls are refused with a DisposedError. */
  dispose(): void {
    this.disposed = true;
    this.loaded.model.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  // Runs a call that reads the model; refused while fit() runs.
  protected async use<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.checkOpen();
    if (this.fitting) throw new BusyError(`${what}: fit() is running on this model; await it first`);
    this.inFlight++;
    try {
      return await fn();
    } finally {
      this.inFlight--;
    }
  }

  private checkOpen(): void {
    if (this.disposed) throw new DisposedError('the model has been disposed');
  }
}

// transformers' placeholder names for a head whose outputs have none.
export function defaultLabels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

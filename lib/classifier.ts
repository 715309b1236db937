// BertClassifier: the product's one class. It joins the weights loader, the tokenizer, the native engine, the data
// layer and the training loop into fromPretrained / fit / evaluate / predict / explain / save.
//
// `new BertClassifier()` with no options is the classic IMDb recipe: bert-base-uncased, labels neg/pos, max length
// 256, batch 32, lr 5e-5, 2 epochs, only the last encoder layer and a linear head on the [CLS] vector trainable,
// seed 1234; `await clf.fit()` with no data trains on IMDb (fetched through the cache) split 20,000 / 5,000.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { debuglog } from 'node:util';
import { BatchLoader, encodeExamples, evaluationBatches, inferenceBatches, splitTrainValidation, type BatchingOptions, type EncodedDataset, type Example } from './data';
import { mulberry32 } from './data/random';
import { readTargetJsonl } from './data/target-jsonl';
import { BusyError, DataFormatError, DisposedError, InputError, OptionValueError } from './errors';
import { type ExplainToken, clsAttention, renderAttentionReport, type AttentionReportOptions } from './explain';
import { NativeBert, loadBackend, type Device, type Head } from './native';
import { cudaAvailability } from './native/cuda';
import { BertTokenizer } from './tokenizer';
import { type EvaluateOptions, evaluateModel, train } from './train';
import { type ExampleInput, labelIndex, toExamples } from './train/examples';
import { prepareFrozenTraining } from './train/frozen-training';
import { type ImdbData, type ImdbSource, loadImdb } from './train/imdb-source';
import { type HubOptions, resolveModelDirectory } from './train/model-source';
import { CLASSIFIER_OPTIONS, EVALUATE_OPTIONS, FIT_OPTIONS } from './train/classifier-options';
import type {
  ClassifierData, ClassifierOptions, DeviceOption, Explanation, ExplainOptions, FitOptions, FitResult, MetricsFor, PredictInput,
} from './train/classifier-types';
import { matchHeadLabels } from './train/head-labels';
import { renderModelCard } from './train/model-card';
import { checkOptions } from './train/option-check';
import { type Scorer, scoreBatches } from './tasks/task-batches';
import { defaultLabels } from './tasks/task-model';
import type { Evaluator } from './train/options';
import type { EvaluationBatches, RunSettings, TrainingBatches } from './train/types';
import {
  type MultiLabelMetrics, type RegressionMetrics, multiLabelEvaluator, multiLabelScorer, regressionEvaluator, regressionScorer,
} from './train/problem-metrics';
import { type AnyPrediction, type MultiLabelPrediction, type Prediction, type PredictionFor, type RegressionPrediction, explainedVerdict, toPrediction } from './train/problem-predictions';
import { HF_PROBLEM_TYPE, type ProblemTypeName, savedProblemType } from './train/problem-type';
import { type TargetExample, type TargetTable, evaluationWithTargets, toTargetExamples, trainingWithTargets } from './train/target-examples';
import { configureThreads } from './train/threads';
import { warnOnce } from './train/warnings';
import { type BertConfig, type LoadedModel, loadModel, saveModel } from './weights';
import { exportOnnx as writeOnnxFiles, type OnnxExport } from './onnx';

const CLASSIC = {
  model: 'bert-base-uncased',
  labels: ['neg', 'pos'] as readonly string[],
  maxLength: 256,
  batchSize: 32,
  lr: 5e-5,
  epochs: 2,
  trainableLayers: 1,
  seed: 1234,
};

const TOKENIZER_FILES = ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

interface Loaded {
  model: NativeBert;
  tokenizer: BertTokenizer;
  config: BertConfig;
  labels: string[];
  head: Head;
  problemType: ProblemTypeName;
  rawConfig: Record<string, unknown>;
  tokenizerFiles: string[];
  directory: string;
  // The maxLength the model was saved with (config.json's bertnode_max_length).
  savedMaxLength?: number;
  // A multi-label model's threshold when it was saved (config.json's bertnode_threshold).
  savedThreshold?: number;
  // The head was initialised here and no fit() has run: predictions are noise, and say so once.
  untrainedHead: boolean;
}

const debug = debuglog('bertnode');

/**
 * A BERT text classifier: fromPretrained / fit / evaluate / predict / explain / save. Single-label by default;
 * `problemType: 'multi_label'` or `'regression'` for the other two of transformers' problem types (`P` types the
 * results for it).
 *
 * One call at a time per classifier for fit(): while fit() runs, every other call on the same classifier (fit,
 * predict, evaluate, explain, save) is refused with a BusyError (code ERR_BERTNODE_BUSY) rather than queued, so
 * nothing reads half-trained weights; fit() is refused likewise while other calls are in flight. predict,
 * evaluate and explain may overlap each other (the engine runs them one after another).
 */
export class BertClassifier<P extends ProblemTypeName = 'single_label'> {
  private readonly options: ClassifierOptions<P>;
  private loading?: Promise<Loaded>;
  private loaded?: Loaded;
  private disposed = false;
  private fitting = false;
  private inFlight = 0;

  constructor(options: ClassifierOptions<P> = {}) {
    checkOptions('BertClassifier', options, CLASSIFIER_OPTIONS);
    this.options = { ...options };
    if (options.labels && new Set(options.labels).size !== options.labels.length) throw new OptionValueError('labels', 'must be distinct names');
    if (options.labels && options.labels.length < 2) throw new OptionValueError('labels', 'must name at least 2 classes');
    // Without problemType the saved model's decides, so these are checked again once it is known.
    if (options.problemType !== undefined) checkProblemOptions(options, options.problemType);
  }

  /** Loads (downloading through the cache when needed) and returns a ready classifier. */
  static async fromPretrained<P extends ProblemTypeName = 'single_label'>(idOrDir: string, options: Omit<ClassifierOptions<P>, 'model'> = {}): Promise<BertClassifier<P>> {
    const clf = new BertClassifier<P>({ ...options, model: idOrDir });
    await clf.ready();
    return clf;
  }

  /** Loads the model now (fit/evaluate/predict/explain/save load it on first use otherwise). */
  async ready(): Promise<this> {
    await this.load();
    return this;
  }

  /** Class names, in the order of the head's outputs (regression: LABEL_0, ..., one per output). */
  get labels(): readonly string[] {
    if (this.loaded) return this.loaded.labels;
    return this.options.problemType === 'regression' ? defaultLabels(this.options.numOutputs ?? 1) : this.options.labels ?? CLASSIC.labels;
  }

  /** The problem type: the option, else (once loaded) the saved model's, else `'single_label'`. */
  get problemType(): ProblemTypeName {
    return this.loaded?.problemType ?? this.options.problemType ?? 'single_label';
  }

  /** Multi-label: the score over which a class is predicted (the option, else the saved model's, else 0.5). */
  get threshold(): number {
    return this.options.threshold ?? this.loaded?.savedThreshold ?? 0.5;
  }

  /** The model's configuration, once loaded. */
  get config(): Readonly<BertConfig> | undefined {
    return this.loaded?.config;
  }

  /** The head in use, once loaded. */
  get head(): Head | undefined {
    return this.loaded?.head;
  }

  /** Where the model runs, once loaded. */
  get device(): Device | undefined {
    return this.loaded?.model.device;
  }

  /** Tokens per text: the option, else the saved model's, else 256 or the model's position count when smaller. */
  get maxLength(): number {
    return this.options.maxLength ?? this.loaded?.savedMaxLength ?? Math.min(CLASSIC.maxLength, this.loaded?.config.maxPositionEmbeddings ?? Infinity);
  }

  /** Examples per batch. */
  get batchSize(): number {
    return this.options.batchSize ?? CLASSIC.batchSize;
  }

  /** The tokenizer, once loaded. */
  get tokenizer(): BertTokenizer | undefined {
    return this.loaded?.tokenizer;
  }

  /**
   * Trains on `trainData` (examples, or a file or folder lib/data reads; default: IMDb, fetched through the cache
   * and split 20,000 / 5,000). Labels are matched by name. Refused with a BusyError while another call runs on this
   * classifier.
   */
  async fit(trainData?: ClassifierData<P>, options: FitOptions<P> = {}): Promise<FitResult<MetricsFor<P>>> {
    checkOptions('fit', options, FIT_OPTIONS);
    if (this.options.precision === 'int8') {
      throw new OptionValueError('precision', "'int8' is for inference: fit with 'fp32' or 'bf16', save, and load the saved model with precision 'int8'");
    }
    if (this.fitting || this.inFlight > 0) {
      throw new BusyError(`fit: this classifier is busy (${this.fitting ? 'fit() is running' : `${this.inFlight} call(s) in flight`}); await it first`);
    }
    this.fitting = true;
    try {
      return await this.fitNow(trainData, options);
    } finally {
      this.fitting = false;
    }
  }

  /**
   * Metrics on labelled data. Single-label: accuracy, macro precision/recall/F1, loss and the confusion matrix;
   * multi-label: subset accuracy, micro precision/recall/F1, macro F1, per-class scores and loss (sklearn's, at
   * `threshold`); regression: mse, pearson, spearmanr and loss.
   */
  async evaluate(data: ClassifierData<P>, options: EvaluateOptions = {}): Promise<MetricsFor<P>> {
    checkOptions('evaluate', options, EVALUATE_OPTIONS);
    return this.use('evaluate', async (loaded) => {
      const { model, tokenizer, labels, problemType } = loaded;
      const { examples, targets } = await this.examples(loaded, data, 'evaluation', 'test');
      if (examples.length === 0) throw new InputError('no examples to evaluate');
      this.warnIfUntrained(loaded);
      // Length-sorted: the metrics do not depend on the order of the examples, and sorted batches pad little.
      const batches = inferenceBatches(this.encode(examples, tokenizer), this.inferenceBatching());
      if (problemType === 'single_label') return evaluateModel(model, batches, labels, options) as Promise<MetricsFor<P>>;
      const scorer: Scorer<MultiLabelMetrics | RegressionMetrics> = problemType === 'multi_label' ? multiLabelScorer(labels, this.threshold) : regressionScorer(labels.length);
      return scoreBatches(model, evaluationWithTargets(batches, targets!), scorer, options, true) as Promise<MetricsFor<P>>;
    });
  }

  /**
   * Predictions for texts or `[text, textPair]` pairs, in input order: the top class with every class's probability
   * (single-label), the classes over `threshold` with every class's sigmoid score (multi-label), the value
   * (regression).
   */
  async predict(texts: readonly PredictInput[]): Promise<PredictionFor<P>[]> {
    if (!Array.isArray(texts)) throw new InputError('predict takes an array of texts (or [text, textPair] pairs)');
    const examples: Example[] = texts.map((t: unknown, i) => {
      const [text, textPair] = typeof t === 'string' ? [t, undefined] : Array.isArray(t) && t.length === 2 ? t : [undefined, undefined];
      if (typeof text !== 'string' || (textPair !== undefined && typeof textPair !== 'string')) {
        const what = t === null ? 'null' : Array.isArray(t) ? `an array of ${t.length}` : typeof t === 'object' ? 'an object' : `a ${typeof t}`;
        throw new InputError(`predict: input ${i} is ${what}, not a string or a [string, string] pair`, i);
      }
      return { id: String(i), text, textPair, label: 0, source: 'predict' };
    });
    return this.use('predict', async (loaded) => {
      if (examples.length === 0) return [];
      const { model, tokenizer, labels, problemType } = loaded;
      this.warnIfUntrained(loaded);
      // Length-sorted batches (they pad little); each prediction goes back to its input's place.
      const batches = inferenceBatches(this.encode(examples, tokenizer), this.inferenceBatching());
      const out: AnyPrediction[] = new Array(examples.length);
      for (let b = 0; b < batches.numBatches(); b++) {
        const { batch, indices } = batches.batch(b);
        const { logits } = await model.forward(batch, { training: false });
        for (let r = 0; r < batch.batchSize; r++) out[indices[r]] = toPrediction(problemType, logits, r, labels, this.threshold);
      }
      return out as PredictionFor<P>[];
    });
  }

  /** Tokens of one text with the [CLS] row of attention, per layer and head, and the prediction. */
  async explain(text: string, options: ExplainOptions = {}): Promise<Explanation> {
    if (typeof text !== 'string') throw new InputError('explain: the text must be a string');
    return this.use('explain', (loaded) => this.explainNow(loaded, text, options));
  }

  /** The attention report (one self-contained HTML page) for several texts. */
  async attentionReport(
    items: readonly { text: string; textPair?: string; label?: string | number }[],
    options: AttentionReportOptions & { layer?: number } = {},
  ): Promise<string> {
    const explained: Explanation[] = [];
    for (const item of items) {
      // Only a single-label class is checked against the labels; another problem type's label is shown as given.
      const trueLabel = item.label === undefined ? undefined
        : this.problemType === 'single_label' ? this.labels[labelIndex(item.label, this.labels, 'attentionReport')] : String(item.label);
      explained.push(await this.explain(item.text, { textPair: item.textPair, layer: options.layer, trueLabel }));
    }
    return renderAttentionReport(explained, options);
  }

  /**
   * Writes the model in Hugging Face layout: model.safetensors, config.json (with the labels, the head and the
   * maxLength used), the tokenizer files (tokenizer_config.json's `model_max_length` = maxLength) and a README.md
   * model card with the code that loads it in transformers. A `'cls'` head is saved with a warning: transformers'
   * BertForSequenceClassification applies the pooler, so its `model(**enc).logits` differ (the card gives the call
   * that matches).
   */
  async save(dir: string): Promise<void> {
    return this.use('save', async ({ model, config, labels, head, problemType, rawConfig, tokenizerFiles, directory }) => {
      const tensors = new Map<string, Float32Array>();
      for (const name of model.parameterNames()) tensors.set(name, model.getParameter(name));
      const maxLength = this.maxLength;
      // transformers ignores unknown config keys; bertnode reads these back to rebuild the same head and inputs.
      await saveModel(dir, config, tensors, {
        labels,
        rawConfig: {
          ...rawConfig, problem_type: HF_PROBLEM_TYPE[problemType], bertnode_head: head, bertnode_max_length: maxLength,
          ...(problemType === 'multi_label' ? { bertnode_threshold: this.threshold } : {}),
        },
        tokenizerFiles: tokenizerFiles.filter((f) => path.basename(f) !== 'tokenizer_config.json'),
      });
      const tokenizerConfig = tokenizerFiles.find((f) => path.basename(f) === 'tokenizer_config.json');
      const tokenizerSettings = tokenizerConfig ? JSON.parse(await readFile(tokenizerConfig, 'utf8')) as Record<string, unknown> : {};
      await writeFile(path.join(dir, 'tokenizer_config.json'), `${JSON.stringify({ ...tokenizerSettings, model_max_length: maxLength }, null, 2)}\n`);
      await writeFile(path.join(dir, 'README.md'), renderModelCard({ baseModel: this.options.model ?? path.basename(directory), head, labels, maxLength, problemType, threshold: this.threshold }));
      if (head === 'cls') {
        warnOnce(this, 'BERTNODE_CLS_HEAD', `${dir} has the classic 'cls' head (no pooler): transformers' BertForSequenceClassification ` +
          "applies the pooler, so model(**enc).logits there differ from bertnode's. The model card (README.md) there gives the code that matches; " +
          "train with head: 'pooler' for a model transformers loads as it is.");
      }
    });
  }

  /** Frees the native model. Safe twice; calls after it are refused with a DisposedError. */
  /** {@link save}s the model into `dir`, then adds `onnx/model.onnx` (fp32) and `onnx/model_quantized.onnx` (int8)
   *  beside `config.json`, `tokenizer.json` and `tokenizer_config.json`: the layout transformers.js loads. */
  async exportOnnx(dir: string): Promise<OnnxExport> {
    await this.save(dir);
    return writeOnnxFiles(dir);
  }

  dispose(): void {
    this.disposed = true;
    this.loaded?.model.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.loading) await this.loading.catch(() => undefined);
    this.dispose();
  }

  // Runs a call that reads the model; refused while fit() runs.
  private async use<T>(what: string, fn: (loaded: Loaded) => Promise<T>): Promise<T> {
    if (this.fitting) throw new BusyError(`${what}: fit() is running on this classifier; await it first`);
    this.inFlight++;
    try {
      return await fn(await this.load());
    } finally {
      this.inFlight--;
    }
  }

  private warnIfUntrained(loaded: Loaded): void {
    if (loaded.untrainedHead) {
      warnOnce(this, 'BERTNODE_UNTRAINED_HEAD', `the classifier head of ${this.options.model ?? CLASSIC.model} was newly initialised ` +
        '(the checkpoint has none): its predictions are random until you fit() it');
    }
  }

  private async fitNow(trainData: ClassifierData<P> | undefined, options: FitOptions<P>): Promise<FitResult<MetricsFor<P>>> {
    const loaded = await this.load();
    const { model, tokenizer, labels, problemType } = loaded;
    const seed = options.seed ?? this.options.seed ?? CLASSIC.seed;
    let trainPart: LabelledSet;
    let validationPart: LabelledSet | undefined;
    if (trainData === undefined) {
      if (problemType !== 'single_label') throw new InputError(`fit() without data trains IMDb's single-label task; give the ${problemType} examples`);
      const imdb = await loadImdb({ ...options.imdb, labels, hub: this.options.hub });
      trainPart = { examples: imdb.train };
      validationPart = options.validation === undefined ? { examples: imdb.validation } : undefined;
      if (options.validation !== undefined) trainPart = { examples: [...imdb.train, ...imdb.validation] };
    } else {
      trainPart = await this.examples(loaded, trainData, 'train');
    }
    if (typeof options.validation === 'number') {
      // The held-out examples keep their rows in the training set's targets (./train/target-examples.ts).
      const [t, v] = holdOut(trainPart.examples, options.validation, seed);
      [trainPart, validationPart] = [{ examples: t, targets: trainPart.targets }, { examples: v, targets: trainPart.targets }];
    } else if (options.validation !== undefined) {
      validationPart = await this.examples(loaded, options.validation, 'validation');
    }
    const trainExamples = trainPart.examples;
    const validationExamples = validationPart?.examples;
    if (trainExamples.length === 0) throw new InputError('no training examples');
    const classes = new Set(trainExamples.map((e) => e.label));
    if (problemType === 'single_label' && classes.size === 1) {
      warnOnce(this, 'BERTNODE_ONE_CLASS', `every training example is '${labels[trainExamples[0].label]}': ` +
        'the model can only learn to predict that class');
    }

    const batchSize = options.batchSize ?? this.batchSize;
    const trainSet = this.encode(trainExamples, tokenizer);
    const loader = new BatchLoader(trainSet, { ...this.batching(batchSize), shuffle: true, seed });
    const validationSet = validationExamples?.length ? this.encode(validationExamples, tokenizer) : undefined;
    const evaluation = validationSet ? evaluationBatches(validationSet, this.batching(batchSize)) : undefined;
    const { validation: _v, batchSize: _b, imdb: _i, cacheFrozenLayers, ...trainOptions } = options;
    const frozen = cacheFrozenLayers
      ? await prepareFrozenTraining(model, { loader, ids: trainExamples.map((e) => e.id) },
        evaluation && validationSet && { view: evaluation, dataset: validationSet, ids: validationExamples!.map((e) => e.id) },
        typeof cacheFrozenLayers === 'object' ? { signal: options.signal, ...cacheFrozenLayers } : { signal: options.signal })
      : undefined;
    const trainBatches: TrainingBatches = frozen?.train ?? loader;
    const evaluationData: EvaluationBatches | undefined = frozen?.evaluation ?? evaluation;
    const result = await train<MetricsFor<P>>(frozen?.model ?? model, trainPart.targets ? trainingWithTargets(trainBatches, trainPart.targets) : trainBatches, labels, {
      epochs: this.options.epochs ?? CLASSIC.epochs,
      lr: this.options.lr ?? CLASSIC.lr,
      ...trainOptions,
      seed,
      evaluation: evaluationData && validationPart?.targets ? evaluationWithTargets(evaluationData, validationPart.targets, this.evaluationSettings(problemType)) : evaluationData,
      evaluator: this.evaluator(loaded),
    }).finally(() => frozen?.close());
    if (result.steps > 0) loaded.untrainedHead = false;
    let validation: MetricsFor<P> | undefined;
    if (evaluation) {
      const best = result.restoredBest ? result.history.evaluations.find((e) => e.step === result.best?.step) : undefined;
      validation = best?.metrics ?? result.history.evaluations[result.history.evaluations.length - 1]?.metrics;
    }
    return { ...result, validation, trainExamples: trainExamples.length };
  }

  // Examples of the classifier's problem type: single-label ones with class indices (lib/data reads paths), the
  // others with their targets table (from an array, or a .jsonl file whose errors name the line).
  private async examples(loaded: Loaded, data: ClassifierData<P>, what: string, split: 'train' | 'test' = 'train'): Promise<LabelledSet> {
    const { labels, problemType } = loaded;
    if (problemType === 'single_label') return { examples: await toExamples(data as ExampleInput, labels, what, split) };
    if (typeof data !== 'string') return toTargetExamples(data, problemType, labels, what);
    if (!/\.(jsonl|ndjson)$/i.test(data)) {
      throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', data, `${problemType} data is read from .jsonl files ({"text", "label"} per line)`);
    }
    const { records, lines } = await readTargetJsonl(data);
    return toTargetExamples(records, problemType, labels, data,
      (i, field, reason) => new DataFormatError('ERR_BERTNODE_DATA_PARSE', data, `"${field}" ${reason}`, { line: lines[i] }));
  }

  // The loop's evaluator: the default (single-label metrics) or the problem type's.
  private evaluator(loaded: Loaded): Evaluator<MetricsFor<P>> | undefined {
    const { problemType, labels } = loaded;
    if (problemType === 'single_label') return undefined;
    return (problemType === 'multi_label' ? multiLabelEvaluator(labels, this.threshold) : regressionEvaluator(labels.length)) as unknown as Evaluator<MetricsFor<P>>;
  }

  // Besides its data, what decides an evaluation's numbers (and so the best model a checkpoint records).
  private evaluationSettings(problemType: ProblemTypeName): RunSettings {
    return problemType === 'multi_label' ? { threshold: this.threshold } : {};
  }

  private async explainNow(loaded: Loaded, text: string, options: ExplainOptions): Promise<Explanation> {
    const { model, tokenizer, labels, config, problemType } = loaded;
    const numLayers = config.numHiddenLayers;
    const layer = options.layer ?? numLayers - 1;
    const layers = options.layers === 'all' ? [...Array(numLayers).keys()] : [...new Set([...(options.layers ?? []), layer])].sort((a, b) => a - b);
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l >= numLayers) throw new OptionValueError('layer', `${l} is out of range 0..${numLayers - 1}`);
    }
    if (options.trueLabel !== undefined && problemType === 'single_label') labelIndex(options.trueLabel, labels, 'explain');
    this.warnIfUntrained(loaded);
    const enc = tokenizer.encode(text, options.textPair, { maxLength: this.maxLength, truncation: true });
    const seqLen = enc.inputIds.length;
    const batch = {
      inputIds: Int32Array.from(enc.inputIds),
      attentionMask: Int32Array.from(enc.attentionMask),
      tokenTypeIds: Int32Array.from(enc.tokenTypeIds),
      batchSize: 1,
      seqLen,
    };
    const out = await model.forward(batch, { training: false, attentionLayers: layers });
    const shape = { batchSize: 1, numHeads: config.numAttentionHeads, seqLen };
    const perLayer = layers.map((l, i) => ({ layer: l, attention: clsAttention(out.attentions[i], shape, batch.attentionMask, 0) }));
    const tokens: ExplainToken[] = enc.tokens.map((t, i) => ({
      text: t,
      start: enc.sequenceIds[i] === null ? -1 : enc.offsets[i][0],
      end: enc.sequenceIds[i] === null ? -1 : enc.offsets[i][1],
      segment: enc.sequenceIds[i] ?? (enc.tokenTypeIds[i] ?? 0),
      special: enc.specialTokensMask[i] === 1,
    }));
    const { predicted, probabilities } = explainedVerdict(toPrediction(problemType, out.logits, 0, labels, this.threshold), labels);
    return {
      text,
      textPair: options.textPair,
      tokens,
      layer,
      numLayers,
      attention: perLayer.find((p) => p.layer === layer)!.attention,
      predicted,
      probabilities,
      trueLabel: options.trueLabel,
      layers: perLayer,
    };
  }

  private batching(batchSize: number): BatchingOptions {
    return { batchSize, padding: this.options.padding, maxLength: this.maxLength, bucketBatches: this.options.bucketBatches };
  }

  private inferenceBatching() {
    return { batchSize: this.batchSize, padding: this.options.padding, maxLength: this.maxLength };
  }

  private encode(examples: readonly Example[], tokenizer: BertTokenizer): EncodedDataset {
    return encodeExamples(examples, tokenizer, { maxLength: this.maxLength });
  }

  private load(): Promise<Loaded> {
    if (this.disposed) return Promise.reject(new DisposedError('the classifier has been disposed'));
    this.loading ??= this.loadModel().then((l) => {
      if (this.disposed) l.model.dispose();
      this.loaded = l;
      return l;
    });
    return this.loading;
  }

  private async loadModel(): Promise<Loaded> {
    const o = this.options;
    const directory = await resolveModelDirectory(o.model ?? CLASSIC.model, o.hub);
    const loaded = await loadModel(directory);
    const untrainedHead = loaded.missing.includes('classifier.weight');
    const problemType = resolveProblemType(o, untrainedHead ? undefined : loaded, directory);
    checkProblemOptions(o, problemType);
    const labels = headLabels(o, problemType, untrainedHead ? undefined : loaded);
    const config: BertConfig = { ...loaded.config, numLabels: labels.length };
    if (o.maxLength !== undefined && o.maxLength > config.maxPositionEmbeddings) {
      throw new OptionValueError('maxLength', `${o.maxLength} exceeds the model's ${config.maxPositionEmbeddings} positions`);
    }
    const saved = loaded.rawConfig.bertnode_max_length;
    const savedMaxLength = Number.isInteger(saved) && (saved as number) >= 2 && (saved as number) <= config.maxPositionEmbeddings ? saved as number : undefined;
    const threshold = loaded.rawConfig.bertnode_threshold;
    const savedThreshold = problemType === 'multi_label' && typeof threshold === 'number' && threshold >= 0 && threshold <= 1 ? threshold : undefined;
    const savedHead = loaded.rawConfig.bertnode_head;
    const head: Head = o.head ?? (savedHead === 'cls' || savedHead === 'pooler' ? savedHead : untrainedHead ? 'cls' : 'pooler');
    const requested = o.trainableLayers ?? CLASSIC.trainableLayers;
    const trainableLayers = requested === 'all' ? config.numHiddenLayers : requested;
    if (trainableLayers > config.numHiddenLayers) {
      throw new OptionValueError('trainableLayers', `${trainableLayers} exceeds the model's ${config.numHiddenLayers} layers`);
    }
    const threads = configureThreads(o.threads);
    const model = NativeBert.create(config, {
      head,
      problemType: HF_PROBLEM_TYPE[problemType],
      trainableLayers,
      trainEmbeddings: o.trainEmbeddings ?? requested === 'all',
      device: resolveDeviceQuietly(o.device ?? (o.precision === 'int8' ? 'cpu' : 'auto')),
      precision: o.precision,
    });
    try {
      const running = model.device === 'cpu' ? cpuThreadCount() : threads;
      if (o.threads !== undefined && running !== o.threads) {
        warnOnce(this, 'BERTNODE_THREADS', `threads: ${o.threads} asked, but this process's thread pool already runs ${running} threads ` +
          '(it is sized once, by the first model built; set threads on that one, or BERTNODE_NUM_THREADS)');
      }
      const initRange = typeof loaded.rawConfig.initializer_range === 'number' ? loaded.rawConfig.initializer_range : 0.02;
      const random = mulberry32(o.seed ?? CLASSIC.seed);
      for (const name of model.parameterNames()) {
        const tensor = loaded.tensors.get(name);
        const count = model.parameterShape(name).reduce((a, b) => a * b, 1);
        model.setParameter(name, tensor ?? initialValues(name, count, initRange, random));
      }
    } catch (e) {
      model.dispose();
      throw e;
    }
    const tokenizer = BertTokenizer.fromPretrained(directory);
    const tokenizerFiles = TOKENIZER_FILES.map((f) => path.join(directory, f)).filter((f) => existsSync(f));
    const { id2label: _a, label2id: _b, bertnode_threshold: _t, ...rawConfig } = loaded.rawConfig;
    return { model, tokenizer, config, labels, head, problemType, rawConfig, tokenizerFiles, directory, savedMaxLength, savedThreshold, untrainedHead };
  }
}

// 'auto' takes CUDA when lib/native's probe finds a usable GPU, else the CPU. Having no GPU is the common case, not
// a problem worth a process warning in the middle of a run's output: why CUDA was not used goes to the debug log
// (NODE_DEBUG=bertnode).
function resolveDeviceQuietly(device: DeviceOption): Device {
  if (device !== 'auto') return device;
  const cuda = cudaAvailability();
  if (cuda.available) return 'cuda';
  debug('device auto: running on the CPU (%s)', cuda.reason);
  return 'cpu';
}

// Hugging Face's initialisation of a missing Linear: weight ~ N(0, initializer_range²), bias 0 (Box-Muller).
function initialValues(name: string, count: number, std: number, random: () => number): Float32Array {
  const out = new Float32Array(count);
  if (name.endsWith('.bias')) return out;
  for (let i = 0; i < count; i++) {
    const u = Math.max(random(), Number.MIN_VALUE);
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

function cpuThreadCount(): number {
  return loadBackend('cpu').numThreads();
}

// The problem type of the model being loaded: the option, checked against what a trained head was trained for
// (config.json's problem_type; without one, transformers' rule that one output is regression), else the head's,
// else single-label.
function resolveProblemType(o: ClassifierOptions<ProblemTypeName>, trained: LoadedModel | undefined, directory: string): ProblemTypeName {
  const saved = trained && (savedProblemType(trained.rawConfig) ?? (trained.labels.length === 1 ? 'regression' : undefined));
  if (o.problemType !== undefined && saved !== undefined && o.problemType !== saved) {
    throw new OptionValueError('problemType', `${directory}'s head was trained for '${saved}' (config.json's problem_type), not '${o.problemType}'`);
  }
  return o.problemType ?? saved ?? 'single_label';
}

// The options that belong to one problem type only.
function checkProblemOptions(o: ClassifierOptions<ProblemTypeName>, problemType: ProblemTypeName): void {
  if (o.labels && problemType === 'regression') {
    throw new OptionValueError('labels', "a regression model has no class names (its outputs are LABEL_0, ...); give numOutputs instead");
  }
  if (o.numOutputs !== undefined && problemType !== 'regression') {
    throw new OptionValueError('numOutputs', `is for problemType 'regression', not '${problemType}' (classification has one output per label)`);
  }
  if (o.threshold !== undefined && problemType !== 'multi_label') {
    throw new OptionValueError('threshold', `is for problemType 'multi_label', not '${problemType}' (single-label predicts the top class, regression the value)`);
  }
}

// Names of the head's outputs. Classification: a trained head's classes, with the labels given matched to them by
// name; a new head gets the labels given, else the classic pair. Regression: LABEL_0, ... (transformers' names),
// numOutputs of them (a trained head's count, which numOutputs must then agree with).
function headLabels(o: ClassifierOptions<ProblemTypeName>, problemType: ProblemTypeName, trained: LoadedModel | undefined): string[] {
  if (problemType === 'regression') {
    const rows = trained?.labels.length;
    if (rows !== undefined && o.numOutputs !== undefined && o.numOutputs !== rows) {
      throw new OptionValueError('numOutputs', `${o.numOutputs} given, but the model's trained regression head has ${rows} output(s)`);
    }
    return defaultLabels(rows ?? o.numOutputs ?? 1);
  }
  const labels = trained ? matchHeadLabels(trained.labels, o.labels, trained.tensors) : [...(o.labels ?? CLASSIC.labels)];
  if (labels.length < 2) throw new OptionValueError('labels', `a ${problemType} classifier needs at least 2 classes; the model's head has ${labels.length}`);
  return labels;
}

// Holds out a share (0..1) or a count of the examples with the seed (lib/data's seeded split).
function holdOut(examples: Example[], validation: number, seed: number): [Example[], Example[]] {
  const { train: t, validation: v } = splitTrainValidation(examples, { validationSize: validation, seed });
  return [t, v];
}

export { loadImdb };
export type { ImdbData, ImdbSource, HubOptions };
// A set of examples; with targets, each example's label is its row there (multi-label and regression).
interface LabelledSet {
  examples: Example[];
  targets?: TargetTable;
}

export type { ClassifierData, ClassifierOptions, DeviceOption, Explanation, ExplainOptions, FitOptions, FitResult, MetricsFor, PredictInput };
export type { MultiLabelPrediction, Prediction, PredictionFor, RegressionPrediction, TargetExample };

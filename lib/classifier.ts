// BertClassifier: the product's one class. It joins the weights loader, the tokenizer, the native engine, the data
// layer and the training loop into fromPretrained / fit / evaluate / predict / explain / save.
//
// `new BertClassifier()` with no options is the classic IMDb recipe: bert-base-uncased, labels neg/pos, max length
// 256, batch 32, lr 5e-5, 2 epochs, only the last encoder layer and a linear head on the [CLS] vector trainable,
// seed 1234; `await clf.fit()` with no data trains on IMDb (fetched through the cache) split 20,000 / 5,000.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { BatchLoader, encodeExamples, evaluationBatches, splitTrainValidation, type BatchingOptions, type EncodedDataset, type Example } from './data';
import { mulberry32 } from './data/random';
import { DisposedError, TrainingOptionsError } from './errors';
import { type ClsAttention, type ExplainToken, type ExplainedText, clsAttention, renderAttentionReport, type AttentionReportOptions } from './explain';
import { NativeBert, type Device, type Head, type Precision } from './native';
import { BertTokenizer } from './tokenizer';
import { type ClassificationMetrics, type EvaluateOptions, type TrainOptions, type TrainResult, evaluateModel, softmaxRow, train } from './train';
import { type ExampleInput, labelIndex, toExamples } from './train/examples';
import { type CacheFrozenLayersOption, prepareFrozenTraining } from './train/frozen-training';
import { type ImdbData, type ImdbSource, loadImdb } from './train/imdb-source';
import { type HubOptions, resolveModelDirectory } from './train/model-source';
import { type BertConfig, loadModel, saveModel } from './weights';
import { exportOnnx as writeOnnxFiles, type OnnxExport } from './onnx';

export type DeviceOption = Device | 'auto';

export interface ClassifierOptions {
  model?: string; // hub id or local folder (default 'bert-base-uncased')
  labels?: readonly string[]; // class names (default: the model's own, else ['neg', 'pos'])
  maxLength?: number; // tokens per text, [CLS]/[SEP] included (default 256)
  batchSize?: number; // training and inference batch size (default 32)
  lr?: number; // default 5e-5
  epochs?: number; // default 2
  trainableLayers?: number | 'all'; // last K encoder layers trained, 'all' = full fine-tune (default 1)
  trainEmbeddings?: boolean; // default: true only with trainableLayers 'all'
  head?: Head; // 'cls' (classic) or 'pooler' (BertForSequenceClassification); default: the saved model's, else 'cls'
  device?: DeviceOption; // default 'auto': CUDA when built and present, else CPU
  precision?: Precision; // 'fp32' (default); 'bf16' mixed precision on CUDA and AVX-512 BF16 CPUs; 'tf32' on CUDA
  seed?: number; // head initialisation, dropout, data order (default 1234)
  padding?: 'longest' | 'max_length'; // default 'longest' (same results, less work than padding to maxLength)
  // Training and evaluation batches drawn from chunks of this many batches sorted by length, so short reviews pad
  // little (lib/data's bucketing; the batch order stays seeded). Default 0: plain shuffled batches.
  bucketBatches?: number;
  hub?: HubOptions;
}

export interface FitOptions extends Omit<TrainOptions, 'evaluation'> {
  // Validation data, or a share (0..1) / count of the training data held out with the seed. Default: none, or the
  // classic 5,000 when fit() loads IMDb itself.
  validation?: ExampleInput | number;
  batchSize?: number;
  imdb?: ImdbSource; // where fit() with no data finds IMDb
  // Compute the frozen layers' output once per example and train the last trainableLayers from it every epoch
  // (lib/train/frozen-cache.ts): true = { storage: 'auto', dtype: 'bf16' }. Needs frozen embeddings and
  // trainableLayers < the model's layers. The one difference from training from ids: no dropout in frozen layers.
  cacheFrozenLayers?: CacheFrozenLayersOption;
}

export interface FitResult extends TrainResult {
  validation?: ClassificationMetrics; // metrics of the parameters the model ends with
  trainExamples: number;
}

export interface Prediction {
  label: string;
  labelIndex: number;
  probabilities: Record<string, number>;
  logits: number[]; // in label order
}

export type PredictInput = string | readonly [string, string];

export interface ExplainOptions {
  textPair?: string;
  layer?: number; // layer whose attention the report shows (0-based; default the last)
  layers?: readonly number[] | 'all'; // layers returned in `layers` (default: just `layer`)
  trueLabel?: string;
}

export interface Explanation extends ExplainedText {
  layers: { layer: number; attention: ClsAttention }[];
}

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
  rawConfig: Record<string, unknown>;
  tokenizerFiles: string[];
  directory: string;
}

export class BertClassifier {
  private readonly options: ClassifierOptions;
  private loading?: Promise<Loaded>;
  private loaded?: Loaded;
  private disposed = false;

  constructor(options: ClassifierOptions = {}) {
    this.options = { ...options };
    const { maxLength, batchSize, trainableLayers } = this.options;
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 2)) throw new TrainingOptionsError(`maxLength must be an integer >= 2, got ${maxLength}`);
    if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) throw new TrainingOptionsError(`batchSize must be an integer >= 1, got ${batchSize}`);
    if (trainableLayers !== undefined && trainableLayers !== 'all' && (!Number.isInteger(trainableLayers) || trainableLayers < 0)) {
      throw new TrainingOptionsError(`trainableLayers must be an integer >= 0 or 'all', got ${trainableLayers}`);
    }
    if (options.labels && new Set(options.labels).size !== options.labels.length) throw new TrainingOptionsError('label names must be distinct');
    if (options.labels && options.labels.length < 2) throw new TrainingOptionsError('a classifier needs at least 2 labels');
  }

  // Loads (downloading through the cache when needed) and returns a ready classifier.
  static async fromPretrained(idOrDir: string, options: Omit<ClassifierOptions, 'model'> = {}): Promise<BertClassifier> {
    const clf = new BertClassifier({ ...options, model: idOrDir });
    await clf.ready();
    return clf;
  }

  // Loads the model now (fit/evaluate/predict/explain/save load it on first use otherwise).
  async ready(): Promise<this> {
    await this.load();
    return this;
  }

  get labels(): readonly string[] {
    return this.loaded?.labels ?? this.options.labels ?? CLASSIC.labels;
  }

  get config(): Readonly<BertConfig> | undefined {
    return this.loaded?.config;
  }

  get head(): Head | undefined {
    return this.loaded?.head;
  }

  get device(): Device | undefined {
    return this.loaded?.model.device;
  }

  // The classic 256, or the model's position count when it has fewer (a value given explicitly is checked instead).
  get maxLength(): number {
    return this.options.maxLength ?? Math.min(CLASSIC.maxLength, this.loaded?.config.maxPositionEmbeddings ?? Infinity);
  }

  get batchSize(): number {
    return this.options.batchSize ?? CLASSIC.batchSize;
  }

  get tokenizer(): BertTokenizer | undefined {
    return this.loaded?.tokenizer;
  }

  async fit(trainData?: ExampleInput, options: FitOptions = {}): Promise<FitResult> {
    const { model, tokenizer, labels } = await this.load();
    const seed = options.seed ?? this.options.seed ?? CLASSIC.seed;
    let trainExamples: Example[];
    let validationExamples: Example[] | undefined;
    if (trainData === undefined) {
      const imdb = await loadImdb({ ...options.imdb, hub: this.options.hub });
      trainExamples = imdb.train;
      validationExamples = options.validation === undefined ? imdb.validation : undefined;
      if (options.validation !== undefined) trainExamples = [...imdb.train, ...imdb.validation];
    } else {
      trainExamples = await toExamples(trainData, labels, 'train');
    }
    if (typeof options.validation === 'number') {
      [trainExamples, validationExamples] = holdOut(trainExamples, options.validation, seed);
    } else if (options.validation !== undefined) {
      validationExamples = await toExamples(options.validation, labels, 'validation');
    }
    if (trainExamples.length === 0) throw new TrainingOptionsError('no training examples');

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
    const result = await train(frozen?.model ?? model, frozen?.train ?? loader, labels, {
      epochs: this.options.epochs ?? CLASSIC.epochs,
      lr: this.options.lr ?? CLASSIC.lr,
      ...trainOptions,
      seed,
      evaluation: frozen?.evaluation ?? evaluation,
    }).finally(() => frozen?.close());
    let validation: ClassificationMetrics | undefined;
    if (evaluation) {
      const best = result.restoredBest ? result.history.evaluations.find((e) => e.step === result.best?.step) : undefined;
      validation = best?.metrics ?? result.history.evaluations[result.history.evaluations.length - 1]?.metrics;
    }
    return { ...result, validation, trainExamples: trainExamples.length };
  }

  async evaluate(data: ExampleInput, options: EvaluateOptions = {}): Promise<ClassificationMetrics> {
    const { model, tokenizer, labels } = await this.load();
    const examples = await toExamples(data, labels, 'evaluation', 'test');
    if (examples.length === 0) throw new TrainingOptionsError('no examples to evaluate');
    const batches = evaluationBatches(this.encode(examples, tokenizer), this.batching(this.batchSize));
    return evaluateModel(model, batches, labels, options);
  }

  async predict(texts: readonly PredictInput[]): Promise<Prediction[]> {
    const { model, tokenizer, labels } = await this.load();
    if (!Array.isArray(texts)) throw new TrainingOptionsError('predict takes an array of texts (or [text, textPair] pairs)');
    if (texts.length === 0) return [];
    const examples: Example[] = texts.map((t, i) => {
      const [text, textPair] = typeof t === 'string' ? [t, undefined] : t;
      if (typeof text !== 'string' || (textPair !== undefined && typeof textPair !== 'string')) {
        throw new TrainingOptionsError(`predict: input ${i} is neither a string nor a [string, string] pair`);
      }
      return { id: String(i), text, textPair, label: 0, source: 'predict' };
    });
    const batches = evaluationBatches(this.encode(examples, tokenizer), { batchSize: this.batchSize, padding: this.options.padding, maxLength: this.maxLength });
    const out: Prediction[] = [];
    for (let b = 0; b < batches.numBatches(); b++) {
      const { batch } = batches.batch(b);
      const { logits } = await model.forward(batch, { training: false });
      for (let r = 0; r < batch.batchSize; r++) out.push(toPrediction(logits, r, labels));
    }
    return out;
  }

  // Tokens of one text with the [CLS] row of attention, per layer and head, and the prediction.
  async explain(text: string, options: ExplainOptions = {}): Promise<Explanation> {
    const { model, tokenizer, labels, config } = await this.load();
    const numLayers = config.numHiddenLayers;
    const layer = options.layer ?? numLayers - 1;
    const layers = options.layers === 'all' ? [...Array(numLayers).keys()] : [...new Set([...(options.layers ?? []), layer])].sort((a, b) => a - b);
    for (const l of layers) {
      if (!Number.isInteger(l) || l < 0 || l >= numLayers) throw new TrainingOptionsError(`layer ${l} out of range 0..${numLayers - 1}`);
    }
    if (options.trueLabel !== undefined) labelIndex(options.trueLabel, labels, 'explain');
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
    const prediction = toPrediction(out.logits, 0, labels);
    return {
      text,
      textPair: options.textPair,
      tokens,
      layer,
      numLayers,
      attention: perLayer.find((p) => p.layer === layer)!.attention,
      predicted: prediction.label,
      probabilities: prediction.probabilities,
      trueLabel: options.trueLabel,
      layers: perLayer,
    };
  }

  // The attention report (one self-contained HTML page) for several texts.
  async attentionReport(
    items: readonly { text: string; textPair?: string; label?: string | number }[],
    options: AttentionReportOptions & { layer?: number } = {},
  ): Promise<string> {
    const explained: Explanation[] = [];
    for (const item of items) {
      const trueLabel = item.label === undefined ? undefined : this.labels[labelIndex(item.label, this.labels, 'attentionReport')];
      explained.push(await this.explain(item.text, { textPair: item.textPair, layer: options.layer, trueLabel }));
    }
    return renderAttentionReport(explained, options);
  }

  // Writes the model in Hugging Face layout (model.safetensors + config.json + tokenizer files).
  async save(dir: string): Promise<void> {
    const { model, config, labels, head, rawConfig, tokenizerFiles } = await this.load();
    const tensors = new Map<string, Float32Array>();
    for (const name of model.parameterNames()) tensors.set(name, model.getParameter(name));
    // transformers ignores unknown config keys; bertnode reads this one back to rebuild the same head.
    await saveModel(dir, config, tensors, { labels, rawConfig: { ...rawConfig, bertnode_head: head }, tokenizerFiles });
  }

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

  private batching(batchSize: number): BatchingOptions {
    return { batchSize, padding: this.options.padding, maxLength: this.maxLength, bucketBatches: this.options.bucketBatches };
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
    const loaded = await loadModel(directory, o.labels ? { labels: o.labels } : {});
    // A checkpoint without its own label names (a base model) gets the classic pair unless told otherwise.
    const hasOwnLabels = loaded.rawConfig.id2label !== undefined && !loaded.missing.includes('classifier.weight');
    const labels = o.labels ? [...o.labels] : hasOwnLabels ? loaded.labels : [...CLASSIC.labels];
    const config: BertConfig = { ...loaded.config, numLabels: labels.length };
    if (o.maxLength !== undefined && o.maxLength > config.maxPositionEmbeddings) {
      throw new TrainingOptionsError(`maxLength ${o.maxLength} exceeds the model's ${config.maxPositionEmbeddings} positions`);
    }
    const savedHead = loaded.rawConfig.bertnode_head;
    const head: Head = o.head ?? (savedHead === 'cls' || savedHead === 'pooler' ? savedHead : loaded.missing.includes('classifier.weight') ? 'cls' : 'pooler');
    const requested = o.trainableLayers ?? CLASSIC.trainableLayers;
    const trainableLayers = requested === 'all' ? config.numHiddenLayers : requested;
    if (trainableLayers > config.numHiddenLayers) {
      throw new TrainingOptionsError(`trainableLayers ${trainableLayers} exceeds the model's ${config.numHiddenLayers} layers`);
    }
    // 'auto' takes CUDA when lib/native's probe finds a usable GPU, else the CPU (with a one-time warning).
    const model = NativeBert.create(config, {
      head,
      trainableLayers,
      trainEmbeddings: o.trainEmbeddings ?? requested === 'all',
      device: o.device ?? 'auto',
      precision: o.precision,
    });
    try {
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
    const { id2label: _a, label2id: _b, ...rawConfig } = loaded.rawConfig;
    return { model, tokenizer, config, labels, head, rawConfig, tokenizerFiles, directory };
  }
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

function toPrediction(logits: Float32Array, row: number, labels: readonly string[]): Prediction {
  const p = softmaxRow(logits, row * labels.length, labels.length);
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  const logitsRow = Array.from(logits.subarray(row * labels.length, (row + 1) * labels.length));
  return { label: labels[best], labelIndex: best, probabilities: Object.fromEntries(labels.map((l, k) => [l, p[k]])), logits: logitsRow };
}

// Holds out a share (0..1) or a count of the examples with the seed (lib/data's seeded split).
function holdOut(examples: Example[], validation: number, seed: number): [Example[], Example[]] {
  const { train: t, validation: v } = splitTrainValidation(examples, { validationSize: validation, seed });
  return [t, v];
}

export { loadImdb };
export type { ImdbData, ImdbSource, HubOptions };

// NativeBert: the typed face of one native BERT model (TEAM.md's canonical contract).
//
// Every argument is validated in C++, where it crosses N-API; this wrapper adds what only JS can do: calls on one
// model are serialised (a queue, so a second forward waits for the first instead of failing), synchronous calls are
// refused while an asynchronous one is queued or running (they would race with it), and native errors become the
// typed errors of lib/errors.ts.
import { DisposedError, NativeError, ValidationError } from '../errors';
import {
  Device, Head, Labels, Precision, ProblemType, RawConfig, RawForwardResult, RawModel, RawOptimizerState, loadBackend,
} from './addon';
import { resolveDevice } from './cuda';
import { BUSY, fromNative } from './errors';

export type { Device, Head, Labels, Precision, ProblemType } from './addon';

// TEAM.md's BertConfig (camelCase Hugging Face config.json); lib/weights' BertConfig has the same shape.
export type BertConfig = RawConfig;

export interface NativeBertOptions {
  // 'cls': linear layer on the last layer's [CLS] vector (the classic recipe); 'pooler': tanh pooler then linear
  // (Hugging Face BertForSequenceClassification); the other heads as lib/native/addon.ts lists. Default 'pooler'.
  head?: Head;
  // Sequence classification's loss (Hugging Face's problem_type). Default 'single_label_classification'.
  problemType?: ProblemType;
  // 'multiple-choice': the rows per example (>= 2).
  numChoices?: number;
  // 'embedding': 'mean' over the attention mask (default) or 'cls'; normalize: L2-normalise (default false).
  pooling?: 'mean' | 'cls';
  normalize?: boolean;
  // Number of last encoder layers that train, 0..numHiddenLayers. Default: all of them (0 for 'embedding').
  trainableLayers?: number;
  // Whether the embeddings train. Default true (false for 'embedding', which is inference-only).
  trainEmbeddings?: boolean;
  // Default 'cpu'. 'auto' takes CUDA when the probe finds a usable GPU and otherwise the CPU, with a warning.
  device?: Device | 'auto';
  // Default 'fp32'; 'tf32' only on CUDA; 'bf16' on CUDA and on CPUs with AVX-512 BF16 (else ERR_BERTNODE_INVALID_ARGUMENT);
  // 'int8' on the CPU only (device 'auto' then means 'cpu'), for inference: training calls are refused with
  // ERR_BERTNODE_INVALID_ARGUMENT.
  precision?: Precision;
}

export interface Batch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
}

// What a call that starts from prefixHidden reads of its batch: the shape and the padding mask (the ids are not
// read, and may be left out).
export interface MaskBatch {
  attentionMask: Int32Array;
  batchSize: number;
  seqLen: number;
  inputIds?: Int32Array;
  tokenTypeIds?: Int32Array;
}

// The frozen-layer cache (native/model/bert_model.h): with trainEmbeddings false and trainableLayers K < L, the
// embeddings and the first L-K layers are frozen. frozenPrefix(batch) returns their output without dropout,
// [batchSize, seqLen, hiddenSize]; a call given it as prefixHidden runs only the trainable layers and the head.
// Training from it equals training from the ids with dropout off in the frozen layers (dropout in the trainable
// layers stays keyed by seed and step). prefixHidden on a model without a frozen prefix, of the wrong length or
// dtype, or with a non-finite value → ValidationError.
export interface PrefixOptions {
  prefixHidden?: Float32Array;
}

export interface ForwardOptions extends PrefixOptions {
  // Labels in the head's layout (lib/native/addon.ts); when given, the head's mean loss is returned as `loss`.
  labels?: Labels;
  // Encoder layers (0-based) whose attention probabilities are returned, each [B, heads, T, T].
  attentionLayers?: number[];
  // Return the embeddings output and every layer's output, each [B, T, hidden] (numHiddenLayers + 1 arrays).
  outputHiddenStates?: boolean;
  // Dropout on (keyed by seed and step, so the masks are reproducible). Default false.
  training?: boolean;
  seed?: number;
  step?: number;
}

export type ForwardResult = RawForwardResult;

export interface OptimizerHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  // Global-norm clipping threshold; 0 or Infinity means no clipping.
  maxGradNorm: number;
}

export interface StepHyper extends OptimizerHyper {
  seed: number;
  step: number;
}

// AdamW state for checkpoints: the number of updates applied and the moments of every trainable parameter.
export type OptimizerState = RawOptimizerState;

type ResolvedOptions = NativeBertOptions & Required<Pick<NativeBertOptions,
  'head' | 'trainableLayers' | 'trainEmbeddings' | 'precision'>> & { device: Device };

export class NativeBert {
  readonly config: Readonly<BertConfig>;
  readonly head: Head;
  // The sequence-classification heads' loss; undefined for the other heads.
  readonly problemType?: ProblemType;
  readonly trainableLayers: number;
  readonly trainEmbeddings: boolean;
  readonly device: Device;
  readonly precision: Precision;
  private readonly raw: RawModel;
  private tail: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private disposed = false;

  private constructor(raw: RawModel, config: BertConfig, options: ResolvedOptions) {
    this.raw = raw;
    this.config = Object.freeze({ ...config });
    this.head = options.head;
    if (options.head === 'cls' || options.head === 'pooler') this.problemType = options.problemType ?? 'single_label_classification';
    this.trainableLayers = options.trainableLayers;
    this.trainEmbeddings = options.trainEmbeddings;
    this.device = options.device;
    this.precision = options.precision;
  }

  // Allocates a model with parameters left at zero; set them with setParameter (lib/weights reads checkpoints).
  static create(config: BertConfig, options: NativeBertOptions = {}): NativeBert {
    const requested = options.device ?? 'cpu';
    const inferenceOnly = options.head === 'embedding';
    const resolved: ResolvedOptions = {
      ...options,
      head: options.head ?? 'pooler',
      trainableLayers: options.trainableLayers ?? (inferenceOnly ? 0 : config?.numHiddenLayers),
      trainEmbeddings: options.trainEmbeddings ?? !inferenceOnly,
      device: requested === 'auto' ? (options.precision === 'int8' ? 'cpu' : resolveDevice('auto')) : requested,
      precision: options.precision ?? 'fp32',
    };
    // Before the backend loads, so that a machine without CUDA gets this error rather than "no CUDA".
    if (resolved.precision === 'int8' && resolved.device !== 'cpu') {
      throw new ValidationError(`precision 'int8' is only available on the CPU, got device '${resolved.device}'`);
    }
    const addon = loadBackend(resolved.device);
    let raw: RawModel;
    try {
      raw = new addon.BertModel(config, resolved);
    } catch (e) {
      throw fromNative(e);
    }
    return new NativeBert(raw, config, resolved);
  }

  parameterNames(): string[] {
    return this.sync(() => this.raw.parameterNames());
  }

  parameterShape(name: string): number[] {
    return this.sync(() => this.raw.parameterShape(name));
  }

  isTrainable(name: string): boolean {
    return this.sync(() => this.raw.isTrainable(name));
  }

  // Copies `data` (row-major, exactly the parameter's element count) into the model.
  setParameter(name: string, data: Float32Array): void {
    this.sync(() => this.raw.setParameter(name, data));
  }

  // A copy of the parameter's current values.
  getParameter(name: string): Float32Array {
    return this.sync(() => this.raw.getParameter(name));
  }

  // A copy of the gradient accumulated by accumulateGradients since the last optimizer update (the unclipped sum of
  // the micro-batches). An update (applyOptimizer, or the one inside trainStep) consumes it and leaves zeros, as
  // PyTorch's zero_grad would; null for a frozen parameter, which has no gradient memory.
  getGradient(name: string): Float32Array | null {
    return this.sync(() => this.raw.getGradient(name));
  }

  forward(batch: Batch | MaskBatch, options: ForwardOptions = {}): Promise<ForwardResult> {
    return this.enqueue((): Promise<RawForwardResult> => this.raw.forward(batch, options));
  }

  // forward + loss + backward + global-norm clipping + AdamW, with dropout keyed by (seed, step).
  trainStep(batch: Batch | MaskBatch, labels: Labels, hyper: StepHyper,
    options: PrefixOptions = {}): Promise<{ loss: number; gradNorm: number }> {
    return this.enqueue(() => this.raw.trainStep(batch, labels, hyper, options));
  }

  // forward + loss + backward, adding scale × gradient into the gradient buffers (the first call after an
  // optimizer step starts from zero). For accumulation over k micro-batches, scale = 1/k.
  accumulateGradients(batch: Batch | MaskBatch, labels: Labels,
    options: { scale: number; seed?: number; step?: number } & PrefixOptions): Promise<{ loss: number }> {
    return this.enqueue(() => this.raw.accumulateGradients(batch, labels, options));
  }

  // Clips the accumulated gradient to maxGradNorm and applies one AdamW update; returns the norm before clipping.
  applyOptimizer(hyper: OptimizerHyper): Promise<{ gradNorm: number }> {
    return this.enqueue(() => this.raw.applyOptimizer(hyper));
  }

  // The frozen prefix's output for a batch of ids, without dropout: [batchSize, seqLen, hiddenSize] (padding rows
  // included). Needs trainEmbeddings false and trainableLayers < numHiddenLayers (else ValidationError).
  frozenPrefix(batch: Batch): Promise<Float32Array> {
    return this.enqueue(() => this.raw.frozenPrefix(batch));
  }

  getOptimizerState(): OptimizerState {
    return this.sync(() => this.raw.getOptimizerState());
  }

  setOptimizerState(state: OptimizerState): void {
    this.sync(() => this.raw.setOptimizerState(state));
  }

  // Bytes of native memory the model holds; 0 once disposed.
  nativeBytes(): number {
    return this.disposed ? 0 : this.raw.nativeBytes();
  }

  // Frees the native memory (after a running call finishes). Safe to call more than once; every later call throws
  // DisposedError and queued calls reject with it.
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.raw.dispose();
  }

  // `using model = NativeBert.create(...)` disposes it at the end of the scope.
  [Symbol.dispose](): void {
    this.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private checkOpen(): void {
    if (this.disposed) throw new DisposedError();
  }

  private sync<T>(fn: () => T): T {
    this.checkOpen();
    if (this.inFlight > 0) {
      throw new NativeError('the model is busy with an asynchronous call; await it before calling this method', BUSY);
    }
    try {
      return fn();
    } catch (e) {
      throw fromNative(e);
    }
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    try {
      this.checkOpen();
    } catch (e) {
      return Promise.reject(e);
    }
    this.inFlight++;
    const run = async (): Promise<T> => {
      try {
        this.checkOpen();
        return await fn();
      } catch (e) {
        throw fromNative(e);
      } finally {
        this.inFlight--;
      }
    };
    // An idle model starts the call at once (so dispose() right after it waits for it); otherwise it waits its turn.
    // The queue's tail moves before the call starts: reading its arguments can run JS (a getter) that enqueues
    // another call, which must wait for this one rather than reach the busy native model.
    const previous = this.tail;
    let settled!: () => void;
    this.tail = new Promise<void>((resolve) => { settled = resolve; });
    const result = this.inFlight === 1 ? run() : previous.then(run, run);
    result.then(settled, settled);
    return result;
  }
}

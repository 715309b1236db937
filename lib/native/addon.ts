// The one file that types the native addon (native/addon/*.cpp) exactly as it is exported, and the loader that
// finds it. Nothing here validates: the addon validates everything that crosses N-API and throws errors carrying
// a `code` (see errors.ts in this folder, which maps them onto lib/errors.ts).
import * as path from 'path';
import { NativeError } from '../errors';
import { loadCudaAddon } from './cuda';

// 'cuda' is device 0; 'cuda:N' picks another GPU.
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
// How GEMMs compute: 'fp32' everywhere; 'tf32' only on CUDA; 'bf16' (fp32 master weights) on CUDA and AVX-512 BF16 CPUs;
// 'int8' (CPU, inference only): the encoder's Linear layers in int8 (native/cpu/gemm_int8.h), everything else fp32.
export type Precision = 'fp32' | 'tf32' | 'bf16' | 'int8';
// The task head on the encoder (native/model/heads). 'cls' and 'pooler' are sequence classification on the last
// layer's [CLS] vector or on the tanh pooler (BertForSequenceClassification).
export type Head = 'cls' | 'pooler' | 'token-classification' | 'question-answering' | 'multiple-choice' | 'masked-lm'
  | 'pretraining' | 'embedding';
// Hugging Face's config.problem_type, for the sequence-classification heads.
export type ProblemType = 'single_label_classification' | 'multi_label_classification' | 'regression';

// Labels in the head's layout (native/model/heads/*.cpp say each):
//   cls/pooler single-label: Int32Array [B] class indices; multi-label and regression: Float32Array [B, numLabels];
//   token-classification: Int32Array [B, T] (-100 ignored); question-answering: Int32Array [B, 2] (start, end);
//   multiple-choice: Int32Array [B / numChoices]; masked-lm: Int32Array [B, T] (-100 ignored);
//   pretraining: Int32Array [B*T + B] (masked-LM labels, then next-sentence labels); embedding: none.
export type Labels = Int32Array | Float32Array;

// Head-specific options. numChoices: rows per example of a multiple-choice batch. pooling/normalize: the
// embedding head's pooling ('mean' over the mask, default, or 'cls') and L2 normalisation.
export interface RawHeadOptions {
  head: Head;
  problemType?: ProblemType;
  numChoices?: number;
  pooling?: 'mean' | 'cls';
  normalize?: boolean;
}

// The config object the addon reads (camelCase, as TEAM.md's BertConfig). classifierDropout null → hiddenDropoutProb.
export interface RawConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  classifierDropout: number | null;
  numLabels: number;
  // The word row that gets no gradient from its lookups (nn.Embedding padding_idx); default 0, -1 for none.
  padTokenId?: number;
}

export interface RawOptions extends RawHeadOptions {
  trainableLayers: number;
  trainEmbeddings: boolean;
  device: Device;
  precision: Precision;
}

export interface RawBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
}

// A batch for a call that starts from prefixHidden: attentionMask is read, the ids are not.
export interface RawMaskBatch {
  attentionMask: Int32Array;
  batchSize: number;
  seqLen: number;
  inputIds?: Int32Array;
  tokenTypeIds?: Int32Array;
}

export interface RawForwardOptions {
  // [batchSize, seqLen, hiddenSize] from frozenPrefix: the call runs the trainable layers only.
  prefixHidden?: Float32Array;
  labels?: Labels;
  attentionLayers?: number[];
  outputHiddenStates?: boolean;
  training?: boolean;
  seed?: number;
  step?: number;
}

// `logits` is the head's primary output: [B, numLabels] (sequence classification), [B, T, numLabels] (tokens),
// [B, T, 2] (question answering, also split as startLogits/endLogits [B, T]), [B / numChoices, numChoices],
// [B, T, vocabSize] (masked LM, pre-training; plus seqRelationshipLogits [B, 2]), [B, H] (embedding, also as
// `embeddings`).
export interface RawForwardResult {
  logits: Float32Array;
  startLogits?: Float32Array;
  endLogits?: Float32Array;
  seqRelationshipLogits?: Float32Array;
  embeddings?: Float32Array;
  loss?: number;
  attentions: Float32Array[];
  hiddenStates: Float32Array[];
}

export interface RawHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number;
  seed?: number;
  step?: number;
}

export interface RawOptimizerState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export interface RawModel {
  parameterNames(): string[];
  parameterShape(name: string): number[];
  isTrainable(name: string): boolean;
  setParameter(name: string, data: Float32Array): void;
  getParameter(name: string): Float32Array;
  getGradient(name: string): Float32Array | null;
  forward(batch: RawBatch | RawMaskBatch, options: RawForwardOptions): Promise<RawForwardResult>;
  trainStep(batch: RawBatch | RawMaskBatch, labels: Labels, hyper: RawHyper,
    options?: { prefixHidden?: Float32Array }): Promise<{ loss: number; gradNorm: number }>;
  accumulateGradients(batch: RawBatch | RawMaskBatch, labels: Labels,
    options: { scale: number; seed?: number; step?: number; prefixHidden?: Float32Array }): Promise<{ loss: number }>;
  applyOptimizer(hyper: RawHyper): Promise<{ gradNorm: number }>;
  // [batchSize, seqLen, hiddenSize]: the eval-mode input of the first trainable layer.
  frozenPrefix(batch: RawBatch): Promise<Float32Array>;
  getOptimizerState(): RawOptimizerState;
  setOptimizerState(state: RawOptimizerState): void;
  // Bytes of native memory this model holds (parameters, gradients, moments, the largest call's activations so far,
  // inference copies of the weights), as of the last call that finished; 0 after dispose.
  nativeBytes(): number;
  dispose(): void;
}

export interface RawParameterInfo {
  name: string;
  shape: number[];
  trainable: boolean;
}

export interface RawAddon {
  BertModel: new (config: RawConfig, options: RawOptions) => RawModel;
  // The parameters (Hugging Face names, state-dict order) a model with these options declares, without one.
  parameterCatalogue(config: RawConfig,
    options: RawHeadOptions & { trainableLayers: number; trainEmbeddings: boolean }): RawParameterInfo[];
  numThreads(): number;
  // The CPU GEMM kernel family of fp32 ('avx512', 'avx2', 'scalar') or bf16 GEMMs ('amx', 'avx512bf16'; null where
  // there is none): native/cpu/gemm.cpp picks the fastest, BERTNODE_CPU_KERNELS forces one.
  kernels: { gemmActiveIsa(precision?: string): string | null };
}

const packageRoot = path.resolve(__dirname, '..', '..');
let cpuAddon: RawAddon | undefined;

function loadCpuAddon(): RawAddon {
  if (cpuAddon === undefined) {
    try {
      // node-gyp-build finds build/Release/bertnode.node (or a prebuild); the CUDA binary never lives there.
      cpuAddon = require('node-gyp-build')(packageRoot) as RawAddon;
    } catch (e) {
      throw new NativeError(`the bertnode native addon could not be loaded from ${packageRoot} ` +
        `(run \`npm rebuild bertnode\`; in a clone of the repository, \`npm run build\`): ${(e as Error).message}`,
        'ERR_BERTNODE_ADDON_MISSING', { cause: e });
    }
  }
  return cpuAddon;
}

// The addon that runs models on `device`. The CPU addon is the node-gyp build; the CUDA addon is a separate binary
// at its own path, loaded only after a probe has shown it works (./cuda.ts), so this is the one place that choice
// is made.
export function loadBackend(device: Device): RawAddon {
  if (device === 'cpu') return loadCpuAddon();
  // Probed in a child process first; ERR_BERTNODE_NO_CUDA says why when it cannot be used (lib/native/cuda.ts).
  return loadCudaAddon();
}

// The one parameter catalogue (declared by the native modules that own the parameters), read from the CPU addon.
export function parameterCatalogue(config: RawConfig, head: RawHeadOptions): RawParameterInfo[] {
  return loadCpuAddon().parameterCatalogue(config, { ...head, trainableLayers: 0, trainEmbeddings: false });
}


// Which CPU kernels this machine runs for a precision ('avx512', 'avx2' or 'scalar' for fp32; 'amx' or 'avx512bf16'
// for bf16; 'amx', 'avx512vnni' or 'scalar' for int8's Linear layers): each family sums in its own order, so a run continued on another family agrees with the interrupted one
// to float32 rounding, not bit for bit. 'none' for bf16 on a CPU without bf16 products (no model can use it there).
export function cpuKernelFamily(precision = 'fp32'): string {
  return loadCpuAddon().kernels.gemmActiveIsa(precision) ?? 'none';
}

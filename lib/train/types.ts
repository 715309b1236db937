// The shapes the training loop works with. The loop depends on the native engine only through
// `TrainableModel`, the subset of `NativeBert` it calls, so it can be driven (and tested) by any model with
// the same contract.

// One batch in the engine's layout: arrays row-major [batchSize, seqLen]; attentionMask 1 = token, 0 = pad.
export interface EncodedBatch {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  batchSize: number;
  seqLen: number;
}

// Labels in the head's layout (lib/native/addon.ts lists each): class indices [batchSize] for single-label
// classification, floats for multi-label and regression, per-token ids for token tagging and masked LM, ...
export type Labels = Int32Array | Float32Array;

export interface LabeledBatch {
  batch: EncodedBatch;
  /** In the head's layout; [batchSize] class indices for single-label classification. */
  labels: Labels;
  /** The indices of the batch's items in their set, where batches do not run in set order (evaluation, longest first). */
  items?: readonly number[];
}

// AdamW + clipping settings the engine applies in one optimizer update.
export interface OptimizerSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** global-norm clipping; 0 or Infinity = no clipping */
  maxGradNorm: number;
}

export interface StepHyper extends OptimizerSettings {
  lr: number;
  /** dropout masks are keyed by (seed, step) */
  seed: number;
  step: number;
}

// The optimizer state is owned by the engine; the loop only stores and restores it. Any nesting of plain values
// and typed arrays is accepted (the checkpoint writer serialises typed arrays as binary).
export type OptimizerState = unknown;

export interface ForwardOutput {
  /** The head's primary output ([batchSize, numLabels] for sequence classification). */
  logits: Float32Array;
  /** Question answering: [batchSize, seqLen] each. */
  startLogits?: Float32Array;
  endLogits?: Float32Array;
  /** Pre-training: next-sentence logits [batchSize, 2]. */
  seqRelationshipLogits?: Float32Array;
  loss?: number;
  attentions?: Float32Array[];
}

// A setting the numbers of a run depend on, as a checkpoint records it (./run-settings.ts): JSON scalars only, so
// a recorded value and the current one compare exactly.
export type RunSettingValue = string | number | boolean | null;
export type RunSettings = Record<string, RunSettingValue>;

export interface TrainableModel {
  /** What the engine contributes to the numbers (device, precision, ...); the loop reads NativeBert's fields itself. */
  runSettings?(): RunSettings;
  parameterNames(): string[];
  isTrainable(name: string): boolean;
  getParameter(name: string): Float32Array;
  setParameter(name: string, data: Float32Array): void;
  forward(
    batch: EncodedBatch,
    options: { labels?: Labels; training?: boolean; seed?: number; step?: number },
  ): Promise<ForwardOutput>;
  trainStep(batch: EncodedBatch, labels: Labels, hyper: StepHyper): Promise<{ loss: number; gradNorm: number }>;
  accumulateGradients(
    batch: EncodedBatch,
    labels: Labels,
    options: { scale: number; seed: number; step: number },
  ): Promise<{ loss: number }>;
  applyOptimizer(hyper: StepHyper): Promise<{ gradNorm: number }>;
  getOptimizerState(): OptimizerState;
  setOptimizerState(state: OptimizerState): void;
}

// Training batches, deterministic in (epoch, index): the order of an epoch is a function of the run's seed and
// the epoch number only, so a resumed run that asks for (epoch, index) gets exactly the batch the interrupted run
// would have seen.
export interface TrainingBatches {
  readonly numExamples: number;
  /** What the data contributes to the numbers: batch size, padding, order, a digest of the examples. */
  runSettings?(): RunSettings;
  batchesPerEpoch(): number;
  batch(epoch: number, index: number): LabeledBatch;
}

// Evaluation batches, in a fixed order.
export interface EvaluationBatches {
  readonly numExamples: number;
  runSettings?(): RunSettings;
  numBatches(): number;
  batch(index: number): LabeledBatch;
}

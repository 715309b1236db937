// Reader for the task-head fixtures written by scripts/golden/generate_heads.py (test/fixtures/golden/heads/).
import * as path from 'path';
import type { Batch, BertConfig, HeadOptions, Labels } from '../../../lib/native';
import { GOLDEN_DIR, TensorFile } from './golden';

interface HeadBatchRef {
  batchSize: number;
  seqLen: number;
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string;
  labels?: string;
}

export interface HeadFixture {
  name: string;
  options: HeadOptions;
  config: BertConfig;
  parameters: Record<string, string>;
  batches: HeadBatchRef[];
  outputs: Record<string, string>;
  loss?: number;
  gradients?: Record<string, string>;
  steps?: { loss: number; gradNorm: number }[];
  paramsAfterSteps?: Record<string, string>;
}

interface HeadsManifest {
  version: number;
  hyper: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; maxGradNorm: number };
  fixtures: HeadFixture[];
  tensors: Record<string, { dtype: 'f32' | 'i32'; shape: number[]; offset: number }>;
}

export class HeadsGolden extends TensorFile<HeadsManifest> {
  constructor() {
    super(path.join(GOLDEN_DIR, 'heads'), 'heads.bin');
  }

  batch(fixture: HeadFixture, index: number): { batch: Batch; labels?: Labels } {
    const b = fixture.batches[index];
    const batch = {
      inputIds: this.i32(b.inputIds), attentionMask: this.i32(b.attentionMask), tokenTypeIds: this.i32(b.tokenTypeIds),
      batchSize: b.batchSize, seqLen: b.seqLen,
    };
    if (b.labels === undefined) return { batch };
    const isFloat = this.manifest.tensors[b.labels].dtype === 'f32';
    return { batch, labels: isFloat ? this.f32(b.labels) : this.i32(b.labels) };
  }
}

// Gradients that are exactly 0 by symmetry hold only rounding noise on both sides, so they are checked to be that
// small (ZERO_GRADIENT_NOISE) instead of compared: the key bias (softmax ignores a per-row shift), in question
// answering the qa_outputs bias and the last layer's output LayerNorm bias (each shifts every start/end logit of a
// row alike, which the softmax over the row's tokens ignores), and in multiple choice the classifier bias (it
// shifts every choice's logit alike). The fixture's expected values must be that small too.
export const ZERO_GRADIENT_NOISE = 1e-7;
export function isZeroBySymmetry(fixture: HeadFixture, name: string): boolean {
  if (name.endsWith('attention.self.key.bias')) return true;
  if (fixture.options.head === 'question-answering') {
    return name === 'qa_outputs.bias' || name === 'bert.encoder.layer.1.output.LayerNorm.bias';
  }
  return fixture.options.head === 'multiple-choice' && name === 'classifier.bias';
}

// After `steps` AdamW updates of a noise-only gradient, Adam's normalised step m/(sqrt(v)+eps) is at most ~1 in
// magnitude, so such a parameter moves by at most lr per step (these are biases: no weight decay) on each side, in
// directions set by the noise. The check: it stayed within steps * lr of where it started.
export function withinNoiseSteps(after: Float32Array, initial: Float32Array, steps: number, lr: number): boolean {
  return after.every((v, i) => Math.abs(v - initial[i]) <= steps * lr * 1.001);
}

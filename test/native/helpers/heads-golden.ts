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

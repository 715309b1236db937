// Reader for the golden fixtures written by scripts/golden/generate_golden.py and generate_minilm.py (format
// version 1: manifest.json with a tensor table {dtype, shape, byte offset} into one little-endian .bin file).
import * as fs from 'fs';
import * as path from 'path';
import type { Batch, BertConfig } from '../../../lib/native';

export const GOLDEN_DIR = path.join(__dirname, '..', '..', 'fixtures', 'golden');

interface TensorRef {
  dtype: 'f32' | 'i32';
  shape: number[];
  offset: number;
}

export interface BatchRef {
  batchSize: number;
  seqLen: number;
  inputIds: string;
  attentionMask: string;
  tokenTypeIds: string;
  labels: string;
}

export interface FixtureRecord {
  name: string;
  head: 'cls' | 'pooler';
  trainableLayers: number;
  trainEmbeddings: boolean;
  trainable: string[];
  embeddings: string;
  hiddenStates: string[];
  attentions: string[];
  logits: string;
  loss: number;
  gradients: Record<string, string>;
  steps: { loss: number; gradNorm: number }[];
  paramsAfterSteps: Record<string, string>;
}

export interface GoldenManifest {
  version: number;
  torch: string;
  transformers: string;
  config: BertConfig;
  hyper: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; maxGradNorm: number };
  parameters: Record<string, string>;
  batches: BatchRef[];
  fixtures: FixtureRecord[];
  tensors: Record<string, TensorRef>;
}

export class TensorFile<M extends { version: number; tensors: Record<string, TensorRef> }> {
  readonly manifest: M;
  private readonly bin: Buffer;

  constructor(dir: string, binName: string) {
    this.manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as M;
    if (this.manifest.version !== 1) throw new Error(`${dir}: unsupported fixture version ${this.manifest.version}`);
    this.bin = fs.readFileSync(path.join(dir, binName));
  }

  shape(key: string): number[] {
    return this.ref(key, this.manifest.tensors[key]?.dtype ?? 'f32').shape;
  }

  f32(key: string): Float32Array {
    const ref = this.ref(key, 'f32');
    return new Float32Array(this.bytes(ref));
  }

  i32(key: string): Int32Array {
    const ref = this.ref(key, 'i32');
    return new Int32Array(this.bytes(ref));
  }

  private ref(key: string, dtype: 'f32' | 'i32'): TensorRef {
    const ref = this.manifest.tensors[key];
    if (ref === undefined) throw new Error(`fixture tensor '${key}' is missing`);
    if (ref.dtype !== dtype) throw new Error(`fixture tensor '${key}' is ${ref.dtype}, not ${dtype}`);
    return ref;
  }

  // A copy, so the typed array is aligned and owns its memory.
  private bytes(ref: TensorRef): ArrayBuffer {
    const n = ref.shape.reduce((a, b) => a * b, 1) * 4;
    const out = new ArrayBuffer(n);
    new Uint8Array(out).set(this.bin.subarray(ref.offset, ref.offset + n));
    return out;
  }
}

export class Golden extends TensorFile<GoldenManifest> {
  constructor() {
    super(GOLDEN_DIR, 'golden.bin');
  }

  batch(index: number): { batch: Batch; labels: Int32Array } {
    const b = this.manifest.batches[index];
    return {
      batch: {
        inputIds: this.i32(b.inputIds), attentionMask: this.i32(b.attentionMask), tokenTypeIds: this.i32(b.tokenTypeIds),
        batchSize: b.batchSize, seqLen: b.seqLen,
      },
      labels: this.i32(b.labels),
    };
  }

  initialParameter(name: string): Float32Array {
    return this.f32(this.manifest.parameters[name]);
  }
}

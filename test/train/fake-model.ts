// A small pure-TypeScript model with the TrainableModel contract, for testing the loop without the native engine:
// softmax regression on the mean one-hot vector of the real tokens, with "dropout" on the features keyed by
// (seed, step) like the engine's, AdamW with global-norm clipping and bias correction, and a frozen parameter.
import { BatchLoader, EncodedDataset } from '../../lib/data';
import { EncodedBatch, StepHyper, TrainableModel } from '../../lib/train';

function hashUnit(seed: number, step: number, j: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35) ^ Math.imul(j + 7, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

export class FakeModel implements TrainableModel {
  readonly params = new Map<string, Float32Array>();
  private grads = new Map<string, Float64Array>();
  private m = new Map<string, Float32Array>();
  private v = new Map<string, Float32Array>();
  private updates = 0;
  calls = 0;

  constructor(readonly vocab: number, readonly labels: number, readonly dropout = 0.1) {
    const w = new Float32Array(labels * vocab);
    for (let i = 0; i < w.length; i++) w[i] = (hashUnit(42, 0, i) - 0.5) * 0.02;
    this.params.set('classifier.weight', w);
    this.params.set('classifier.bias', new Float32Array(labels));
    this.params.set('bert.frozen.weight', Float32Array.from({ length: 4 }, (_, i) => i));
    for (const n of ['classifier.weight', 'classifier.bias']) {
      this.m.set(n, new Float32Array(this.params.get(n)!.length));
      this.v.set(n, new Float32Array(this.params.get(n)!.length));
    }
  }

  parameterNames(): string[] { return [...this.params.keys()]; }
  isTrainable(name: string): boolean { return name.startsWith('classifier.'); }
  getParameter(name: string): Float32Array { return Float32Array.from(this.params.get(name)!); }
  setParameter(name: string, data: Float32Array): void { this.params.get(name)!.set(data); }

  private features(batch: EncodedBatch, b: number, training: boolean, seed: number, step: number): Float64Array {
    const f = new Float64Array(this.vocab);
    let n = 0;
    for (let t = 0; t < batch.seqLen; t++) {
      if (!batch.attentionMask[b * batch.seqLen + t]) continue;
      f[batch.inputIds[b * batch.seqLen + t]] += 1;
      n++;
    }
    for (let j = 0; j < this.vocab; j++) {
      f[j] /= n;
      if (training) f[j] = hashUnit(seed, step, b * this.vocab + j) < this.dropout ? 0 : f[j] / (1 - this.dropout);
    }
    return f;
  }

  private run(batch: EncodedBatch, labels: Int32Array | undefined, training: boolean, seed: number, step: number, scale: number) {
    const W = this.params.get('classifier.weight')!;
    const bias = this.params.get('classifier.bias')!;
    const logits = new Float32Array(batch.batchSize * this.labels);
    let loss = 0;
    for (let b = 0; b < batch.batchSize; b++) {
      const f = this.features(batch, b, training, seed, step);
      const z = Array.from({ length: this.labels }, (_, k) => {
        let s = bias[k];
        for (let j = 0; j < this.vocab; j++) s += W[k * this.vocab + j] * f[j];
        return s;
      });
      z.forEach((v, k) => (logits[b * this.labels + k] = v));
      if (!labels) continue;
      const max = Math.max(...z);
      const e = z.map((v) => Math.exp(v - max));
      const sum = e.reduce((a, c) => a + c, 0);
      loss += -Math.log(e[labels[b]] / sum) / batch.batchSize;
      if (scale === 0) continue;
      const gW = this.grads.get('classifier.weight')!;
      const gb = this.grads.get('classifier.bias')!;
      for (let k = 0; k < this.labels; k++) {
        const d = ((e[k] / sum - (k === labels[b] ? 1 : 0)) / batch.batchSize) * scale;
        gb[k] += d;
        for (let j = 0; j < this.vocab; j++) gW[k * this.vocab + j] += d * f[j];
      }
    }
    return { logits, loss: labels ? loss : undefined };
  }

  private ensureGrads(): void {
    if (this.grads.size) return;
    for (const n of ['classifier.weight', 'classifier.bias']) this.grads.set(n, new Float64Array(this.params.get(n)!.length));
  }

  async forward(batch: EncodedBatch, o: { labels?: Int32Array; training?: boolean; seed?: number; step?: number }) {
    this.calls++;
    return this.run(batch, o.labels, o.training ?? false, o.seed ?? 0, o.step ?? 0, 0);
  }

  async accumulateGradients(batch: EncodedBatch, labels: Int32Array, o: { scale: number; seed: number; step: number }) {
    this.calls++;
    this.ensureGrads();
    return { loss: this.run(batch, labels, true, o.seed, o.step, o.scale).loss! };
  }

  async applyOptimizer(h: StepHyper) {
    let sq = 0;
    for (const g of this.grads.values()) for (const x of g) sq += x * x;
    const gradNorm = Math.sqrt(sq);
    const clip = h.maxGradNorm > 0 && gradNorm > h.maxGradNorm ? h.maxGradNorm / (gradNorm + 1e-6) : 1;
    this.updates++;
    for (const [n, g] of this.grads) {
      const p = this.params.get(n)!;
      const m = this.m.get(n)!;
      const v = this.v.get(n)!;
      const decay = n.endsWith('.bias') ? 0 : h.weightDecay;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * clip;
        m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
        v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
        const mh = m[i] / (1 - h.beta1 ** this.updates);
        const vh = v[i] / (1 - h.beta2 ** this.updates);
        p[i] = p[i] * (1 - h.lr * decay) - (h.lr * mh) / (Math.sqrt(vh) + h.eps);
      }
    }
    this.grads.clear();
    return { gradNorm };
  }

  async trainStep(batch: EncodedBatch, labels: Int32Array, h: StepHyper) {
    const { loss } = await this.accumulateGradients(batch, labels, { scale: 1, seed: h.seed, step: h.step });
    this.calls--;
    const { gradNorm } = await this.applyOptimizer(h);
    return { loss, gradNorm };
  }

  getOptimizerState() {
    return { step: this.updates, m: new Map(this.m), v: new Map(this.v) };
  }

  setOptimizerState(state: unknown): void {
    const s = state as { step: number; m: Map<string, Float32Array>; v: Map<string, Float32Array> };
    this.updates = s.step;
    for (const [n, a] of s.m) this.m.get(n)!.set(a);
    for (const [n, a] of s.v) this.v.get(n)!.set(a);
  }
}

// Examples with a learnable signal: label 1 texts contain token 3 ("great"), label 0 texts token 4 ("awful"),
// tokenised already, as lib/data's encodeExamples leaves them.
export function syntheticExamples(n: number, vocab = 12, seed = 7): EncodedDataset {
  const out: { inputIds: Int32Array; label: number }[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const len = 4 + Math.floor(hashUnit(seed, i, 0) * 8);
    const ids = [1];
    for (let t = 0; t < len; t++) ids.push(5 + Math.floor(hashUnit(seed, i, t + 1) * (vocab - 5)));
    ids.splice(1 + Math.floor(hashUnit(seed, i, 99) * len), 0, label ? 3 : 4);
    ids.push(2);
    out.push({ inputIds: Int32Array.from(ids), label });
  }
  const offsets = new Int32Array(n + 1);
  out.forEach((e, i) => (offsets[i + 1] = offsets[i] + e.inputIds.length));
  const tokens = new Int32Array(offsets[n]);
  out.forEach((e, i) => tokens.set(e.inputIds, offsets[i]));
  const maxLength = Math.max(...out.map((e) => e.inputIds.length));
  return { tokens, tokenTypes: new Uint8Array(offsets[n]), offsets, labels: Int32Array.from(out.map((e) => e.label)), maxLength, size: n };
}

export const loader = (dataset: EncodedDataset, batchSize: number, seed?: number) =>
  new BatchLoader(dataset, { batchSize, shuffle: seed !== undefined, seed });

// A tiny BERT (2 layers, hidden 64) with seeded parameters and one padded batch, shared by the CUDA model tests.
import type { Batch, BertConfig, NativeBert } from '../../lib/native/native-bert';
import { generator, randomInts } from './cuda-env';

export const config: BertConfig = {
  vocabSize: 97,
  hiddenSize: 64,
  numHiddenLayers: 2,
  numAttentionHeads: 4,
  intermediateSize: 128,
  maxPositionEmbeddings: 32,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  classifierDropout: null,
  numLabels: 3,
};

// A batch of rows with `lengths` real tokens each, padded to T: seeded random ids, the second half of each row's
// real tokens sentence B (token type 1), padding id 0, type 0, mask 0.
export function paddedBatch(lengths: readonly number[], T: number, seed: number): Batch {
  const B = lengths.length;
  const inputIds = randomInts(B * T, config.vocabSize, seed);
  const attentionMask = new Int32Array(B * T);
  const tokenTypeIds = new Int32Array(B * T);
  for (let b = 0; b < B; ++b) {
    for (let t = 0; t < T; ++t) {
      const real = t < lengths[b];
      attentionMask[b * T + t] = real ? 1 : 0;
      tokenTypeIds[b * T + t] = real && t >= lengths[b] / 2 ? 1 : 0;
      if (!real) inputIds[b * T + t] = 0;
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, batchSize: B, seqLen: T };
}

// Rows of 16, 11, 5 and 16 real tokens.
export function batch(): Batch {
  return paddedBatch([16, 11, 5, 16], 16, 7);
}

// The key bias adds q.b_k to every score of a query row, a shift softmax ignores: its exact gradient is 0.
export const isKeyBias = (name: string): boolean => name.endsWith('attention.self.key.bias');

export const labels = new Int32Array([0, 2, 1, 2]);

// Hugging Face-like initialisation, seeded per parameter: weights ~ U(-0.05, 0.05), LayerNorm weights near 1,
// biases small but non-zero (so their gradients and updates are exercised).
export function initialise(model: NativeBert): void {
  model.parameterNames().forEach((name, index) => {
    const count = model.parameterShape(name).reduce((a, b) => a * b, 1);
    const next = generator(1000 + index);
    const data = new Float32Array(count);
    const isLayerNormWeight = name.includes('LayerNorm') && name.endsWith('weight');
    for (let i = 0; i < count; ++i) {
      const u = 2 * next() - 1;
      data[i] = isLayerNormWeight ? 1 + 0.1 * u : name.endsWith('bias') ? 0.02 * u : 0.05 * u;
    }
    model.setParameter(name, data);
  });
}

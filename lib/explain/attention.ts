// The [CLS] row of a layer's attention probabilities, as the classic notebook showed it, without its two mistakes:
// it normalised the attention tensor in place (corrupting it for any later use) and it let padding positions into
// the maximum and the picture. Here the input is never written to, padding is dropped before anything is computed,
// and each head is divided by its own maximum over the real tokens.

import { TrainingOptionsError } from '../errors';

export interface AttentionShape {
  batchSize: number;
  numHeads: number;
  seqLen: number;
}

export interface ClsAttention {
  /** sequence positions of the real (unpadded) tokens, in order */
  positions: number[];
  /** Per head, per real token: the attention probability from [CLS] to the token. */
  raw: number[][];
  /** Per head, per real token: `raw` divided by the head's max over real tokens (max = 1). */
  heads: number[][];
  /** Per real token: the mean of the heads' raw probabilities, divided by its max (max = 1). */
  combined: number[];
}

// Divides by the maximum (all zeros stay zeros); never writes to its input.
export function normaliseByMax(values: readonly number[]): number[] {
  const max = values.reduce((m, v) => Math.max(m, v), 0);
  return values.map((v) => (max > 0 ? v / max : 0));
}

// layer: one layer's attention probabilities [B, H, T, T]; mask: the batch's attention mask [B, T] (1 = token).
export function clsAttention(layer: Float32Array, shape: AttentionShape, mask: Int32Array, batchIndex: number): ClsAttention {
  const { batchSize, numHeads, seqLen } = shape;
  if (layer.length !== batchSize * numHeads * seqLen * seqLen) {
    throw new TrainingOptionsError(`attention has ${layer.length} values, expected ${batchSize}x${numHeads}x${seqLen}x${seqLen}`);
  }
  if (mask.length !== batchSize * seqLen) throw new TrainingOptionsError(`mask has ${mask.length} values, expected ${batchSize}x${seqLen}`);
  if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= batchSize) {
    throw new TrainingOptionsError(`batch index ${batchIndex} out of range 0..${batchSize - 1}`);
  }
  const positions: number[] = [];
  for (let t = 0; t < seqLen; t++) if (mask[batchIndex * seqLen + t] === 1) positions.push(t);
  const raw: number[][] = [];
  for (let h = 0; h < numHeads; h++) {
    const clsRow = ((batchIndex * numHeads + h) * seqLen + 0) * seqLen; // query position 0 is [CLS]
    raw.push(positions.map((t) => layer[clsRow + t]));
  }
  const mean = positions.map((_, i) => raw.reduce((s, head) => s + head[i], 0) / numHeads);
  return { positions, raw, heads: raw.map(normaliseByMax), combined: normaliseByMax(mean) };
}

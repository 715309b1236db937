// 'feature-extraction': the encoder's last hidden state, per token ('none') or pooled by the native embedding head
// ('mean' over the attention mask, or the [CLS] vector), optionally L2-normalised — transformers.js' options.

import { InputError } from '../errors';
import { checkOptions, ofType, oneOf } from '../train/option-check';
import { forwardRows } from './batches';
import type { PipelineModel } from './load';

export interface FeatureExtractionOptions {
  /** 'none' (default): a vector per token; 'mean': mean over the tokens; 'cls': the [CLS] vector. */
  pooling?: 'none' | 'mean' | 'cls';
  /** L2-normalise each vector (default false). */
  normalize?: boolean;
}

/** Row-major values and their dimensions: [texts, hidden] when pooled, [texts, tokens, hidden] (padded) when not. */
export interface Features {
  data: Float32Array;
  dims: number[];
  /** The values as nested arrays, shaped by dims. */
  tolist(): number[][] | number[][][];
}

export const FEATURE_OPTIONS = { pooling: oneOf('none', 'mean', 'cls'), normalize: ofType('boolean') };

// The model runs the native embedding head with mean pooling (lib/pipeline/load.ts), whose output is the 'mean'
// vector; 'cls' and 'none' read the last hidden state (the engine returns every layer's output when asked for
// hidden states, the last is read). Normalisation is per call, so it is applied here.
export async function extractFeatures(loaded: PipelineModel, batchSize: number, input: string | readonly string[],
  options: FeatureExtractionOptions): Promise<Features> {
  checkOptions('feature-extraction', options, FEATURE_OPTIONS);
  const texts = (Array.isArray(input) ? input : [input]) as string[];
  const rows = texts.map((t, i) => {
    if (typeof t !== 'string') throw new InputError(`feature-extraction: input ${i} is not a string`, i);
    return loaded.tokenizer.encode(t, undefined, { maxLength: loaded.maxLength, truncation: true });
  });
  const hidden = loaded.config.hiddenSize;
  const pooling = options.pooling ?? 'none';
  // Per token, every row is padded to the longest text, as transformers.js pads a batch.
  const seqLen = pooling === 'none' ? Math.max(...rows.map((r) => r.inputIds.length)) : 1;
  const data = new Float32Array(texts.length * seqLen * hidden);
  await forwardRows(loaded.model, rows, batchSize, loaded.tokenizer.padTokenId(), ({ result, indexInBatch, seqLen: batchLen }, row) => {
    const last = result.hiddenStates[result.hiddenStates.length - 1];
    const first = indexInBatch * batchLen * hidden;
    const length = pooling === 'none' ? rows[row].inputIds.length : 1;
    const values = pooling === 'mean' ? result.logits.slice(indexInBatch * hidden, (indexInBatch + 1) * hidden)
      : last.slice(first, first + length * hidden);
    if (options.normalize) for (let t = 0; t < length; t++) l2Normalise(values.subarray(t * hidden, (t + 1) * hidden));
    data.set(values, row * seqLen * hidden);
  }, { outputHiddenStates: pooling !== 'mean' });
  return features(data, pooling === 'none' ? [texts.length, seqLen, hidden] : [texts.length, hidden]);
}

// torch.nn.functional.normalize's rule: divide by max(norm, 1e-12).
function l2Normalise(v: Float32Array): void {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] /= norm;
}

function features(data: Float32Array, dims: number[]): Features {
  return {
    data,
    dims,
    tolist() {
      const rows = (flat: Float32Array, width: number): number[][] =>
        Array.from({ length: flat.length / width }, (_, r) => Array.from(flat.subarray(r * width, (r + 1) * width)));
      const width = dims[dims.length - 1];
      if (dims.length === 2) return rows(data, width);
      const perText = dims[1] * width;
      return Array.from({ length: dims[0] }, (_, b) => rows(data.subarray(b * perText, (b + 1) * perText), width));
    },
  };
}

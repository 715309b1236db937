// Tokenise a dataset once and keep the ids packed, so every epoch (and every resumed run) batches from the same
// cache instead of re-tokenising. Memory: 4 bytes per token + 1 per token type, one offset per example.

import { ValidationError } from '../errors';
import type { Example, TokenizerLike } from './types';

export interface EncodedDataset {
  // Token ids of all examples back to back; example i is tokens[offsets[i] .. offsets[i+1]).
  tokens: Int32Array;
  tokenTypes: Uint8Array;
  offsets: Int32Array;
  labels: Int32Array;
  // The longest example may reach this many tokens (the truncation length used when encoding).
  maxLength: number;
  readonly size: number;
}

export interface EncodeOptions {
  // Truncation length, [CLS] and [SEP] included. The classic recipe: 256.
  maxLength: number;
}

export function encodeExamples(examples: readonly Example[], tokenizer: TokenizerLike, options: EncodeOptions): EncodedDataset {
  const { maxLength } = options;
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new ValidationError(`maxLength must be an integer ≥ 2, got ${maxLength}`);
  const ids: ArrayLike<number>[] = [];
  const types: (ArrayLike<number> | undefined)[] = [];
  const lengths = new Int32Array(examples.length);
  const labels = new Int32Array(examples.length);
  examples.forEach((example, i) => {
    const encoding = tokenizer.encode(example.text, example.textPair, { maxLength, truncation: true });
    const length = unpaddedLength(encoding.inputIds.length, encoding.attentionMask);
    if (length > maxLength) {
      throw new ValidationError(`the tokenizer returned ${length} tokens for example ${example.id}, more than maxLength ${maxLength}`);
    }
    ids.push(encoding.inputIds);
    types.push(encoding.tokenTypeIds);
    lengths[i] = length;
    labels[i] = example.label;
  });
  const offsets = new Int32Array(examples.length + 1);
  for (let i = 0; i < examples.length; i++) offsets[i + 1] = offsets[i] + lengths[i];
  const tokens = new Int32Array(offsets[examples.length]);
  const tokenTypes = new Uint8Array(offsets[examples.length]);
  for (let i = 0; i < examples.length; i++) {
    const start = offsets[i];
    const source = ids[i];
    const typeSource = types[i];
    for (let k = 0; k < lengths[i]; k++) {
      tokens[start + k] = source[k];
      tokenTypes[start + k] = typeSource ? typeSource[k] : 0;
    }
  }
  return { tokens, tokenTypes, offsets, labels, maxLength, size: examples.length };
}

// A tokenizer that pads anyway marks the padding with attention 0 at the end; those positions are dropped.
function unpaddedLength(length: number, mask: ArrayLike<number> | undefined): number {
  if (!mask) return length;
  let end = length;
  while (end > 0 && mask[end - 1] === 0) end--;
  return end;
}

export function exampleLength(dataset: EncodedDataset, index: number): number {
  return dataset.offsets[index + 1] - dataset.offsets[index];
}

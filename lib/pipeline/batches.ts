// Runs encoded rows through the engine batchSize at a time, each batch padded to its longest row, and hands back
// every row's slice of the outputs.

import type { ForwardResult, NativeBert } from '../native';

export interface Row {
  inputIds: readonly number[];
  tokenTypeIds: readonly number[];
}

export interface RowOutput {
  result: ForwardResult;
  // The row's place in its batch and the batch's padded length: outputs are [batchSize, seqLen, …].
  indexInBatch: number;
  seqLen: number;
}

export async function forwardRows<T>(model: NativeBert, rows: readonly Row[], batchSize: number, padId: number,
  read: (out: RowOutput, row: number) => T, options: { outputHiddenStates?: boolean } = {}): Promise<T[]> {
  const results: T[] = [];
  for (let first = 0; first < rows.length; first += batchSize) {
    const chunk = rows.slice(first, first + batchSize);
    const seqLen = Math.max(...chunk.map((r) => r.inputIds.length));
    const inputIds = new Int32Array(chunk.length * seqLen).fill(padId);
    const tokenTypeIds = new Int32Array(chunk.length * seqLen);
    const attentionMask = new Int32Array(chunk.length * seqLen);
    chunk.forEach((r, b) => {
      inputIds.set(r.inputIds, b * seqLen);
      tokenTypeIds.set(r.tokenTypeIds, b * seqLen);
      attentionMask.fill(1, b * seqLen, b * seqLen + r.inputIds.length);
    });
    const result = await model.forward({ inputIds, tokenTypeIds, attentionMask, batchSize: chunk.length, seqLen },
      { training: false, outputHiddenStates: options.outputHiddenStates });
    chunk.forEach((_, b) => results.push(read({ result, indexInBatch: b, seqLen }, first + b)));
  }
  return results;
}

export function softmax(values: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

// Indices of the k largest values, largest first (ties by index, as a stable sort gives).
export function topIndices(values: readonly number[], k: number): number[] {
  return [...values.keys()].sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
}

// Padding: unpadded rows (ids and token types back to back) -> the engine's batch layout, row-major
// [batchSize, seqLen] Int32Arrays with attention mask 1 on tokens and 0 on padding.

import type { Batch } from '../data/types';
import type { IntBuffer } from './intBuffer';

/** Rows i = ids[starts[i], starts[i+1]) of an encoded batch, before padding. */
export interface UnpaddedRows {
  ids: IntBuffer;
  types: IntBuffer;
  starts: Int32Array;
}

/**
 * Pads every row to `seqLen` (or, when null, to the longest row) with `padId()`, asked only if some row needs
 * padding (so a tokenizer without a pad token can still encode batches of equal lengths).
 */
export function padRows(rows: UnpaddedRows, batchSize: number, seqLen: number | null, padId: () => number): Batch {
  let len = 0;
  for (let r = 0; r < batchSize; r++) len = Math.max(len, rows.starts[r + 1] - rows.starts[r]);
  const width = seqLen ?? len;
  const inputIds = new Int32Array(batchSize * width);
  const tokenTypeIds = new Int32Array(batchSize * width);
  const attentionMask = new Int32Array(batchSize * width);
  let pad = -1;
  for (let r = 0; r < batchSize; r++) {
    const start = rows.starts[r];
    const n = rows.starts[r + 1] - start;
    const at = r * width;
    inputIds.set(rows.ids.data.subarray(start, start + n), at);
    tokenTypeIds.set(rows.types.data.subarray(start, start + n), at);
    attentionMask.fill(1, at, at + n);
    if (n < width) {
      if (pad < 0) pad = padId();
      inputIds.fill(pad, at + n, at + width);
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen: width };
}

// The frozen-layer cache (lib/train/frozen-cache.ts) for the task classes: with frozen embeddings and the first
// layers frozen, each item's rows go through those layers once; batches then carry their output (prefixHidden)
// and the loop trains the last layers and the head from it (lib/train/frozen-training.ts's FrozenCacheModel).
// It applies where an item's inputs are the same in every batch (not masked LM, whose masks change).

import type { EncodedDataset } from '../data';
import type { NativeBert } from '../native';
import { FrozenCache, type FrozenCacheOptions } from '../train/frozen-cache';
import { rowLengths, type PrefixOf, type TaskItems } from './task-batches';

export interface ItemCache {
  prefix: PrefixOf;
  close(): void;
}

// Every item's rows (one, or k for multiple choice) as lib/data's encoded dataset, padding stripped: collating an
// item alone gives exactly its rows.
function itemRows<T>({ items, collate }: TaskItems<T>): { dataset: EncodedDataset; firstRow: Int32Array } {
  const tokens: number[] = [];
  const types: number[] = [];
  const offsets = [0];
  const firstRow = new Int32Array(items.length + 1);
  let maxLength = 0;
  items.forEach((item, i) => {
    const { batch } = collate([item], 0);
    rowLengths(batch).forEach((length, r) => {
      for (let t = 0; t < length; t++) {
        tokens.push(batch.inputIds[r * batch.seqLen + t]);
        types.push(batch.tokenTypeIds[r * batch.seqLen + t]);
      }
      offsets.push(offsets[offsets.length - 1] + length);
      maxLength = Math.max(maxLength, length);
    });
    firstRow[i + 1] = firstRow[i] + batch.batchSize;
  });
  const size = offsets.length - 1;
  return {
    dataset: { tokens: Int32Array.from(tokens), tokenTypes: Uint8Array.from(types), offsets: Int32Array.from(offsets), labels: new Int32Array(size), maxLength, size },
    firstRow,
  };
}

export async function buildItemCache<T>(model: NativeBert, set: TaskItems<T>, options: FrozenCacheOptions): Promise<ItemCache> {
  const { dataset, firstRow } = itemRows(set);
  const ids = Array.from({ length: dataset.size }, (_, i) => `${set.digest}/${i}`);
  const cache = await FrozenCache.build(model, dataset, ids, options);
  return {
    prefix: (itemIndices, seqLen) => {
      const rows: number[] = [];
      for (const i of itemIndices) for (let r = firstRow[i]; r < firstRow[i + 1]; r++) rows.push(r);
      return cache.assemble(rows, seqLen);
    },
    close: () => cache.close(),
  };
}

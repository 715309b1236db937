import { ValidationError } from '../../lib/errors';
import type { Batch as NativeBatch } from '../../lib/native';
import type { EvaluationBatches, TrainingBatches } from '../../lib/train';
import { BatchLoader, encodeExamples, evaluationBatches, exampleLength, inferenceBatches, type EncodingLike, type Example, type LoadedBatch, type TokenizerLike } from '../../lib/data';

// A stand-in tokenizer: one id per word (1000 + word length), [CLS]=101 / [SEP]=102, pairs with token types,
// truncation by dropping words from the longer side. Optionally pads to maxLength like a tokenizer asked to pad.
function wordTokenizer(padToMax = false): TokenizerLike {
  return {
    encode(text: string, pair?: string, options?: { maxLength?: number }): EncodingLike {
      const max = options?.maxLength ?? 512;
      const a = text.split(' ').map((w) => 1000 + w.length);
      const b = pair === undefined ? [] : pair.split(' ').map((w) => 1000 + w.length);
      const special = pair === undefined ? 2 : 3;
      while (a.length + b.length + special > max) (a.length >= b.length ? a : b).pop();
      const inputIds = pair === undefined ? [101, ...a, 102] : [101, ...a, 102, ...b, 102];
      const tokenTypeIds = inputIds.map((_, k) => (k >= a.length + 2 ? 1 : 0));
      const attentionMask = inputIds.map(() => 1);
      if (padToMax) while (inputIds.length < max) inputIds.push(0), tokenTypeIds.push(0), attentionMask.push(0);
      return { inputIds: Int32Array.from(inputIds), tokenTypeIds, attentionMask };
    },
  };
}

// Example i has i % 13 + 1 words, so lengths vary and repeat.
const examples: Example[] = Array.from({ length: 103 }, (_, i) => ({
  id: String(i),
  text: Array.from({ length: (i % 13) + 1 }, (_, k) => 'w'.repeat(((i + k) % 5) + 1)).join(' '),
  label: i % 2,
  source: 'test',
}));

function collect(loader: BatchLoader, from = { epoch: 0, batchIndex: 0 }, endEpoch = 3): LoadedBatch[] {
  return [...loader.batches(from, endEpoch)];
}

describe('encodeExamples', () => {
  it('packs ids once, truncating to maxLength and stripping a tokenizer’s own padding', () => {
    const dataset = encodeExamples(examples, wordTokenizer(), { maxLength: 8 });
    const padded = encodeExamples(examples, wordTokenizer(true), { maxLength: 8 });
    expect(padded.tokens).toEqual(dataset.tokens);
    expect(padded.offsets).toEqual(dataset.offsets);
    expect(dataset.size).toBe(103);
    expect(exampleLength(dataset, 0)).toBe(3);
    expect(Math.max(...Array.from({ length: 103 }, (_, i) => exampleLength(dataset, i)))).toBe(8);
    expect(Array.from(dataset.labels.slice(0, 4))).toEqual([0, 1, 0, 1]);
  });

  it('rejects a tokenizer that ignores maxLength', () => {
    const tooLong: TokenizerLike = { encode: () => ({ inputIds: new Array(20).fill(5) }) };
    expect(() => encodeExamples(examples, tooLong, { maxLength: 8 })).toThrow(ValidationError);
  });
});

describe('BatchLoader', () => {
  const dataset = encodeExamples(examples, wordTokenizer(), { maxLength: 16 });

  it('pads to a fixed length (the classic 256) with masks, pad ids and token types', () => {
    const pairs = encodeExamples([{ id: 'p', text: 'a bb', textPair: 'ccc', label: 1, source: 't' }], wordTokenizer(), { maxLength: 256 });
    const loader = new BatchLoader(pairs, { batchSize: 4, padding: 'max_length', maxLength: 256, padTokenId: 0 });
    const [{ batch, labels }] = collect(loader, { epoch: 0, batchIndex: 0 }, 1);
    expect([batch.batchSize, batch.seqLen, batch.inputIds.length]).toEqual([1, 256, 256]);
    expect(Array.from(batch.inputIds.slice(0, 7))).toEqual([101, 1001, 1002, 102, 1003, 102, 0]);
    expect(Array.from(batch.tokenTypeIds.slice(0, 7))).toEqual([0, 0, 0, 0, 1, 1, 0]);
    expect(Array.from(batch.attentionMask.slice(0, 7))).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(batch.attentionMask.reduce((s, v) => s + v, 0)).toBe(6);
    expect(Array.from(labels)).toEqual([1]);
  });

  it('pads dynamically to the longest row; rows are the examples in order without shuffling', () => {
    const loader = new BatchLoader(dataset, { batchSize: 10 });
    const batches = collect(loader, { epoch: 0, batchIndex: 0 }, 1);
    expect(batches).toHaveLength(11);
    expect(batches[10].batch.batchSize).toBe(3);
    for (const { batch, labels, indices } of batches) {
      expect(batch.inputIds).toBeInstanceOf(Int32Array);
      expect(batch.seqLen).toBe(Math.max(...Array.from(indices, (i) => exampleLength(dataset, i))));
      indices.forEach((index, r) => {
        const length = exampleLength(dataset, index);
        const row = (a: Int32Array): number[] => Array.from(a.subarray(r * batch.seqLen, (r + 1) * batch.seqLen));
        expect(row(batch.inputIds)).toEqual([...dataset.tokens.subarray(dataset.offsets[index], dataset.offsets[index + 1]), ...Array(batch.seqLen - length).fill(0)]);
        expect(row(batch.attentionMask)).toEqual([...Array(length).fill(1), ...Array(batch.seqLen - length).fill(0)]);
        expect(labels[r]).toBe(dataset.labels[index]);
      });
    }
    expect(batches.flatMap((b) => Array.from(b.indices))).toEqual(Array.from({ length: 103 }, (_, i) => i));
  });

  it('shuffles per epoch from the seed: every example once per epoch, a new order each epoch, the same order each run', () => {
    const options = { batchSize: 8, shuffle: true, seed: 42 };
    const run1 = collect(new BatchLoader(dataset, options));
    const run2 = collect(new BatchLoader(dataset, options));
    const epochOrder = (run: LoadedBatch[], epoch: number): number[] => run.filter((b) => b.position.epoch === epoch).flatMap((b) => Array.from(b.indices));
    for (const epoch of [0, 1, 2]) {
      expect([...epochOrder(run1, epoch)].sort((x, y) => x - y)).toEqual(Array.from({ length: 103 }, (_, i) => i));
      expect(epochOrder(run1, epoch)).toEqual(epochOrder(run2, epoch));
    }
    expect(epochOrder(run1, 0)).not.toEqual(epochOrder(run1, 1));
    expect(epochOrder(collect(new BatchLoader(dataset, { ...options, seed: 43 })), 0)).not.toEqual(epochOrder(run1, 0));
  });

  it('drops the last short batch on request', () => {
    const loader = new BatchLoader(dataset, { batchSize: 10, shuffle: true, dropLast: true, bucketBatches: 3 });
    expect(loader.batchesPerEpoch()).toBe(10);
    const batches = collect(loader, { epoch: 0, batchIndex: 0 }, 2);
    expect(batches).toHaveLength(20);
    expect(batches.every((b) => b.batch.batchSize === 10)).toBe(true);
  });

  it('buckets by length inside chunks of k batches, cutting padding, then shuffles the batch order', () => {
    const plain = new BatchLoader(dataset, { batchSize: 8, shuffle: true, seed: 5 });
    const bucketed = new BatchLoader(dataset, { batchSize: 8, shuffle: true, seed: 5, bucketBatches: 4 });
    const padding = (loader: BatchLoader): number =>
      collect(loader, { epoch: 0, batchIndex: 0 }, 1).reduce((sum, { batch }) => sum + batch.attentionMask.length - batch.attentionMask.reduce((s, v) => s + v, 0), 0);
    expect(padding(bucketed)).toBeLessThan(padding(plain) / 2);
    // Same examples as the unbucketed shuffle, chunk by chunk (bucketing only reorders inside a chunk of 32).
    const plainOrder = plain.epochPlan(0).flatMap((b) => Array.from(b));
    const bucketBatches = bucketed.epochPlan(0);
    const chunkOf = new Map(plainOrder.map((index, position) => [index, Math.floor(position / 32)]));
    for (const rows of bucketBatches) {
      expect(new Set(Array.from(rows, (i) => chunkOf.get(i))).size).toBe(1);
      const lengths = Array.from(rows, (i) => exampleLength(dataset, i));
      expect(lengths).toEqual([...lengths].sort((x, y) => y - x));
    }
    // The batch order is shuffled: chunk numbers do not come in order.
    const chunks = bucketBatches.map((rows) => chunkOf.get(rows[0]) as number);
    expect(chunks).not.toEqual([...chunks].sort((x, y) => x - y));
  });

  it('resumes from a saved position with exactly the batches an uninterrupted run yields', () => {
    const options = { batchSize: 7, shuffle: true, seed: 1234, bucketBatches: 2 };
    const full = collect(new BatchLoader(dataset, options));
    const perEpoch = new BatchLoader(dataset, options).batchesPerEpoch();
    expect(full).toHaveLength(3 * perEpoch);
    for (const stop of [1, perEpoch - 1, perEpoch, perEpoch + 5]) {
      // A checkpoint after `stop` batches saves the `next` position of the last batch used.
      const saved = JSON.parse(JSON.stringify(full[stop - 1].next));
      const resumed = collect(new BatchLoader(dataset, options), saved);
      expect(resumed.map((b) => b.position)).toEqual(full.slice(stop).map((b) => b.position));
      expect(resumed.map((b) => Array.from(b.batch.inputIds))).toEqual(full.slice(stop).map((b) => Array.from(b.batch.inputIds)));
      expect(resumed.map((b) => Array.from(b.labels))).toEqual(full.slice(stop).map((b) => Array.from(b.labels)));
    }
    expect(full[perEpoch - 1].next).toEqual({ epoch: 1, batchIndex: 0 });
  });

  it('serves the training loop and the engine directly (their interfaces, checked by the compiler)', () => {
    const loader = new BatchLoader(dataset, { batchSize: 16, shuffle: true, seed: 3 });
    const training: TrainingBatches = loader;
    const evaluation: EvaluationBatches = evaluationBatches(dataset, { batchSize: 16 });
    const forEngine: NativeBatch = training.batch(1, 2).batch;
    expect(forEngine.inputIds).toEqual(loader.batch(1, 2).batch.inputIds);
    expect([training.numExamples, training.batchesPerEpoch(), evaluation.numBatches()]).toEqual([103, 7, 7]);
  });

  it('evaluates every example once, in order or bucketed by length with indices back to the examples', () => {
    const ordered = evaluationBatches(dataset, { batchSize: 10 });
    const bucketed = evaluationBatches(dataset, { batchSize: 10, bucketBatches: 4 });
    const rows = (view: typeof ordered): number[] => Array.from({ length: view.numBatches() }, (_, b) => Array.from(view.batch(b).indices)).flat();
    expect(rows(ordered)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    expect([...rows(bucketed)].sort((x, y) => x - y)).toEqual(Array.from({ length: 103 }, (_, i) => i));
    const first = bucketed.batch(0);
    first.indices.forEach((index, r) => expect(first.labels[r]).toBe(dataset.labels[index]));
  });

  it('rejects bad options and positions', () => {
    expect(() => new BatchLoader(dataset, { batchSize: 0 })).toThrow(ValidationError);
    expect(() => new BatchLoader(dataset, { batchSize: 4, bucketBatches: -1 })).toThrow(ValidationError);
    expect(() => new BatchLoader(dataset, { batchSize: 4, padding: 'max_length', maxLength: 8 })).toThrow(/shorter than the longest encoded example/);
    const loader = new BatchLoader(dataset, { batchSize: 4 });
    expect(() => collect(loader, { epoch: 0, batchIndex: 999 })).toThrow(ValidationError);
    expect(() => collect(loader, { epoch: -1, batchIndex: 0 })).toThrow(ValidationError);
    expect(() => loader.batch(0, 26)).toThrow(/batch index 26 is outside 0\.\.25 of epoch 0/);
  });
});

describe('inferenceBatches', () => {
  const dataset = encodeExamples(examples, wordTokenizer(), { maxLength: 16 });
  const all = (view: ReturnType<typeof inferenceBatches>) => Array.from({ length: view.numBatches() }, (_, b) => view.batch(b));

  it('covers every example once, longest first, and pads each batch to its longest', () => {
    const batches = all(inferenceBatches(dataset, { batchSize: 10 }));
    const seen = batches.flatMap((b) => Array.from(b.indices));
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: dataset.size }, (_, i) => i));
    const lengths = seen.map((i) => exampleLength(dataset, i));
    expect(lengths).toEqual([...lengths].sort((a, b) => b - a));
    // ties keep dataset order
    for (let k = 1; k < seen.length; k++) if (lengths[k] === lengths[k - 1]) expect(seen[k]).toBeGreaterThan(seen[k - 1]);
    for (const b of batches) expect(b.batch.seqLen).toBe(Math.max(...Array.from(b.indices, (i) => exampleLength(dataset, i))));
    // far fewer padded positions than batches in dataset order
    const padded = (bs: LoadedBatch[]) => bs.reduce((n, b) => n + b.batch.batchSize * b.batch.seqLen, 0);
    expect(padded(batches)).toBeLessThan(0.8 * padded(all(evaluationBatches(dataset, { batchSize: 10 }))));
  });

  it('keeps dataset order with fixed padding (every batch has the same length)', () => {
    const batches = all(inferenceBatches(dataset, { batchSize: 10, padding: 'max_length' }));
    expect(batches.flatMap((b) => Array.from(b.indices))).toEqual(Array.from({ length: dataset.size }, (_, i) => i));
  });
});

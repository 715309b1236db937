// Task inference order (lib/tasks/task-batches.ts): evaluation batches run the longest item first, ties in item order,
// every item exactly once, each batch padded to its own longest item and saying which items it holds; predict and
// embed run the same order and put each result back in its input's place.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BertEmbedder, BertMaskedLM, BertMultipleChoice, BertSequenceClassifier, BertTokenClassifier } from '../../lib/tasks';
import { itemEvaluationBatches, taskItems } from '../../lib/tasks/task-batches';
import { writeTinyModel } from '../classifier/tiny-model';

// An item is its token count; collate pads to the batch's longest and labels each row with its item's length.
function collate(lengths: readonly number[]) {
  const T = Math.max(...lengths);
  const B = lengths.length;
  const attentionMask = new Int32Array(B * T);
  lengths.forEach((n, r) => attentionMask.fill(1, r * T, r * T + n));
  return {
    batch: { inputIds: new Int32Array(B * T), attentionMask, tokenTypeIds: new Int32Array(B * T), batchSize: B, seqLen: T },
    labels: Int32Array.from(lengths),
  };
}

test('batches run longest first with ties in item order, and name their items', () => {
  const lengths = [3, 9, 1, 9, 4, 7, 3, 12, 2];
  const data = itemEvaluationBatches(taskItems(lengths, (items) => collate(items), 'digest'), 4);
  expect(data.numBatches()).toBe(3);
  const seen: number[] = [];
  for (let i = 0; i < data.numBatches(); i++) {
    const labeled = data.batch(i);
    const items = labeled.items!;
    expect(Array.from(labeled.labels)).toEqual(items.map((k) => lengths[k]));
    expect(labeled.batch.seqLen).toBe(Math.max(...items.map((k) => lengths[k])));
    seen.push(...items);
  }
  expect(seen).toEqual([7, 1, 3, 5, 4, 0, 6, 8, 2]);
  expect(data.batch(1)).toEqual(data.batch(1));  // the same batch every time it is asked for
});

// predict / embed run their inputs longest first too (forEachLongestFirst) and return them in input order: a list
// gives what each input gives alone (up to the fp32 rounding of other padded lengths, 1e-5).
describe('predict and embed return results in input order', () => {
  let dir: string;
  let base: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bertnode-order-'));
    base = path.join(dir, 'base');
    await writeTinyModel(base);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Shortest first, so the longest-first order differs from the input's.
  const texts = ['a film', 'a great film with a cast', 'the movie', 'the movie was dull and long and the plot was thin'];

  async function expectAsAlone<I, O>(inputs: readonly I[], run: (inputs: I[]) => Promise<O[]>): Promise<void> {
    const together = await run([...inputs]);
    expect(together).toHaveLength(inputs.length);
    for (let i = 0; i < inputs.length; i++) {
      const [alone] = await run([inputs[i]]);
      expectDeepClose(together[i], alone, `input ${i}`);
    }
  }

  test('sequence classification, token classification, masked LM, multiple choice, embeddings', async () => {
    const seq = await BertSequenceClassifier.fromPretrained(base, { labels: ['neg', 'pos'], batchSize: 3 });
    await expectAsAlone(texts, (x) => seq.predict(x));
    seq.dispose();
    const ner = await BertTokenClassifier.fromPretrained(base, { labels: ['O', 'B-PER', 'I-PER'], batchSize: 3 });
    await expectAsAlone(texts, (x) => ner.predict(x));
    ner.dispose();
    const mlm = await BertMaskedLM.fromPretrained(base, { batchSize: 3 });
    await expectAsAlone(texts.map((t) => `${t} [MASK]`), (x) => mlm.predict(x, { topK: 2 }));
    mlm.dispose();
    const mc = await BertMultipleChoice.fromPretrained(base, { numChoices: 2, batchSize: 1 });
    await expectAsAlone(texts.map((t, i) => ({ context: t, endings: [texts[(i + 1) % 4], 'ok'] })), (x) => mc.predict(x));
    mc.dispose();
    const emb = await BertEmbedder.fromPretrained(base, { batchSize: 3 });
    await expectAsAlone(texts, (x) => emb.embed(x));
    emb.dispose();
  }, 60_000);
});

// Numbers within 1e-5 (absolute), anything else equal, with the path of a difference in the message.
function expectDeepClose(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === 'number') {
    expect({ where, close: Math.abs((actual as number) - expected) <= 1e-5 ? true : actual }).toEqual({ where, close: true });
  } else if (expected instanceof Float32Array || Array.isArray(expected)) {
    const a = actual as ArrayLike<unknown>;
    expect({ where, length: a.length }).toEqual({ where, length: expected.length });
    for (let i = 0; i < expected.length; i++) expectDeepClose(a[i], expected[i], `${where}[${i}]`);
  } else if (expected && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort()).toEqual(Object.keys(expected).sort());
    for (const [k, v] of Object.entries(expected)) expectDeepClose((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else {
    expect({ where, value: actual }).toEqual({ where, value: expected });
  }
}

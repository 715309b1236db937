// Task evaluation batches (lib/tasks/task-batches.ts itemEvaluationBatches): longest item first, ties in item order,
// every item exactly once, each batch padded to its own longest item and saying which items it holds.
import { itemEvaluationBatches, taskItems } from '../../lib/tasks/task-batches';

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

import { multipleChoiceBatch, padTaskRows, questionAnsweringBatch, tokenLabelBatch } from '../../lib/data';

describe('task collators: batches and labels in the heads\' native layouts', () => {
  it('pads token rows with the pad id, mask 0 and labels −100 (token classification, masked LM)', () => {
    const { batch, labels } = tokenLabelBatch([
      { inputIds: [101, 7, 8, 102], tokenTypeIds: [0, 0, 0, 0], labels: [-100, 2, -100, -100] },
      { inputIds: [101, 9, 102], tokenTypeIds: [0, 0, 0], labels: [-100, 1, -100] },
    ], { padTokenId: 0 });
    expect([batch.batchSize, batch.seqLen]).toEqual([2, 4]);
    expect(Array.from(batch.inputIds)).toEqual([101, 7, 8, 102, 101, 9, 102, 0]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    expect(Array.from(labels)).toEqual([-100, 2, -100, -100, -100, 1, -100, -100]);
    expect(padTaskRows([{ inputIds: [1], tokenTypeIds: [0] }], { padTokenId: 5, padTo: 3 }).inputIds).toEqual(Int32Array.from([1, 5, 5]));
  });

  it('lays out QA positions [B, 2] and multiple choice as B·k rows with labels [B]', () => {
    const qa = questionAnsweringBatch([
      { exampleIndex: 0, exampleId: 'a', inputIds: [1, 2, 3], tokenTypeIds: [0, 1, 1], attentionMask: [1, 1, 1], startPosition: 1, endPosition: 2 },
      { exampleIndex: 0, exampleId: 'a', inputIds: [1, 3], tokenTypeIds: [0, 1], attentionMask: [1, 1], startPosition: 0, endPosition: 0 },
    ], { padTokenId: 0 });
    expect(Array.from(qa.labels)).toEqual([1, 2, 0, 0]);
    expect(Array.from(qa.batch.tokenTypeIds)).toEqual([0, 1, 1, 0, 1, 0]);
    const choice = { inputIds: [[1, 2], [1, 2, 3]], tokenTypeIds: [[0, 1], [0, 1, 1]], attentionMask: [[1, 1], [1, 1, 1]] };
    const mc = multipleChoiceBatch([{ ...choice, label: 1 }, { ...choice, label: 0 }], { padTokenId: 0 });
    expect([mc.batch.batchSize, mc.batch.seqLen, mc.numChoices]).toEqual([4, 3, 2]);
    expect(Array.from(mc.labels!)).toEqual([1, 0]);
    expect(multipleChoiceBatch([choice], { padTokenId: 0 }).labels).toBeNull();
  });

  it('refuses inconsistent rows', () => {
    expect(() => padTaskRows([], { padTokenId: 0 })).toThrow(/at least one row/);
    expect(() => padTaskRows([{ inputIds: [1, 2], tokenTypeIds: [0, 0] }], { padTokenId: 0, padTo: 1 })).toThrow(/shorter than the longest row/);
    expect(() => tokenLabelBatch([{ inputIds: [1, 2], tokenTypeIds: [0, 0], labels: [1] }], { padTokenId: 0 })).toThrow(/1 labels for 2 tokens/);
    const two = { inputIds: [[1], [2]], tokenTypeIds: [[0], [0]], attentionMask: [[1], [1]] };
    const three = { inputIds: [[1], [2], [3]], tokenTypeIds: [[0], [0], [0]], attentionMask: [[1], [1], [1]] };
    expect(() => multipleChoiceBatch([two, three], { padTokenId: 0 })).toThrow(/example 1 has 3 choices/);
    expect(() => multipleChoiceBatch([{ ...two, label: 0 }, two], { padTokenId: 0 })).toThrow(/some examples/);
  });
});

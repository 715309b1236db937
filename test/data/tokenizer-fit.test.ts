import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { BatchLoader, encodeExamples, type Example, type TokenizerLike } from '../../lib/data';
import { BertTokenizer } from '../../lib/tokenizer';
import { tempDir } from './helpers/imdb-fixture';

// The data layer codes against its own TokenizerLike; this checks that the package's BertTokenizer is one and that
// its ids, token types and truncation come through the cache and the batcher unchanged.
describe('lib/data with the real BertTokenizer', () => {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'good', 'bad', 'film', 'plot', '##s', 'the', '.', ','];
  const file = path.join(tempDir(), 'vocab.txt');
  writeFileSync(file, `${vocab.join('\n')}\n`);
  const tokenizer = BertTokenizer.fromVocabFile(file);
  const asTokenizerLike: TokenizerLike = tokenizer;
  const examples: Example[] = [
    { id: '0', text: 'A good film.', label: 1, source: 't' },
    { id: '1', text: 'The plots, the plots, the plots, the plots.', label: 0, source: 't' },
    { id: '2', text: 'good', textPair: 'bad film', label: 1, source: 't' },
  ];

  it('encodes through the cache and batches exactly what encode() returns', () => {
    const dataset = encodeExamples(examples, asTokenizerLike, { maxLength: 8 });
    const loader = new BatchLoader(dataset, { batchSize: 3, padding: 'max_length', padTokenId: tokenizer.tokenToId('[PAD]') });
    const { batch, labels } = loader.batch(0, 0);
    expect([batch.batchSize, batch.seqLen]).toEqual([3, 8]);
    examples.forEach((example, r) => {
      const expected = tokenizer.encode(example.text, example.textPair, { maxLength: 8, truncation: true, padding: 'max_length' });
      expect(Array.from(batch.inputIds.subarray(r * 8, r * 8 + 8))).toEqual(expected.inputIds);
      expect(Array.from(batch.tokenTypeIds.subarray(r * 8, r * 8 + 8))).toEqual(expected.tokenTypeIds);
      expect(Array.from(batch.attentionMask.subarray(r * 8, r * 8 + 8))).toEqual(expected.attentionMask);
    });
    // [CLS] a good film . [SEP] [PAD] [PAD]; the long review is cut to 8 tokens; the pair has token types 0/1.
    expect(Array.from(batch.inputIds.subarray(0, 8))).toEqual([2, 5, 6, 8, 12, 3, 0, 0]);
    expect(Array.from(batch.tokenTypeIds.subarray(16, 24))).toEqual([0, 0, 0, 1, 1, 1, 0, 0]);
    expect(Array.from(labels)).toEqual([1, 0, 1]);
  });
});

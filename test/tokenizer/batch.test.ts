// encodeBatch and TokenizerPool: the engine's batch layout (row-major [batchSize, seqLen] Int32Arrays), padding to
// the longest row or to maxLength, pairs with token types, and rows identical to Hugging Face's ids.

import { readFileSync } from 'fs';
import { join } from 'path';
import { TokenizerOptionsError } from '../../lib/errors';
import { BertTokenizer, TokenizerPool, type TextInput } from '../../lib/tokenizer';

const FIXTURES = join(__dirname, '..', 'fixtures', 'tokenizer');
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as {
  variants: Record<string, Array<{ name: string; text: string; pair: string | null; truncation: string | null;
    maxLength: number | null; fast: { ids?: number[]; typeIds?: number[] } }>>;
};

const tok = BertTokenizer.fromTokenizerJson(join(FIXTURES, 'tokenizer.json'));
const PAD = tok.tokenToId('[PAD]')!;
const untruncated = expected.variants.uncased.filter((c) => c.truncation === null);
const inputs: TextInput[] = untruncated.map((c) => (c.pair === null ? c.text : [c.text, c.pair] as const));

function rows(batch: { inputIds: Int32Array; tokenTypeIds: Int32Array; attentionMask: Int32Array; seqLen: number },
  r: number): { ids: number[]; types: number[]; mask: number[] } {
  const at = r * batch.seqLen;
  return {
    ids: Array.from(batch.inputIds.subarray(at, at + batch.seqLen)),
    types: Array.from(batch.tokenTypeIds.subarray(at, at + batch.seqLen)),
    mask: Array.from(batch.attentionMask.subarray(at, at + batch.seqLen)),
  };
}

test('padding to the longest row: every row is HF ids + [PAD], mask 1 then 0, token types of the pair', () => {
  const batch = tok.encodeBatch(inputs);
  const longest = Math.max(...untruncated.map((c) => c.fast.ids!.length));
  expect(batch.batchSize).toBe(inputs.length);
  expect(batch.seqLen).toBe(longest);
  expect(batch.inputIds).toBeInstanceOf(Int32Array);
  expect(batch.inputIds.length).toBe(inputs.length * longest);
  untruncated.forEach((c, r) => {
    const n = c.fast.ids!.length;
    const pad = longest - n;
    expect(rows(batch, r)).toEqual({
      ids: [...c.fast.ids!, ...Array(pad).fill(PAD)],
      types: [...c.fast.typeIds!, ...Array(pad).fill(0)],
      mask: [...Array(n).fill(1), ...Array(pad).fill(0)],
    });
  });
});

test('padding to maxLength truncates longest_first and pads every row to maxLength', () => {
  const maxLength = 12;
  const batch = tok.encodeBatch(inputs, { maxLength, padding: 'max_length' });
  expect(batch.seqLen).toBe(maxLength);
  inputs.forEach((input, r) => {
    const enc = typeof input === 'string' ? tok.encode(input, undefined, { maxLength }) : tok.encode(input[0], input[1], { maxLength });
    const n = enc.inputIds.length;
    expect(n).toBeLessThanOrEqual(maxLength);
    expect(rows(batch, r).ids).toEqual([...enc.inputIds, ...Array(maxLength - n).fill(PAD)]);
    expect(rows(batch, r).types).toEqual([...enc.tokenTypeIds, ...Array(maxLength - n).fill(0)]);
  });
});

test('truncation cases of the corpus give HF ids in a batch too', () => {
  for (const c of expected.variants.uncased.filter((x) => x.truncation !== null && x.fast.ids !== undefined)) {
    const batch = tok.encodeBatch([c.pair === null ? c.text : [c.text, c.pair]],
      { truncation: c.truncation as 'longest_first', maxLength: c.maxLength! });
    expect({ name: c.name, ids: Array.from(batch.inputIds) }).toEqual({ name: c.name, ids: c.fast.ids });
  }
});

test('an empty batch has no rows', () => {
  const batch = tok.encodeBatch([]);
  expect(batch).toMatchObject({ batchSize: 0, seqLen: 0 });
  expect(batch.inputIds.length).toBe(0);
});

test('bad inputs and options are typed errors', () => {
  expect(() => tok.encodeBatch([42 as unknown as string])).toThrow(TokenizerOptionsError);
  expect(() => tok.encodeBatch(['a'], { padding: 'max_length' })).toThrow(/needs maxLength/);
  expect(() => tok.encodeBatch(['a'], { padding: true })).toThrow(/padding must be one of/);
  expect(() => tok.encodeBatch(['a b c'], { truncation: 'only_second', maxLength: 3 })).toThrow(
    expect.objectContaining({ code: 'ERR_BERTNODE_TOKENIZER_TRUNCATION' }));
});

describe('TokenizerPool', () => {
  let pool: TokenizerPool;
  beforeAll(() => {
    pool = TokenizerPool.fromTokenizerJson(join(FIXTURES, 'tokenizer.json'), {}, { threads: 2, minParallelBatch: 1 });
  });
  afterAll(async () => {
    await pool.close();
    await pool.close();
  });

  test('gives exactly encodeBatch, split over two workers', async () => {
    const many = [...inputs, ...inputs, ...inputs];
    for (const options of [undefined, { maxLength: 20, padding: 'max_length' as const }]) {
      const a = await pool.encodeBatch(many, options);
      const b = tok.encodeBatch(many, options);
      expect(a).toEqual(b);
    }
  });

  test('closing while a batch is in flight rejects it; a closed pool refuses work', async () => {
    const other = TokenizerPool.fromTokenizerJson(join(FIXTURES, 'tokenizer.json'), {}, { threads: 1, minParallelBatch: 1 });
    const inFlight = other.encodeBatch(inputs);
    await other.close();
    await expect(inFlight).rejects.toMatchObject({ code: 'ERR_BERTNODE_TOKENIZER_WORKER', message: expect.stringMatching(/closed/) });
    await expect(other.encodeBatch(inputs)).rejects.toThrow(/closed/);
  });

  test('worker errors come back as typed errors', async () => {
    await expect(pool.encodeBatch(['a b c', 'd e f'], { truncation: 'only_second', maxLength: 3 }))
      .rejects.toMatchObject({ code: 'ERR_BERTNODE_TOKENIZER_TRUNCATION' });
  });
});

// Every parser that reads JSON from outside, given a value nested 100k levels deep where a field is expected
// (issue 12, item 10): a typed bertnode error, never "Maximum call stack size exceeded". And tokenizer.json ids are
// bounded by the number of tokens the file defines.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertnodeError, DataFormatError, TokenizerFileError, WeightsFormatError } from '../../lib/errors';
import { readJsonl } from '../../lib/data';
import { BertTokenizer } from '../../lib/tokenizer';
import { parseJson } from '../../lib/util/json';
import { readConfig, readSafetensors } from '../../lib/weights';

const DEEP = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const TOKENIZER_JSON = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'tokenizer', 'tokenizer.json'), 'utf8');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-deep-json-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

test('a safetensors header with a deep shape', async () => {
  const header = Buffer.from(`{"w": {"dtype": "F32", "shape": ${DEEP}, "data_offsets": [0, 0]}}`);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  const e = await errorOf(() => readSafetensors(write('deep.safetensors', Buffer.concat([len, header]))));
  expect(e).toBeInstanceOf(WeightsFormatError);
  expect((e as Error).message).toMatch(/nested deeper than 64 levels/);
});

test('a config.json with a deep vocab_size', async () => {
  const e = await errorOf(() => readConfig(write('config.json', `{"vocab_size": ${DEEP}}`)));
  expect(e).toMatchObject({ code: 'ERR_BERTNODE_CONFIG' });
});

test('a tokenizer.json with a deep model.type', async () => {
  const json = JSON.parse(TOKENIZER_JSON) as { model: { type: string } };
  json.model.type = 'DEEP';
  const file = write('tokenizer.json', JSON.stringify(json).replace('"DEEP"', DEEP));
  const e = await errorOf(() => BertTokenizer.fromTokenizerJson(file));
  expect(e).toBeInstanceOf(TokenizerFileError);
});

test('a JSONL line with a deep label', async () => {
  const e = await errorOf(() => readJsonl(write('deep.jsonl', `{"text": "fine", "label": ${DEEP}}\n`)));
  expect(e).toBeInstanceOf(DataFormatError);
  expect(e).toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE', line: 1 });
});

test('parseJson counts brackets outside strings only, and accepts depth 64', () => {
  expect(parseJson(`{"a": "${'['.repeat(1000)}\\"["}`)).toEqual({ a: `${'['.repeat(1000)}"[` });
  expect(() => parseJson(`${'['.repeat(64)}${']'.repeat(64)}`)).not.toThrow();
  expect(() => parseJson(`${'['.repeat(65)}${']'.repeat(65)}`)).toThrow(/nested deeper than 64 levels/);
});

describe('tokenizer.json ids', () => {
  const json = JSON.parse(TOKENIZER_JSON) as { model: { vocab: Record<string, number> }; added_tokens: { id: number }[] };
  const count = Object.keys(json.model.vocab).length;

  test('a vocabulary id of 30,000,000 is refused instead of sizing a 240 MB table', async () => {
    const edited = structuredClone(json);
    edited.model.vocab.hello = 30_000_000;
    const rss = process.memoryUsage().rss;
    const e = await errorOf(() => BertTokenizer.fromTokenizerJson(write('big-id.json', JSON.stringify(edited))));
    expect(e).toMatchObject({ code: 'ERR_BERTNODE_TOKENIZER_FORMAT' });
    expect((e as Error).message).toMatch(/model\.vocab\["hello"\] = 30000000: ids must be below the number of tokens/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
  });

  test('an added token id past the tokens is refused too; the largest legal id loads', async () => {
    const edited = structuredClone(json);
    edited.added_tokens[0].id = count + edited.added_tokens.length;
    const e = await errorOf(() => BertTokenizer.fromTokenizerJson(write('big-added.json', JSON.stringify(edited))));
    expect(e).toBeInstanceOf(BertnodeError);
    expect((e as Error).message).toMatch(/added_tokens\[0\]\.id/);
    edited.added_tokens[0].id = count + edited.added_tokens.length - 1;
    expect(() => BertTokenizer.fromTokenizerJson(write('largest.json', JSON.stringify(edited)))).not.toThrow();
  });
});

import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DataFormatError, TextEncodingError } from '../../lib/errors';
import { readCsv, readExamples, readJsonl, readTsv } from '../../lib/data';
import { tempDir } from './helpers/imdb-fixture';

function file(name: string, content: string | Buffer): string {
  const target = path.join(tempDir(), name);
  writeFileSync(target, content);
  return target;
}

describe('TSV (text<TAB>label)', () => {
  it('reads 0/1 labels, skips an auto-detected header and blank lines, keeps tabs inside the text', async () => {
    const tsv = file('train.tsv', 'sentence\tlabel\nfine film\t1\n\nbad\tfilm\t0\r\nok<br />then\t1\n');
    const examples = await readTsv(tsv, { clean: true });
    expect(examples.map((e) => [e.text, e.label, e.source])).toEqual([
      ['fine film', 1, `${tsv}:2`],
      ['bad\tfilm', 0, `${tsv}:4`],
      ['ok then', 1, `${tsv}:5`],
    ]);
    expect(await readExamples(tsv)).toHaveLength(3);
  });

  it('takes class names through the label list, and reports an unknown label and a missing tab with the line', async () => {
    const named = file('named.tsv', 'good\tpositive\nawful\tNEGATIVE\n');
    expect((await readTsv(named)).map((e) => e.label)).toEqual([1, 0]);
    expect((await readTsv(file('three.tsv', 'x\tmeh\n'), { labels: ['bad', 'meh', 'good'] }))[0].label).toBe(1);
    await expect(readTsv(file('bad.tsv', 'a\t1\nb\t2\n'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LABEL', line: 2 });
    await expect(readTsv(file('bad.tsv', 'a\t1\nno tab here\n'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE', line: 2 });
  });
});

describe('CSV (review,sentiment)', () => {
  it('follows RFC 4180: quoted commas, doubled quotes, multi-line fields, CRLF, line numbers of each record', async () => {
    const csv = file(
      'imdb.csv',
      'review,sentiment\r\n' +
        '"One, two and ""three"".",positive\r\n' +
        '"A review<br />over\nthree\nlines",negative\n' +
        'plain text,positive\n' +
        '\n' +
        '"ends with a quoted line break\n",negative',
    );
    const examples = await readCsv(csv, { clean: true });
    expect(examples.map((e) => [e.text, e.label, e.source])).toEqual([
      ['One, two and "three".', 1, `${csv}:2`],
      ['A review over\nthree\nlines', 0, `${csv}:3`],
      ['plain text', 1, `${csv}:6`],
      ['ends with a quoted line break\n', 0, `${csv}:8`],
    ]);
  });

  it('finds columns by name, in any order, and reads pairs', async () => {
    const csv = file('pairs.csv', 'label,text,text_pair\n1,premise,hypothesis\n');
    expect(await readCsv(csv, { textPairColumn: 'text_pair' })).toMatchObject([{ text: 'premise', textPair: 'hypothesis', label: 1 }]);
  });

  it('reports unbalanced quotes at the line the field opened, stray quotes, text after a quote, field counts', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['review,sentiment\nfine,positive\n"never closed,negative\nmore,positive\n', 3, /unbalanced quote/],
      ['review,sentiment\nsay "hi",positive\n', 2, /quote inside an unquoted field/],
      ['review,sentiment\n"quoted" then,positive\n', 2, /after a closing quote/],
      ['review,sentiment\n"a\nb",positive,extra\n', 2, /3 fields where the header has 2/],
      ['text,label\nx,maybe\n', 2, /label 'maybe' is not one of \[negative, positive\]/],
    ];
    for (const [content, line, reason] of cases) {
      const csv = file('bad.csv', content);
      const error = await readCsv(csv).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataFormatError);
      expect(error).toMatchObject({ file: csv, line });
      expect((error as DataFormatError).reason).toMatch(reason);
    }
    await expect(readCsv(file('cols.csv', 'a,b\n1,2\n'))).rejects.toThrow(/no column named review or text or sentence/);
  });
});

describe('JSONL', () => {
  it('reads text/label objects with names or indices, ids and pairs, skipping blank lines', async () => {
    const jsonl = file('d.jsonl', '{"text":"good","label":"positive","id":"a1"}\n\n{"review":"bad","label":0}\n{"text":"q","text_pair":"a","label":1}\n');
    expect((await readJsonl(jsonl)).map((e) => [e.id, e.text, e.textPair, e.label])).toEqual([
      ['a1', 'good', undefined, 1],
      ['3', 'bad', undefined, 0],
      ['4', 'q', 'a', 1],
    ]);
  });

  it('reports a bad line with its number', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['{"text":"a","label":1}\n{"text": "b", "label": 0\n', 2, /not valid JSON/],
      ['{"text":"a","label":1}\n[1,2]\n', 2, /must be a JSON object/],
      ['{"label":1}\n', 1, /no string "text" field/],
      ['{"text":"a","label":true}\n', 1, /neither a class name nor an index/],
      ['{"text":"a","label":7}\n', 1, /not an index into/],
    ];
    for (const [content, line, reason] of cases) {
      const error = await readJsonl(file('bad.jsonl', content)).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'DataFormatError', line });
      expect((error as DataFormatError).reason).toMatch(reason);
    }
  });
});

describe('flat formats, bad input common to all', () => {
  it('rejects non-UTF-8 with file, line and byte offset; empty files; files with only a header; empty texts', async () => {
    const latin1 = file('latin1.tsv', Buffer.concat([Buffer.from('ok\t1\n'), Buffer.from('caf\xe9\t0\n', 'latin1')]));
    const error = await readTsv(latin1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TextEncodingError);
    expect(error).toMatchObject({ file: latin1, line: 2, reason: 'not valid UTF-8 (first bad byte at offset 8)' });
    await expect(readCsv(file('empty.csv', ''))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_EMPTY' });
    await expect(readCsv(file('header.csv', 'review,sentiment\n'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_EMPTY', reason: 'the file holds no examples' });
    await expect(readJsonl(file('blank.jsonl', '\n\n'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_EMPTY' });
    await expect(readTsv(file('notext.tsv', '  \t1\n'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_EMPTY', line: 1 });
    await expect(readExamples(file('data.parquet', 'x'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE' });
  });
});

// The flat formats are streamed (lib/data/line-reader.ts): chunk boundaries anywhere — inside a multi-byte character,
// between CR and LF, inside a quoted CSV field — give exactly what decoding and splitting the whole file gives, with
// the same errors; records longer than the limit are typed errors; a file far larger than the memory it may use is
// read with bounded memory.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCsv, readTsv } from '../../lib/data';
import { csvRecords, parseCsv } from '../../lib/data/csv-parser';
import { readLines } from '../../lib/data/line-reader';
import { decodeUtf8 } from '../../lib/data/utf8';
import { DataFormatError, TextEncodingError } from '../../lib/errors';
import { tempDir } from './helpers/imdb-fixture';

function file(name: string, content: string | Buffer): string {
  const target = path.join(tempDir(), name);
  writeFileSync(target, content);
  return target;
}

async function lines(target: string, chunkBytes: number): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readLines(target, { maxLineLength: 1 << 20, chunkBytes })) out.push(...batch.map((l) => l.text));
  return out;
}

// Chunk sizes that put boundaries at every offset of the short samples below, and one larger than them.
const CHUNKS = [1, 2, 3, 4, 5, 7, 4096];

const CSV = '\ufeffreview,sentiment\r\n"Caf\u00e9 \ud83d\ude00, ""quoted""\r\nover lines",positive\r\nplain \u00fcmlaut,negative\n' +
  '\n"a\rlone CR inside",positive\r\n"",negative\nlast\u20ac,positive\r';

test.each(CHUNKS)('chunks of %i bytes: lines and CSV records equal those of the whole decoded file (BOM, CRLF, multi-byte, quoted breaks)', async (chunkBytes) => {
  const target = file('sample.csv', CSV);
  const whole = decodeUtf8(readFileSync(target), target);
  expect(whole.startsWith('\ufeff')).toBe(false); // the reference drops the BOM too
  expect(await lines(target, chunkBytes)).toEqual(whole.split('\n'));
  const records = [];
  for await (const batch of csvRecords(readLines(target, { maxLineLength: 1 << 20, chunkBytes }), target, 1 << 20)) records.push(...batch);
  expect(records).toEqual([...parseCsv(whole, target)]);
});

test('a byte order mark is dropped at the start of the file only', async () => {
  const target = file('bom.tsv', '\ufeffa\t1\n\ufeffb\t0\n');
  expect((await readTsv(target)).map((e) => e.text)).toEqual(['a', '\ufeffb']);
  for (const chunkBytes of [3, 4, 8]) expect((await lines(target, chunkBytes))[1]).toBe('\ufeffb\t0');
});

test.each([
  ['a Latin-1 byte', Buffer.concat([Buffer.from('ok\t1\nnaïve\t0\n'), Buffer.from([0xe9]), Buffer.from('\t1\n')])],
  ['a 3-byte sequence broken by ASCII', Buffer.concat([Buffer.from('x\t1\ny\t0\n€'), Buffer.from([0xe2, 0x82, 0x41])])],
  ['a sequence cut off at the end of the file', Buffer.concat([Buffer.from('x\t1\n\n\nz'), Buffer.from([0xf0, 0x9f, 0x98])])],
  ['a surrogate encoded in UTF-8', Buffer.concat([Buffer.from('x\t1\n'), Buffer.from([0xed, 0xa0, 0x80])])],
])('invalid UTF-8 (%s): the same byte offset and line as decoding the whole file, whatever the chunk size', async (_name, bytes) => {
  const target = file('bad.tsv', bytes);
  const reference = (() => {
    try {
      decodeUtf8(bytes, target);
    } catch (e) {
      return e as TextEncodingError;
    }
    throw new Error('the sample is valid UTF-8');
  })();
  for (const chunkBytes of CHUNKS) {
    const error = await lines(target, chunkBytes).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TextEncodingError);
    expect([chunkBytes, (error as TextEncodingError).reason, (error as TextEncodingError).line]).toEqual([chunkBytes, reference.reason, reference.line]);
  }
});

test('a record longer than maxRecordLength is a typed error with its line, not unbounded memory', async () => {
  const long = 'x'.repeat(5000);
  const tsv = file('long.tsv', `a\t1\n${long}\t0\n`);
  await expect(readTsv(tsv, { maxRecordLength: 1000 })).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE', line: 2, reason: expect.stringMatching(/longer than 1000/) });
  expect(await readTsv(tsv, { maxRecordLength: 6000 })).toHaveLength(2);
  // A quote that never closes would otherwise gather the rest of the file into one record.
  const csv = file('open.csv', `review,sentiment\nfine,positive\n"never closed,negative\n${'more,positive\n'.repeat(200)}`);
  const error = await readCsv(csv, { maxRecordLength: 1000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DataFormatError);
  expect(error).toMatchObject({ line: 3, reason: expect.stringMatching(/unbalanced quote: a quoted field runs on for more than 1000/) });
  // Without the limit in the way it is the usual error at the end of the file, same line.
  await expect(readCsv(csv)).rejects.toMatchObject({ line: 3, reason: expect.stringMatching(/still open at the end of the file/) });
  await expect(readTsv(tsv, { maxRecordLength: 0 })).rejects.toMatchObject({ code: 'ERR_BERTNODE_INVALID_ARGUMENT' });
});

// ~200 MB: read whole (as before streaming), the same loop grew RSS by 440 MB. Streamed, the process grows by what V8
// lets short-lived strings pile up before collecting them (measured 22-30 MB); 64 MB bounds that with room for
// noise and is under a third of the file. The reading runs in a fresh node process: RSS of the jest worker also
// moves with whatever the test files before this one left on its heap (once +247 MB in a full run).
const MEASURE_STREAMING = `
require(${JSON.stringify(path.join(__dirname, '..', 'ts-register.js'))});
const { streamTsv } = require(process.argv[1]);
(async () => {
  const before = process.memoryUsage().rss;
  let peak = before, count = 0, lastLine = 0;
  for await (const example of streamTsv(process.argv[2])) {
    count++;
    if ((count & 1023) === 0) peak = Math.max(peak, process.memoryUsage().rss);
    lastLine = Number(example.id);
  }
  console.log(JSON.stringify({ count, lastLine, growth: peak - before }));
})();`;

test('a 200 MB TSV streams with peak RSS growth far below its size', () => {
  const target = path.join(os.tmpdir(), `bertnode-large-${process.pid}.tsv`);
  const line = `${'a fine film, well acted and far too long '.repeat(24)}\t1\n`; // ~1 KB
  const block = Buffer.from(line.repeat(1024)); // ~1 MB
  const blocks = Math.ceil((200 * 2 ** 20) / block.length);
  const fd = openSync(target, 'w');
  try {
    for (let i = 0; i < blocks; i++) writeSync(fd, block);
  } finally {
    closeSync(fd);
  }
  try {
    const dataModule = path.resolve(__dirname, '..', '..', 'lib', 'data', 'index.ts');
    const run = spawnSync(process.execPath, ['-e', MEASURE_STREAMING, dataModule, target],
      { encoding: 'utf8', timeout: 50000 });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { count: number; lastLine: number; growth: number };
    expect(result.count).toBe(blocks * 1024);
    expect(result.lastLine).toBe(result.count);
    expect(result.growth).toBeLessThan(64 * 2 ** 20);
    expect(blocks * block.length).toBeGreaterThan(200 * 2 ** 20 - block.length);
  } finally {
    rmSync(target, { force: true });
  }
}, 60000);

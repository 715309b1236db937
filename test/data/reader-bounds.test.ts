// The low-level data readers on inputs chosen to push them past a bound (issue 12). The tar reader reads the record
// padding after the end-of-archive block, so that a gzip layer can check its CRC, but no more than 1 MiB of it: a
// .tar.gz of a tiny archive followed by gigabytes of deflated zeros would otherwise be inflated to the end. The line
// reader behind TSV/CSV/JSONL refuses a folder with a typed error (it was an untyped EISDIR at the first read).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTarStream } from '../../lib/data/archive';
import { MAX_REVIEW_BYTES, readImdbArchive, readImdbFolder } from '../../lib/data/imdb';
import { readTarEntries } from '../../lib/data/tar';
import { readCsv, readJsonl, readTsv } from '../../lib/data/text-formats';
import { writeTar } from './helpers/tar-writer';

async function* counted(bytes: Buffer, pulled: { bytes: number }): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += 1 << 16) {
    const piece = bytes.subarray(offset, offset + (1 << 16));
    pulled.bytes += piece.length;
    yield piece;
  }
}

test('after the end-of-archive block at most 1 MiB is read', async () => {
  const archive = Buffer.concat([writeTar([{ name: 'a.txt', body: 'fine' }]), Buffer.alloc(64 << 20)]);
  const pulled = { bytes: 0 };
  const names: string[] = [];
  for await (const member of readTarEntries(openTarStream(counted(archive, pulled), 'bomb.tar'), 'bomb.tar')) names.push(member.name);
  expect(names).toEqual(['a.txt']);
  expect(pulled.bytes).toBeLessThan(2 << 20);
});

test.each([['TSV', readTsv], ['CSV', readCsv], ['JSONL', readJsonl]] as const)('%s: a folder is ERR_BERTNODE_DATA_NOT_FOUND', async (_format, read) => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-reader-folder-'));
  try {
    await expect(read(folder)).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_NOT_FOUND', reason: 'not a file' });
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

// A .tar.gz of a few KB can hold one "review" of gigabytes; the IMDb reader checks each body's size (from the tar
// header, or the file's size in a folder) before reading it, so such a file costs no memory.
describe('an IMDb review larger than MAX_REVIEW_BYTES is refused before it is read', () => {
  const big = MAX_REVIEW_BYTES + 1;

  test('in an archive (the 1 MiB + 1 body is never read)', async () => {
    const archive = writeTar([
      { name: 'aclImdb/train/neg/0_1.txt', body: 'short' },
      { name: 'aclImdb/train/pos/1_9.txt', body: Buffer.alloc(big, 0x61) },
    ]);
    const pulled = { bytes: 0 };
    await expect(readImdbArchive(counted(archive, pulled), {}, 'big.tar'))
      .rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE', file: 'big.tar:aclImdb/train/pos/1_9.txt' });
    expect(pulled.bytes).toBeLessThan(big);
  });

  test('in a folder', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-imdb-big-'));
    try {
      for (const label of ['neg', 'pos']) fs.mkdirSync(path.join(root, 'train', label), { recursive: true });
      fs.writeFileSync(path.join(root, 'train', 'neg', '0_1.txt'), 'short');
      fs.writeFileSync(path.join(root, 'train', 'pos', '1_9.txt'), Buffer.alloc(big, 0x61));
      await expect(readImdbFolder(root)).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_PARSE' });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

// The low-level data readers on inputs chosen to push them past a bound (issue 12). The tar reader reads the record
// padding after the end-of-archive block, so that a gzip layer can check its CRC, but no more than 1 MiB of it: a
// .tar.gz of a tiny archive followed by gigabytes of deflated zeros would otherwise be inflated to the end. The line
// reader behind TSV/CSV/JSONL refuses a folder with a typed error (it was an untyped EISDIR at the first read).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTarStream } from '../../lib/data/archive';
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

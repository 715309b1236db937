import { gzipSync } from 'node:zlib';
import { ArchiveError, ValidationError } from '../../lib/errors';
import { openTarStream } from '../../lib/data/archive';
import { readTarEntries, type TarEntry } from '../../lib/data/tar';
import { header, setChecksum, writeTar } from './helpers/tar-writer';

// Feeds bytes in fixed-size pieces, counting how many the reader pulled (to see backpressure and early stops).
function chunked(bytes: Buffer, size: number, pulled = { count: 0, returned: false }): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      let offset = 0;
      return {
        async next() {
          if (offset >= bytes.length) return { done: true, value: undefined };
          pulled.count++;
          const piece = new Uint8Array(bytes.subarray(offset, offset + size));
          offset += size;
          return { done: false, value: piece };
        },
        async return() {
          pulled.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Array<TarEntry & { body: string }>> {
  const out: Array<TarEntry & { body: string }> = [];
  for await (const member of readTarEntries(source, 'test.tar')) {
    const { read: _read, pieces: _pieces, ...entry } = member;
    out.push({ ...entry, body: (await member.read()).toString('utf8') });
  }
  return out;
}

const longDir = 'aclImdb/' + 'a-very-long-folder-name-'.repeat(6);
const files = [
  { name: 'top/', type: '5' as const },
  { name: 'top/short.txt', body: 'hello' },
  { name: 'top/empty.txt', body: '' },
  { name: 'top/exact-block.txt', body: 'x'.repeat(512) },
  { name: `${longDir}/gnu-long-name.txt`, body: 'gnu body', longName: 'gnu' as const },
  { name: `${longDir}/pax-long-name-é.txt`, body: 'pax body', longName: 'pax' as const },
  { name: `${longDir}/prefix-name.txt`, body: 'prefix body', longName: 'prefix' as const },
  { name: 'top/link', type: '2' as const, linkName: 'short.txt' },
  { name: 'top/ünïcode ☕.txt', body: 'ünïcode ☕ body' },
];

describe('readTarEntries', () => {
  it('reads ustar, GNU long names, pax paths, ustar prefixes, links and pax globals', async () => {
    const tar = writeTar(files, { globalPax: { comment: 'a global record' } });
    const entries = await readAll(chunked(tar, 4096));
    expect(entries.map((e) => [e.name, e.type, e.body])).toEqual([
      ['top/', 'directory', ''],
      ['top/short.txt', 'file', 'hello'],
      ['top/empty.txt', 'file', ''],
      ['top/exact-block.txt', 'file', 'x'.repeat(512)],
      [`${longDir}/gnu-long-name.txt`, 'file', 'gnu body'],
      [`${longDir}/pax-long-name-é.txt`, 'file', 'pax body'],
      [`${longDir}/prefix-name.txt`, 'file', 'prefix body'],
      ['top/link', 'symlink', ''],
      ['top/ünïcode ☕.txt', 'file', 'ünïcode ☕ body'],
    ]);
    expect(entries[7].linkName).toBe('short.txt');
    expect(entries[1].mode).toBe(0o644);
    expect(entries[1].mtime).toBe(1306886400);
  });

  it('gives the same entries whatever the chunking of the input (1, 7, 511, 513 bytes) and with GNU magic', async () => {
    const tar = writeTar(files);
    const expected = await readAll(chunked(tar, 1 << 16));
    for (const size of [1, 7, 511, 513]) expect(await readAll(chunked(tar, size))).toEqual(expected);
    const gnu = await readAll(chunked(writeTar(files.filter((f) => f.longName !== 'prefix'), { gnuMagic: true }), 100));
    expect(gnu.map((e) => e.name)).toEqual(expected.filter((e) => !e.name.endsWith('prefix-name.txt')).map((e) => e.name));
  });

  it('applies pax size and mtime overrides, and an empty pax value cancels a global one', async () => {
    const tar = writeTar([{ name: 'a.txt', body: 'abc', pax: { mtime: '12345.75', size: '3' } }, { name: 'b.txt', body: 'b', pax: { comment: '' } }], {
      globalPax: { comment: 'x' },
    });
    const entries = await readAll(chunked(tar, 64));
    expect(entries.map((e) => [e.name, e.size, e.mtime, e.body])).toEqual([
      ['a.txt', 3, 12345, 'abc'],
      ['b.txt', 1, 1306886400, 'b'],
    ]);
  });

  it('streams a member in pieces and skips unread bodies', async () => {
    const big = Buffer.alloc(100_000, 'z');
    const tar = writeTar([{ name: 'big.bin', body: big }, { name: 'skipped.bin', body: big }, { name: 'last.txt', body: 'end' }]);
    const seen: string[] = [];
    for await (const member of readTarEntries(chunked(tar, 4096), 'test.tar')) {
      if (member.name === 'big.bin') {
        let total = 0;
        for await (const piece of member.pieces()) total += piece.length;
        seen.push(`${member.name}:${total}`);
      } else if (member.name === 'last.txt') seen.push(`${member.name}:${(await member.read()).toString()}`);
      else seen.push(`${member.name}:unread`);
    }
    expect(seen).toEqual(['big.bin:100000', 'skipped.bin:unread', 'last.txt:end']);
  });

  it('pulls input only as it is consumed (backpressure) and closes the source when the caller stops', async () => {
    const members = Array.from({ length: 200 }, (_, i) => ({ name: `f${i}.txt`, body: 'y'.repeat(3000) }));
    const tar = writeTar(members);
    const pulled = { count: 0, returned: false };
    const iterator = readTarEntries(chunked(tar, 1024, pulled), 'test.tar');
    const first = await iterator.next();
    expect(first.done).toBe(false);
    // One header block was needed for the first member: one 1 KiB piece, out of ~700 in the archive.
    expect(pulled.count).toBeLessThanOrEqual(2);
    await iterator.return(undefined);
    expect(pulled.returned).toBe(true);
  });

  it('refuses to read a member body once the iteration has moved on', async () => {
    const tar = writeTar([{ name: 'a.txt', body: 'a' }, { name: 'b.txt', body: 'b' }]);
    const held = [];
    for await (const member of readTarEntries(chunked(tar, 512), 'test.tar')) held.push(member);
    await expect(held[0].read()).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('readTarEntries on damaged archives', () => {
  const tar = writeTar([{ name: 'a.txt', body: 'a'.repeat(700) }, { name: 'b.txt', body: 'bbb' }]);
  const expectArchiveError = async (bytes: Buffer, code: string, reason: RegExp): Promise<void> => {
    const error = await readAll(chunked(bytes, 300)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArchiveError);
    expect(error).toMatchObject({ code, file: 'test.tar' });
    expect((error as ArchiveError).reason).toMatch(reason);
  };

  it('rejects a bad header checksum, naming the entry', async () => {
    const bad = Buffer.from(tar);
    bad[1536 + 5] ^= 0x01; // a byte of b.txt's name field, after a.txt's header + 2 body blocks
    await expectArchiveError(bad, 'ERR_BERTNODE_ARCHIVE_CHECKSUM', /checksum at offset 1536 \(entry 'b\.t/);
  });

  it('rejects an archive cut inside a header', async () => {
    await expectArchiveError(tar.subarray(0, 1536 + 100), 'ERR_BERTNODE_ARCHIVE_TRUNCATED', /inside a header at offset 1536/);
  });

  it('rejects an archive cut inside a member', async () => {
    await expectArchiveError(tar.subarray(0, 512 + 300), 'ERR_BERTNODE_ARCHIVE_TRUNCATED', /inside member 'a\.txt' \(300 of 700 bytes\)/);
  });

  it('rejects an archive cut inside the padding after a member', async () => {
    await expectArchiveError(tar.subarray(0, 512 + 800), 'ERR_BERTNODE_ARCHIVE_TRUNCATED', /padding after member 'a\.txt'/);
  });

  it('rejects an archive without its end-of-archive block', async () => {
    await expectArchiveError(tar.subarray(0, tar.length - 1024), 'ERR_BERTNODE_ARCHIVE_TRUNCATED', /without its end-of-archive block/);
  });

  it('rejects a non-octal size field and a malformed pax record', async () => {
    const badSize = Buffer.from(tar);
    badSize.write('12345678', 124, 'latin1');
    badSize[124] = 0x39; // '9' is not an octal digit
    setChecksum(badSize.subarray(0, 512));
    await expectArchiveError(badSize, 'ERR_BERTNODE_ARCHIVE_HEADER', /bad 'size' field/);

    const paxBody = Buffer.from('99 path=x\n');
    const pax = Buffer.concat([header('PaxHeader/x', 'x', paxBody.length, 'posix'), paxBody, Buffer.alloc(512 - paxBody.length), tar]);
    await expectArchiveError(pax, 'ERR_BERTNODE_ARCHIVE_HEADER', /malformed pax record/);
  });

  it('rejects an oversized metadata entry without reading it', async () => {
    const huge = header('././@LongLink', 'L', 1 << 30, 'gnu');
    await expectArchiveError(Buffer.concat([huge, Buffer.alloc(1024)]), 'ERR_BERTNODE_ARCHIVE_HEADER', /more than the \d+ allowed/);
  });
});

describe('openTarStream', () => {
  const tar = writeTar([{ name: 'a.txt', body: 'a'.repeat(5000) }, { name: 'b.txt', body: 'b' }]);

  it('inflates gzip by magic bytes and passes a plain tar through', async () => {
    const fromGzip = await readAll(openTarStream(chunked(gzipSync(tar), 100), 'test.tar'));
    const fromTar = await readAll(openTarStream(chunked(tar, 100), 'test.tar'));
    expect(fromGzip.map((e) => e.name)).toEqual(['a.txt', 'b.txt']);
    expect(fromGzip).toEqual(fromTar);
  });

  it('turns corrupt and cut-off gzip into ArchiveError ERR_BERTNODE_ARCHIVE_GZIP', async () => {
    const gz = gzipSync(tar);
    const corrupt = Buffer.from(gz);
    for (let i = 20; i < 60; i++) corrupt[i] ^= 0x5a;
    for (const bytes of [corrupt, gz.subarray(0, gz.length - 30)]) {
      await expect(readAll(openTarStream(chunked(bytes, 64), 'x.tar.gz'))).rejects.toMatchObject({
        name: 'ArchiveError',
        code: 'ERR_BERTNODE_ARCHIVE_GZIP',
        file: 'x.tar.gz',
      });
    }
  });

  it('checks the gzip CRC even though the tar ends before the gzip stream does', async () => {
    // Stored (level 0) deflate blocks: a flipped text byte inflates fine and only the CRC in the trailer,
    // which comes after the tar's end-of-archive blocks, can catch it.
    // 60 end blocks (30 KiB of zeros, like a tar record) put the trailer well after the end marker.
    const gz = gzipSync(writeTar([{ name: 'a.txt', body: 'a'.repeat(5000) }], { endBlocks: 60 }), { level: 0 });
    const flipped = Buffer.from(gz);
    flipped[gz.indexOf(Buffer.from('aaaa')) + 100] ^= 0x01;
    await expect(readAll(openTarStream(chunked(flipped, 1024), 'x.tar.gz'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_ARCHIVE_GZIP' });
    expect((await readAll(openTarStream(chunked(gz, 1024), 'x.tar.gz'))).map((e) => e.name)).toEqual(['a.txt']);
  });

  it('rejects an empty input', async () => {
    await expect(readAll(openTarStream(chunked(Buffer.alloc(0), 64), 'x.tar.gz'))).rejects.toMatchObject({
      code: 'ERR_BERTNODE_ARCHIVE_TRUNCATED',
      reason: 'the archive is empty',
    });
  });
});

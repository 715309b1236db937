// Opens a tar or tar.gz archive (a path or a byte stream, e.g. a download) as a stream of raw tar bytes.
// gzip is recognised by its magic bytes, not by the file name, and inflated on the fly; nothing is extracted.

import { createReadStream, promises as fsp } from 'node:fs';
import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ArchiveError, DataFormatError } from '../errors';

export type ArchiveSource = string | AsyncIterable<Uint8Array>;

// Uncompressed tar bytes of `source`. zlib failures (corrupt deflate data, bad CRC, cut-off gzip) become an
// ArchiveError naming the archive; stopping the iteration early destroys every stream behind it.
export async function* openTarStream(source: ArchiveSource, archiveName: string): AsyncGenerator<Buffer> {
  const input = typeof source === 'string' ? await openFile(source) : source;
  const iterator = input[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) {
    throw new ArchiveError('ERR_BERTNODE_ARCHIVE_TRUNCATED', archiveName, 'the archive is empty');
  }
  const head = toBuffer(first.value);
  const rest = (async function* () {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield toBuffer(next.value);
    }
  })();
  if (!(head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)) {
    yield* rest;
    return;
  }
  const gunzip = createGunzip();
  const compressed = Readable.from(rest, { objectMode: false });
  // pipeline destroys both streams when either fails or when the consumer stops reading the gunzip side.
  pipeline(compressed, gunzip, () => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    if (isZlibError(error)) {
      throw new ArchiveError('ERR_BERTNODE_ARCHIVE_GZIP', archiveName, `corrupt gzip data: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  } finally {
    compressed.destroy();
    await iterator.return?.();
  }
}

async function openFile(path: string): Promise<AsyncIterable<Uint8Array>> {
  try {
    const stat = await fsp.stat(path);
    if (!stat.isFile()) throw new DataFormatError('ERR_BERTNODE_DATA_NOT_FOUND', path, 'not a file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DataFormatError('ERR_BERTNODE_DATA_NOT_FOUND', path, 'no such file', { cause: error });
    }
    throw error;
  }
  return createReadStream(path, { highWaterMark: 1 << 16 });
}

function isZlibError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function toBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

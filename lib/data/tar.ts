// Streaming tar reader: ustar, GNU long names/links ('L'/'K'), pax extended and global headers ('x'/'g').
// Every header's checksum is verified, members are padded to 512-byte blocks, and the archive ends at the first
// all-zero block (as Python's tarfile does; writers put two there); what follows it is read and dropped. Memory holds one header, one pax/long-name
// body (capped) and whatever part of a member the caller asks for.

import { ArchiveError, ValidationError } from '../errors';
import { ChunkReader } from './chunk-reader';

const BLOCK = 512;
// GNU long names and pax records are metadata; anything bigger than this is a damaged or hostile archive.
const MAX_METADATA_BYTES = 1 << 20;
const MAX_TRAILER_BYTES = 1 << 20;

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  name: string;
  type: TarEntryType;
  // The raw type flag ('0', '5', 'S' ...), for callers that care about the exotic ones.
  typeFlag: string;
  size: number;
  mode: number;
  mtime: number;
  linkName: string;
  // Offset of the entry's own header in the uncompressed tar stream.
  headerOffset: number;
}

// A member, valid until the caller asks for the next one. Its body can be read once, whole or in pieces;
// unread bytes are skipped when the iteration moves on.
export interface TarMember extends TarEntry {
  read(): Promise<Buffer>;
  pieces(): AsyncGenerator<Buffer>;
}

export async function* readTarEntries(source: AsyncIterable<Uint8Array>, archiveName: string): AsyncGenerator<TarMember> {
  const reader = new ChunkReader(source);
  const globalPax = new Map<string, string>();
  let pending: { pax: Map<string, string>; longName?: string; longLink?: string } = { pax: new Map() };
  try {
    for (;;) {
      const headerOffset = reader.offset;
      const header = await reader.read(BLOCK);
      if (header.length === 0) {
        throw new ArchiveError('ERR_BERTNODE_ARCHIVE_TRUNCATED', archiveName,
          `the tar stream ends at offset ${headerOffset} without its end-of-archive block`);
      }
      if (header.length < BLOCK) {
        throw new ArchiveError('ERR_BERTNODE_ARCHIVE_TRUNCATED', archiveName,
          `the tar stream ends inside a header at offset ${headerOffset} (${header.length} of ${BLOCK} bytes)`);
      }
      if (isZeroBlock(header)) {
        // Read on to the end (the second zero block and the record padding) so that a gzip layer below reaches
        // its trailer and checks the CRC of everything it inflated; a flipped byte inside a stored member is
        // caught only there. Writers pad to a 10 KiB record; more than MAX_TRAILER_BYTES after the marker is not
        // an archive's padding (a gzip bomb of zeros would otherwise be inflated to the end) and is left unread.
        await reader.skip(MAX_TRAILER_BYTES);
        return;
      }
      const raw = parseHeader(header, archiveName, headerOffset);

      if (raw.typeFlag === 'L' || raw.typeFlag === 'K' || raw.typeFlag === 'x' || raw.typeFlag === 'g') {
        const body = await readMetadataBody(reader, raw.size, raw.name, archiveName, headerOffset);
        if (raw.typeFlag === 'L') pending.longName = cString(body);
        else if (raw.typeFlag === 'K') pending.longLink = cString(body);
        else parsePax(body, raw.typeFlag === 'g' ? globalPax : pending.pax, archiveName, headerOffset);
        continue;
      }

      const pax = new Map([...globalPax, ...pending.pax]);
      const size = pax.has('size') ? paxNumber(pax.get('size') as string, 'size', archiveName, headerOffset) : raw.size;
      const entry: TarEntry = {
        name: pax.get('path') ?? pending.longName ?? raw.name,
        type: entryType(raw.typeFlag),
        typeFlag: raw.typeFlag,
        size,
        mode: raw.mode,
        mtime: pax.has('mtime') ? Math.floor(Number(pax.get('mtime'))) : raw.mtime,
        linkName: pax.get('linkpath') ?? pending.longLink ?? raw.linkName,
        headerOffset,
      };
      pending = { pax: new Map() };

      let left = size;
      let current = true;
      const truncated = (): ArchiveError =>
        new ArchiveError('ERR_BERTNODE_ARCHIVE_TRUNCATED', archiveName,
          `the tar stream ends inside member '${entry.name}' (${size - left} of ${size} bytes)`);
      const checkCurrent = (): void => {
        if (!current) throw new ValidationError(`the body of tar member '${entry.name}' was read after moving to the next member`);
        if (left !== size) throw new ValidationError(`the body of tar member '${entry.name}' can be read only once`);
      };
      const member: TarMember = {
        ...entry,
        async read() {
          checkCurrent();
          const body = await reader.read(size);
          left -= body.length;
          if (left > 0) throw truncated();
          return body;
        },
        async *pieces() {
          checkCurrent();
          for await (const piece of reader.pieces(size)) {
            left -= piece.length;
            yield piece;
          }
          if (left > 0) throw truncated();
        },
      };
      yield member;
      current = false;
      left -= await reader.skip(left);
      if (left > 0) throw truncated();
      const padding = padTo512(size);
      if ((await reader.skip(padding)) < padding) {
        throw new ArchiveError('ERR_BERTNODE_ARCHIVE_TRUNCATED', archiveName,
          `the tar stream ends inside the padding after member '${entry.name}'`);
      }
    }
  } finally {
    await reader.close();
  }
}

interface RawHeader {
  name: string;
  typeFlag: string;
  size: number;
  mode: number;
  mtime: number;
  linkName: string;
}

function parseHeader(h: Buffer, archiveName: string, offset: number): RawHeader {
  const stored = octalField(h, 148, 8, 'checksum', archiveName, offset);
  const { unsigned, signed } = headerChecksums(h);
  const shortName = cString(h.subarray(0, 100));
  if (stored !== unsigned && stored !== signed) {
    throw new ArchiveError('ERR_BERTNODE_ARCHIVE_CHECKSUM', archiveName,
      `bad header checksum at offset ${offset} (entry '${shortName}'): stored ${stored}, computed ${unsigned}`);
  }
  const magic = h.toString('latin1', 257, 263);
  // POSIX ustar splits long paths into prefix + name; GNU tar ("ustar  ") uses that area for other fields.
  const prefix = magic === 'ustar\0' ? cString(h.subarray(345, 500)) : '';
  const flag = h[156] === 0 ? '0' : String.fromCharCode(h[156]);
  return {
    name: prefix ? `${prefix}/${shortName}` : shortName,
    typeFlag: flag,
    size: numericField(h, 124, 12, 'size', archiveName, offset),
    mode: octalField(h, 100, 8, 'mode', archiveName, offset),
    mtime: numericField(h, 136, 12, 'mtime', archiveName, offset),
    linkName: cString(h.subarray(157, 257)),
  };
}

// The checksum is the byte sum of the header with its own 8-byte field counted as spaces. Some old writers
// summed signed chars, so both sums are accepted, as GNU tar and Python's tarfile do.
function headerChecksums(h: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

// Octal digits padded by spaces or NULs; GNU base-256 (high bit set) for values that do not fit.
function numericField(h: Buffer, start: number, length: number, field: string, archiveName: string, offset: number): number {
  if (h[start] & 0x80) {
    if (h[start] === 0xff) throw badField(field, 'negative base-256 value', archiveName, offset);
    let value = h[start] & 0x7f;
    for (let i = start + 1; i < start + length; i++) value = value * 256 + h[i];
    if (!Number.isSafeInteger(value)) throw badField(field, 'base-256 value too large', archiveName, offset);
    return value;
  }
  return octalField(h, start, length, field, archiveName, offset);
}

function octalField(h: Buffer, start: number, length: number, field: string, archiveName: string, offset: number): number {
  const text = h.toString('latin1', start, start + length).replace(/^[ \0]+|[ \0]+$/g, '');
  const end = text.indexOf('\0');
  const digits = end === -1 ? text : text.slice(0, end);
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw badField(field, `'${digits}' is not octal`, archiveName, offset);
  return parseInt(digits, 8);
}

function badField(field: string, why: string, archiveName: string, offset: number): ArchiveError {
  return new ArchiveError('ERR_BERTNODE_ARCHIVE_HEADER', archiveName, `bad '${field}' field in the header at offset ${offset}: ${why}`);
}

async function readMetadataBody(reader: ChunkReader, size: number, kind: string, archiveName: string, offset: number): Promise<Buffer> {
  if (size > MAX_METADATA_BYTES) {
    throw new ArchiveError('ERR_BERTNODE_ARCHIVE_HEADER', archiveName,
      `metadata entry at offset ${offset} is ${size} bytes, more than the ${MAX_METADATA_BYTES} allowed`);
  }
  const body = await reader.read(size);
  const padding = padTo512(size);
  if (body.length < size || (await reader.skip(padding)) < padding) {
    throw new ArchiveError('ERR_BERTNODE_ARCHIVE_TRUNCATED', archiveName,
      `the tar stream ends inside the metadata entry '${kind}' at offset ${offset}`);
  }
  return Buffer.from(body);
}

// pax records are "<length> <key>=<value>\n", the length counting the whole record in bytes. An empty value
// removes the key (POSIX: it cancels a global value for the following member).
function parsePax(body: Buffer, into: Map<string, string>, archiveName: string, offset: number): void {
  let pos = 0;
  while (pos < body.length) {
    if (body[pos] === 0) break; // some writers NUL-pad the record block
    const space = body.indexOf(0x20, pos);
    const lengthText = space === -1 ? '' : body.toString('latin1', pos, space);
    const length = /^[0-9]+$/.test(lengthText) ? parseInt(lengthText, 10) : NaN;
    if (!(length > space - pos + 1) || pos + length > body.length || body[pos + length - 1] !== 0x0a) {
      throw new ArchiveError('ERR_BERTNODE_ARCHIVE_HEADER', archiveName, `malformed pax record at offset ${offset} (record byte ${pos})`);
    }
    const record = body.toString('utf8', space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq <= 0) {
      throw new ArchiveError('ERR_BERTNODE_ARCHIVE_HEADER', archiveName, `pax record without key=value at offset ${offset}`);
    }
    const key = record.slice(0, eq);
    const value = record.slice(eq + 1);
    if (value === '') into.delete(key);
    else into.set(key, value);
    pos += length;
  }
}

function paxNumber(value: string, key: string, archiveName: string, offset: number): number {
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new ArchiveError('ERR_BERTNODE_ARCHIVE_HEADER', archiveName, `pax '${key}' is not a size: '${value}' at offset ${offset}`);
  }
  return Number(value);
}

function entryType(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '7': // contiguous file, a regular file everywhere that matters
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.toString('utf8', 0, end === -1 ? bytes.length : end);
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

function padTo512(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

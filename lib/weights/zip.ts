// A minimal zip reader for PyTorch archives: the central directory (zip64 included, which torch writes for
// files over 4 GB) gives each entry's local header; the local header gives where its bytes start. Entries are
// located, not loaded: stored entries are then read in place at their offset. Deflated entries (an archive
// re-zipped by another tool) are inflated when asked for.
import * as zlib from 'zlib';
import { WeightsFormatError } from '../errors';
import { openForRead, readExactly } from './tensor';

export interface ZipEntry {
  name: string;
  method: number; // 0 stored, 8 deflate
  compressedSize: number;
  size: number;
  crc32: number;
  dataOffset: number; // absolute offset of the entry's (possibly compressed) bytes
}

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

export async function readZipDirectory(file: string): Promise<Map<string, ZipEntry>> {
  const fh = await openForRead(file);
  try {
    const fileSize = (await fh.stat()).size;
    const fail = (reason: string): never => {
      throw new WeightsFormatError(file, `corrupt zip: ${reason}`);
    };
    if (fileSize < EOCD_MIN) fail(`file is ${fileSize} bytes, too short for a zip`);
    const tailLen = Math.min(fileSize, EOCD_MIN + MAX_COMMENT);
    const tail = Buffer.alloc(tailLen);
    await readExactly(fh, file, tail, fileSize - tailLen);
    let eocd = -1;
    for (let i = tailLen - EOCD_MIN; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) { eocd = i; break; }
    }
    if (eocd < 0) fail('no end-of-central-directory record');

    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== ZIP64_LOCATOR_SIG) fail('zip64 sizes without a zip64 locator');
      const z64Offset = safeNumber(tail.readBigUInt64LE(loc + 8), fail);
      const z64 = Buffer.alloc(56);
      if (z64Offset + 56 > fileSize) fail('zip64 record past the end of the file');
      await readExactly(fh, file, z64, z64Offset);
      if (z64.readUInt32LE(0) !== ZIP64_EOCD_SIG) fail('bad zip64 end-of-central-directory signature');
      count = safeNumber(z64.readBigUInt64LE(32), fail);
      cdSize = safeNumber(z64.readBigUInt64LE(40), fail);
      cdOffset = safeNumber(z64.readBigUInt64LE(48), fail);
    }
    if (cdOffset + cdSize > fileSize) fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end (${fileSize} bytes)`);
    const cd = Buffer.alloc(cdSize);
    await readExactly(fh, file, cd, cdOffset);

    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) fail(`central directory entry ${i} is malformed`);
      const method = cd.readUInt16LE(p + 10);
      const crc32 = cd.readUInt32LE(p + 16);
      let compressedSize = cd.readUInt32LE(p + 20);
      let size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localOffset = cd.readUInt32LE(p + 42);
      if (p + 46 + nameLen + extraLen + commentLen > cd.length) fail(`central directory entry ${i} runs past the directory`);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // zip64 extra field: the 64-bit values, in this order, for exactly the 32-bit fields that are saturated.
      const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
      for (let e = 0; e + 4 <= extra.length;) {
        const id = extra.readUInt16LE(e);
        const len = extra.readUInt16LE(e + 2);
        if (id === 0x0001) {
          let q = e + 4;
          const next = (): number => {
            if (q + 8 > Math.min(e + 4 + len, extra.length)) fail(`zip64 extra field of '${name}' is too short`);
            q += 8;
            return safeNumber(extra.readBigUInt64LE(q - 8), fail);
          };
          if (size === 0xffffffff) size = next();
          if (compressedSize === 0xffffffff) compressedSize = next();
          if (localOffset === 0xffffffff) localOffset = next();
        }
        e += 4 + len;
      }
      p += 46 + nameLen + extraLen + commentLen;
      if (method !== 0 && method !== 8) fail(`entry '${name}' uses compression method ${method} (only stored and deflate are supported)`);
      entries.set(name, { name, method, compressedSize, size, crc32, dataOffset: localOffset });
    }

    for (const entry of entries.values()) {
      const local = Buffer.alloc(30);
      if (entry.dataOffset + 30 > fileSize) fail(`local header of '${entry.name}' is past the end of the file`);
      await readExactly(fh, file, local, entry.dataOffset);
      if (local.readUInt32LE(0) !== LOCAL_SIG) fail(`bad local header signature for '${entry.name}'`);
      entry.dataOffset += 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      if (entry.dataOffset + entry.compressedSize > fileSize) {
        fail(`entry '${entry.name}' [${entry.dataOffset}, ${entry.dataOffset + entry.compressedSize}) runs past the end (${fileSize} bytes)`);
      }
      if (entry.method === 0 && entry.compressedSize !== entry.size) fail(`stored entry '${entry.name}' has two different sizes`);
    }
    return entries;
  } finally {
    await fh.close();
  }
}

// Deflate cannot expand a byte into more than 1032 (RFC 1951: a 258-byte match per 2-bit code at best, rounded
// up): an entry that claims more than that is refused before any inflating.
const MAX_DEFLATE_RATIO = 1032;

// Reads a whole entry into memory (used for the pickle and for deflated storages), checking its CRC-32. `maxBytes`
// is the most the entry can legitimately hold (the caller knows: a few bytes for `byteorder`, the declared size
// for a storage); a directory claiming more is refused before a byte is read, and inflating stops at the claimed
// size, so a zip bomb costs at most `maxBytes` of memory.
export async function readZipEntry(file: string, entry: ZipEntry, maxBytes: number): Promise<Buffer> {
  const fail = (reason: string): never => {
    throw new WeightsFormatError(file, `corrupt zip: '${entry.name}' ${reason}`);
  };
  if (entry.size > maxBytes) fail(`claims ${entry.size} bytes, more than such an entry can hold (${maxBytes})`);
  if (entry.method === 8 && entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 16) {
    fail(`claims ${entry.size} bytes from ${entry.compressedSize} deflated bytes, more than deflate can produce`);
  }
  const fh = await openForRead(file);
  let raw: Buffer;
  try {
    raw = Buffer.alloc(entry.compressedSize);
    await readExactly(fh, file, raw, entry.dataOffset);
  } finally {
    await fh.close();
  }
  let data = raw;
  if (entry.method === 8) {
    try {
      data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) });
    } catch (e) {
      fail(`cannot be inflated: ${(e as Error).message}`);
    }
  }
  if (data.length !== entry.size) fail(`has ${data.length} bytes, the directory says ${entry.size}`);
  if (crc32(data) !== entry.crc32) throw new WeightsFormatError(file, `corrupt zip: CRC-32 mismatch in '${entry.name}'`);
  return data;
}

// CRC-32 (IEEE, reflected), as zip stores it. zlib.crc32 only exists from Node 20.15; package.json allows 18.
let crcTable: Uint32Array | undefined;
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function safeNumber(v: bigint, fail: (reason: string) => never): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`64-bit field ${v} is too large`);
  return Number(v);
}

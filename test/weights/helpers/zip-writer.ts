// A minimal zip writer (the layout of APPNOTE 4.3/4.5) for tests and fuzz seeds: stored or deflated entries,
// optionally in zip64 form (every 32-bit field saturated, as torch writes past 4 GB). An entry may bring its own
// compressed bytes and claimed size, to build archives whose directory lies (zip bombs).
import * as zlib from 'zlib';
import { crc32 } from '../../../lib/weights/zip';

export interface ZipWriterEntry {
  name: string;
  data: Buffer;
  // Already-deflated bytes to store instead of deflating `data`; `size` and `crc` are then what the directory says.
  deflated?: Buffer;
  size?: number;
  crc?: number;
}

function u16(v: number) { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; }
function u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; }
function u64(v: number) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; }

export function writeZip(entries: ZipWriterEntry[], opts: { deflate: boolean; zip64: boolean }): Buffer {
  const SAT32 = 0xffffffff;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const deflate = opts.deflate || entry.deflated !== undefined;
    const body = entry.deflated ?? (opts.deflate ? zlib.deflateRawSync(entry.data) : entry.data);
    const size = entry.size ?? entry.data.length;
    const crc = entry.crc ?? crc32(entry.data);
    const nameBuf = Buffer.from(entry.name);
    const method = deflate ? 8 : 0;
    const localExtra = opts.zip64 ? Buffer.concat([u16(1), u16(16), u64(size), u64(body.length)]) : Buffer.alloc(0);
    const local = Buffer.concat([u32(0x04034b50), u16(45), u16(0), u16(method), u16(0), u16(0), u32(crc),
      u32(opts.zip64 ? SAT32 : body.length), u32(opts.zip64 ? SAT32 : size), u16(nameBuf.length), u16(localExtra.length),
      nameBuf, localExtra]);
    const cdExtra = opts.zip64 ? Buffer.concat([u16(1), u16(24), u64(size), u64(body.length), u64(offset)]) : Buffer.alloc(0);
    central.push(Buffer.concat([u32(0x02014b50), u16(45), u16(45), u16(0), u16(method), u16(0), u16(0), u32(crc),
      u32(opts.zip64 ? SAT32 : body.length), u32(opts.zip64 ? SAT32 : size), u16(nameBuf.length), u16(cdExtra.length),
      u16(0), u16(0), u16(0), u32(0), u32(opts.zip64 ? SAT32 : offset), nameBuf, cdExtra]));
    parts.push(local, body);
    offset += local.length + body.length;
  }
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  const tail: Buffer[] = [cd];
  if (opts.zip64) {
    const z64Offset = cdOffset + cd.length;
    tail.push(Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(entries.length), u64(entries.length),
      u64(cd.length), u64(cdOffset)]));
    tail.push(Buffer.concat([u32(0x07064b50), u32(0), u64(z64Offset), u32(1)]));
    tail.push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(0xffff), u16(0xffff), u32(SAT32), u32(SAT32), u16(0)]));
  } else {
    tail.push(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(entries.length), u16(entries.length), u32(cd.length), u32(cdOffset), u16(0)]));
  }
  return Buffer.concat([...parts, ...tail]);
}

// `bytes` zero bytes as one raw deflate stream, without ever holding them: one zero chunk deflated into a
// non-final block (sync flush), repeated, then deflate's empty final block. Blocks never refer across chunks.
export function deflatedZeros(bytes: number): Buffer {
  const chunk = Buffer.alloc(Math.min(bytes, 1 << 24));
  const out: Buffer[] = [];
  for (let left = bytes; left > 0; left -= chunk.length) {
    out.push(zlib.deflateRawSync(chunk.subarray(0, Math.min(left, chunk.length)), { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  }
  out.push(zlib.deflateRawSync(Buffer.alloc(0)));
  return Buffer.concat(out);
}

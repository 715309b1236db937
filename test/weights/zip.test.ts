// The zip reader beyond what torch.save writes for small files: the fixture checkpoint's entries re-packed here
// as deflated entries (an archive re-zipped by another tool) and in zip64 form (what torch writes past 4 GB,
// with every 32-bit field saturated), must give the same tensors.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { readPytorchBin } from '../../lib/weights';
import { crc32, readZipDirectory, readZipEntry } from '../../lib/weights/zip';

const SOURCE = path.join(__dirname, '..', 'fixtures', 'weights', 'pytorch-zip', 'pytorch_model.bin');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-zip-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function u16(v: number) { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; }
function u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32LE(v); return b; }
function u64(v: number) { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); return b; }

// A minimal zip writer (the layout of APPNOTE 4.3/4.5), enough to build the two archives under test.
function writeZip(entries: Array<{ name: string; data: Buffer }>, opts: { deflate: boolean; zip64: boolean }): Buffer {
  const SAT32 = 0xffffffff;
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const body = opts.deflate ? zlib.deflateRawSync(data) : data;
    const crc = crc32(data);
    const nameBuf = Buffer.from(name);
    const method = opts.deflate ? 8 : 0;
    const localExtra = opts.zip64 ? Buffer.concat([u16(1), u16(16), u64(data.length), u64(body.length)]) : Buffer.alloc(0);
    const local = Buffer.concat([u32(0x04034b50), u16(45), u16(0), u16(method), u16(0), u16(0), u32(crc),
      u32(opts.zip64 ? SAT32 : body.length), u32(opts.zip64 ? SAT32 : data.length), u16(nameBuf.length), u16(localExtra.length),
      nameBuf, localExtra]);
    const cdExtra = opts.zip64 ? Buffer.concat([u16(1), u16(24), u64(data.length), u64(body.length), u64(offset)]) : Buffer.alloc(0);
    central.push(Buffer.concat([u32(0x02014b50), u16(45), u16(45), u16(0), u16(method), u16(0), u16(0), u32(crc),
      u32(opts.zip64 ? SAT32 : body.length), u32(opts.zip64 ? SAT32 : data.length), u16(nameBuf.length), u16(cdExtra.length),
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

async function tensorsOf(file: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const t of await readPytorchBin(file)) if (t.dtype === 'F32') out.set(t.name, await t.read());
  return out;
}

test('crc32 matches the standard check value', () => {
  expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
});

test.each([
  ['deflated', { deflate: true, zip64: false }],
  ['zip64', { deflate: false, zip64: true }],
  ['deflated zip64', { deflate: true, zip64: true }],
])('a %s re-pack of a torch.save archive gives the same tensors', async (label, opts) => {
  const directory = await readZipDirectory(SOURCE);
  const entries = [];
  for (const entry of directory.values()) entries.push({ name: entry.name, data: await readZipEntry(SOURCE, entry) });
  const file = path.join(tmp, `${label.replace(/ /g, '-')}.bin`);
  fs.writeFileSync(file, writeZip(entries, opts));

  const repacked = await readZipDirectory(file);
  expect([...repacked.keys()]).toEqual([...directory.keys()]);
  for (const e of repacked.values()) expect(e.method).toBe(opts.deflate ? 8 : 0);

  const want = await tensorsOf(SOURCE);
  const got = await tensorsOf(file);
  expect(got.size).toBe(want.size);
  expect(got.size).toBeGreaterThan(30);
  for (const [name, data] of want) expect([name, got.get(name)]).toEqual([name, data]);
});

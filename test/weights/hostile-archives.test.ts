// pytorch_model.bin files built to exhaust time or memory, or to reach an error that is not a bertnode error
// (issue 12, items 5, 6 and 10): each must end quickly in a WeightsFormatError.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WeightsFormatError } from '../../lib/errors';
import { readPytorchBin } from '../../lib/weights';
import { readZipDirectory, readZipEntry } from '../../lib/weights/zip';
import { stateDictPickle } from './helpers/state-dict-pickle';
import { deflatedZeros, writeZip, ZipWriterEntry } from './helpers/zip-writer';

const SOURCE = path.join(__dirname, '..', 'fixtures', 'weights', 'pytorch-zip', 'pytorch_model.bin');
let tmp: string;
let fixture: ZipWriterEntry[];
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-hostile-zip-'));
  fixture = [];
  for (const entry of (await readZipDirectory(SOURCE)).values()) {
    fixture.push({ name: entry.name, data: await readZipEntry(SOURCE, entry, entry.size) });
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// The fixture archive with some entries replaced.
function archive(name: string, replace: Record<string, Partial<ZipWriterEntry>>): string {
  const entries = fixture.map((e) => ({ ...e, ...replace[e.name.slice('pytorch_model/'.length)] }));
  const file = path.join(tmp, name);
  fs.writeFileSync(file, writeZip(entries, { deflate: false, zip64: false }));
  return file;
}

async function failure(file: string): Promise<{ error: unknown; ms: number; rssGrowth: number }> {
  const rss = process.memoryUsage().rss;
  const start = Date.now();
  let error: unknown;
  try {
    for (const r of await readPytorchBin(file)) await r.read();
  } catch (e) {
    error = e;
  }
  return { error, ms: Date.now() - start, rssGrowth: process.memoryUsage().rss - rss };
}

const PROTO2 = Buffer.from([0x80, 2]);
const STOP = Buffer.from([0x2e]);

test('a 200 KB LONG4 integer is refused at once (it took 31 s to build byte by byte)', async () => {
  const len = Buffer.alloc(4);
  len.writeInt32LE(200_000);
  const pickle = Buffer.concat([PROTO2, Buffer.from([0x8b]), len, Buffer.alloc(200_000, 0x7f), STOP]);
  const { error, ms } = await failure(archive('long4.bin', { 'data.pkl': { data: pickle } }));
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/integer of 200000 bytes/);
  expect(ms).toBeLessThan(2000);
});

test('300k items in one APPENDS give a typed error, not a stack overflow', async () => {
  const pickle = Buffer.concat([PROTO2, Buffer.from([0x5d, 0x28]), Buffer.alloc(300_000, 0x4e), Buffer.from([0x65]), STOP]);
  const { error } = await failure(archive('appends.bin', { 'data.pkl': { data: pickle } }));
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/does not hold a dict of tensors/);
});

test('a 200k-deep list as a persistent id gives a typed error, not a stack overflow', async () => {
  const depth = 200_000;
  const pickle = Buffer.concat([PROTO2, Buffer.alloc(depth, 0x5d), Buffer.alloc(depth - 1, 0x61), Buffer.from([0x51]), STOP]);
  const { error } = await failure(archive('deep.bin', { 'data.pkl': { data: pickle } }));
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/unexpected persistent id \[\[\[\.\.\.\]\]\]/);
});

test('a byteorder entry that inflates to 512 MB is refused before inflating (it ended in "Cannot create a string")', async () => {
  const size = 512 * 1024 * 1024;
  const { error, ms, rssGrowth } = await failure(archive('byteorder-bomb.bin', { byteorder: { deflated: deflatedZeros(size), size, crc: 0 } }));
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/'pytorch_model\/byteorder' claims 536870912 bytes, more than such an entry can hold \(16\)/);
  expect(ms).toBeLessThan(2000);
  expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
});

test('a data.pkl that inflates to 128 MB is refused before inflating', async () => {
  const size = 128 * 1024 * 1024;
  const { error, rssGrowth } = await failure(archive('pickle-bomb.bin', { 'data.pkl': { deflated: deflatedZeros(size), size, crc: 0 } }));
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/'pytorch_model\/data.pkl' claims 134217728 bytes, more than such an entry can hold/);
  expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
});

test('a deflated storage is inflated no further than its declared size', async () => {
  // Storage 0 holds 800 float32 (3200 bytes); its entry claims 64 MiB of zeros.
  const size = 64 * 1024 * 1024;
  const { error, rssGrowth } = await failure(archive('storage-bomb.bin', { 'data/0': { deflated: deflatedZeros(size), size, crc: 0 } }));
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/'pytorch_model\/data\/0' claims 67108864 bytes, more than such an entry can hold \(3200\)/);
  expect(rssGrowth).toBeLessThan(48 * 1024 * 1024);
});

test('a directory claiming more than deflate can produce is refused without inflating', async () => {
  const deflated = deflatedZeros(1000);
  const { error } = await failure(archive('ratio.bin', { 'data.pkl': { deflated, size: deflated.length * 2000, crc: 0 } }));
  expect((error as Error).message).toMatch(/more than deflate can produce/);
});

test('a view with a stride of 0 over a tiny storage cannot ask for gigabytes', async () => {
  const pickle = stateDictPickle([{ name: 'w', shape: [1 << 30], stride: [0], storageKey: '0', storageNumel: 800 }]);
  const { error, rssGrowth } = await failure(archive('stride0.bin', { 'data.pkl': { data: pickle } }));
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/tensor 'w' \[1073741824\] has more elements than its storage of 800/);
  expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
});

test('a legacy file whose pickle never ends is read no further than 64 MiB', async () => {
  // The legacy magic number's pickle, then a BINUNICODE8 that claims more bytes than the 80 MiB file holds.
  const claim = Buffer.alloc(8);
  claim.writeBigUInt64LE(1n << 40n);
  const head = Buffer.concat([Buffer.from('80028a0a6cfc9c46f9206aa85019', 'hex'), Buffer.from([0x8d]), claim]);
  const file = path.join(tmp, 'endless-legacy.bin');
  fs.writeFileSync(file, head);
  fs.truncateSync(file, 80 * 1024 * 1024);
  const { error, rssGrowth } = await failure(file);
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as Error).message).toMatch(/the pickles do not end within their first 67108864 bytes/);
  expect(rssGrowth).toBeLessThan(120 * 1024 * 1024); // the 64 MiB prefix and the 16 MiB one before it
});

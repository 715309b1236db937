// The zip reader beyond what torch.save writes for small files: the fixture checkpoint's entries re-packed here
// as deflated entries (an archive re-zipped by another tool) and in zip64 form (what torch writes past 4 GB,
// with every 32-bit field saturated), must give the same tensors.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPytorchBin } from '../../lib/weights';
import { crc32, readZipDirectory, readZipEntry } from '../../lib/weights/zip';
import { writeZip } from './helpers/zip-writer';

const SOURCE = path.join(__dirname, '..', 'fixtures', 'weights', 'pytorch-zip', 'pytorch_model.bin');
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-zip-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

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
  for (const entry of directory.values()) entries.push({ name: entry.name, data: await readZipEntry(SOURCE, entry, entry.size) });
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

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BertEmbedder } from '../../lib/tasks';
import { writeTinyModel } from '../classifier/tiny-model';

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), 'bertnode-emb-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + v * b[i], 0);

test('unit vectors; the same text embeds the same alone or in a padded batch; saved BertModel reloads identically', async () => {
  const base = path.join(dir, 'base');
  await writeTinyModel(base);
  const emb = await BertEmbedder.fromPretrained(base);
  const [a, b, c] = await emb.embed(['the movie was great', 'the movie was great and the cast superb too', 'the movie was great']);
  expect(a.length).toBe(emb.dimension);
  expect(cosine(a, a)).toBeCloseTo(1, 5);
  expect(cosine(a, c)).toBeCloseTo(1, 5);
  const [alone] = await emb.embed(['the movie was great']);
  for (let i = 0; i < a.length; i++) expect(alone[i]).toBeCloseTo(a[i], 5);
  expect(cosine(a, b)).toBeLessThan(0.9999);
  const cls = await BertEmbedder.fromPretrained(base, { pooling: 'cls', normalize: false });
  expect(Math.abs(cosine((await cls.embed(['x']))[0], (await cls.embed(['x']))[0]) - 1)).toBeGreaterThan(1e-3);
  const saved = path.join(dir, 'emb');
  await emb.save(saved);
  expect(JSON.parse(readFileSync(path.join(saved, 'config.json'), 'utf8')).architectures).toEqual(['BertModel']);
  const reloaded = await BertEmbedder.fromPretrained(saved);
  expect(await reloaded.embed(['the movie was great'])).toEqual([alone]);
  emb.dispose();
  cls.dispose();
  reloaded.dispose();
});

// Quick runs on IMDb: a limited set is a seeded sample in which every class keeps its share (a list sorted by
// class cut at N held one class only), read lazily (only the sampled reviews' bodies), identical from the folder
// and the archive; the examples' labels follow the classifier's label names, matched by name.
import { promises as fsp, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { LabelMismatchError } from '../../lib/errors';
import { missingClasses, stratifiedSample } from '../../lib/data/split';
import { loadImdb } from '../../lib/train/imdb-source';
import { imdbTarMembers, tempDir, writeImdbFolder, type FakeReview } from '../data/helpers/imdb-fixture';
import { writeTar } from '../data/helpers/tar-writer';

// 300 negative and 100 positive training reviews (shares 3:1), 200 + 200 test reviews, listed neg first.
function reviews(): FakeReview[] {
  const out: FakeReview[] = [];
  const add = (split: string, label: string, n: number) => {
    for (let id = 0; id < n; id++) out.push({ path: `${split}/${label}/${id}_${label === 'pos' ? 8 : 2}.txt`, text: `A ${label} review ${split} ${id}.` });
  };
  add('train', 'neg', 300);
  add('train', 'pos', 100);
  add('test', 'neg', 200);
  add('test', 'pos', 200);
  return out;
}

const count = (examples: { label: number }[], label: number) => examples.filter((e) => e.label === label).length;

let root: string;
let folder: string;
let archive: string;
beforeAll(() => {
  root = tempDir('bertnode-limit-');
  folder = writeImdbFolder(root, reviews());
  archive = path.join(root, 'imdb.tar.gz');
  writeFileSync(archive, gzipSync(writeTar(imdbTarMembers(reviews()))));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

test('limit and evalLimit draw seeded samples that keep the class shares, the same from the folder and the archive', async () => {
  const a = await loadImdb({ source: folder, limit: 40, evalLimit: 20, seed: 7 });
  expect([count(a.train, 0), count(a.train, 1)]).toEqual([30, 10]);
  expect([count(a.validation, 0), count(a.validation, 1)]).toEqual([15, 5]);
  expect([count(a.test!, 0), count(a.test!, 1)]).toEqual([10, 10]); // the first 20 would all be negative
  const b = await loadImdb({ source: archive, limit: 40, evalLimit: 20, seed: 7 });
  for (const set of ['train', 'validation', 'test'] as const) expect(b[set]!.map((e) => e.id)).toEqual(a[set]!.map((e) => e.id));
  const other = await loadImdb({ source: folder, limit: 40, evalLimit: 20, seed: 8 });
  expect(other.train.map((e) => e.id).sort()).not.toEqual(a.train.map((e) => e.id).sort());
  // Without limit, evalLimit samples the classic validation and the test set the same way.
  const full = await loadImdb({ source: folder, evalLimit: 40, seed: 7 });
  expect([full.train.length, full.validation.length]).toEqual([320, 40]); // the 0.2 split of 400, then 40 of its 80
  expect([count(full.test!, 0), count(full.test!, 1)]).toEqual([20, 20]);
});

test('a limited folder read opens only the sampled files', async () => {
  const readFile = jest.spyOn(fsp, 'readFile');
  try {
    await loadImdb({ source: folder, limit: 8, evalLimit: 4, seed: 1 });
    expect(readFile.mock.calls.length).toBe(8 + 4 + 4); // of 800
  } finally {
    readFile.mockRestore();
  }
});

test('a limited archive read decodes only the sampled reviews: the others may be anything', async () => {
  const sampled = await loadImdb({ source: archive, limit: 8, evalLimit: 4, seed: 1 });
  const chosen = new Set([...sampled.train, ...sampled.validation, ...sampled.test!].map((e) => e.id));
  // Same names, but every review outside the sample is invalid UTF-8, which decoding would reject.
  const members = imdbTarMembers(reviews()).map((m) => {
    const id = m.name.replace(/^aclImdb\//, '').replace(/_\d+\.txt$/, '');
    return m.body === undefined || chosen.has(id) ? m : { ...m, body: Buffer.from([0xff, 0xfe, 0xfd]) };
  });
  const poisoned = path.join(root, 'poisoned.tar.gz');
  writeFileSync(poisoned, gzipSync(writeTar(members)));
  const again = await loadImdb({ source: poisoned, limit: 8, evalLimit: 4, seed: 1 });
  expect(again.train.map((e) => e.text)).toEqual(sampled.train.map((e) => e.text));
  await expect(loadImdb({ source: poisoned })).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_ENCODING' });
});

test('stratifiedSample keeps shares; missingClasses names a class a set lacks', () => {
  const sorted = [...Array(100)].map((_, i) => ({ label: i < 75 ? 0 : 1 }));
  const sample = stratifiedSample(sorted, 20, 3);
  expect([count(sample, 0), count(sample, 1)]).toEqual([15, 5]);
  expect(missingClasses(sorted.slice(0, 20), ['neg', 'pos'])).toEqual(['pos']);
  expect(missingClasses(sample, ['neg', 'pos'])).toEqual([]);
});

test('labels follow the classifier by name: pos,neg keeps pos reviews pos; classes IMDb lacks are an error naming both lists', async () => {
  const swapped = await loadImdb({ source: folder, labels: ['pos', 'neg'], limit: 8, evalLimit: 4 });
  for (const e of swapped.train) expect(swapped.labels[e.label]).toBe(e.id.includes('/pos/') ? 'pos' : 'neg');
  const error = await loadImdb({ source: folder, labels: ['a', 'b', 'c'] }).catch((e) => e);
  expect(error).toBeInstanceOf(LabelMismatchError);
  expect(error.message).toContain('[neg, pos]');
  expect(error.message).toContain('[a, b, c]');
});

test('a review stored twice in a limited archive read is one review, its later copy', async () => {
  const members = imdbTarMembers(reviews());
  const twice = members.map((m) => ({ ...m, body: m.body === undefined ? undefined : `${m.body} (second copy)` }))
    .filter((m) => m.body !== undefined);
  const file = path.join(root, 'twice.tar.gz');
  writeFileSync(file, gzipSync(writeTar([...members, ...twice])));
  const once = await loadImdb({ source: archive, limit: 40, evalLimit: 20, seed: 7 });
  const again = await loadImdb({ source: file, limit: 40, evalLimit: 20, seed: 7 });
  expect(again.train.map((e) => e.id)).toEqual(once.train.map((e) => e.id));
  for (const e of again.train) expect(e.text).toMatch(/\(second copy\)$/);
});

import { writeFileSync, mkdirSync, createReadStream } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataFormatError, TextEncodingError } from '../../lib/errors';
import { readExamples, readImdbArchive, readImdbFolder } from '../../lib/data';
import type { Example } from '../../lib/data';
import { EXTRAS, fakeReviews, imdbTarGz, imdbTarMembers, tempDir, writeImdbFolder, type FakeReview } from './helpers/imdb-fixture';
import { writeTar } from './helpers/tar-writer';

const withoutSource = (examples: Example[]): Omit<Example, 'source'>[] => examples.map(({ source: _source, ...rest }) => rest);

function writeBoth(files: FakeReview[]): { folder: string; archive: string } {
  const root = tempDir();
  const folder = writeImdbFolder(root, files);
  const archive = path.join(root, 'aclImdb_v1.tar.gz');
  writeFileSync(archive, imdbTarGz(files));
  return { folder, archive };
}

describe('IMDb folder and archive', () => {
  const reviews = fakeReviews();
  const { folder, archive } = writeBoth([...reviews, ...EXTRAS]);

  it('streams the archive to exactly the examples of the extracted folder, in canonical order', async () => {
    const fromArchive = await readImdbArchive(archive);
    const fromFolder = await readImdbFolder(folder);
    expect(withoutSource(fromArchive)).toEqual(withoutSource(fromFolder));
    // 6 + 6 train, 3 + 3 test; unsup left out by default.
    expect(fromArchive).toHaveLength(18);
    expect(fromArchive.map((e) => e.id)).toEqual([
      ...[0, 3, 4, 5, 12, 100].map((id) => `train/neg/${id}`),
      ...[0, 1, 2, 9, 10, 11].map((id) => `train/pos/${id}`),
      ...[0, 1, 8].map((id) => `test/neg/${id}`),
      ...[0, 3, 7].map((id) => `test/pos/${id}`),
    ]);
    expect(fromArchive[0].source).toBe(`${archive}:aclImdb/train/neg/0_1.txt`);
    expect(fromFolder[0].source).toBe(path.join(folder, 'train/neg/0_1.txt'));
  });

  it('keeps text, labels, ratings and splits as written', async () => {
    const examples = await readImdbArchive(archive);
    const byId = new Map(examples.map((e) => [e.id, e]));
    for (const review of reviews.filter((r) => !r.path.includes('unsup'))) {
      const [split, labelDir, file] = review.path.split('/');
      const [id, rating] = file.replace('.txt', '').split('_').map(Number);
      expect(byId.get(`${split}/${labelDir}/${id}`)).toMatchObject({ text: review.text, label: labelDir === 'pos' ? 1 : 0, rating, split });
    }
  });

  it('reads the members named through a GNU long name and a pax path, not their decoy header names', async () => {
    const tar = writeTar(imdbTarMembers(reviews));
    expect(tar.includes(Buffer.from('wrong-name-in-header.txt'))).toBe(true);
    expect(tar.includes(Buffer.from('also-wrong.txt'))).toBe(true);
    const ids = (await readImdbArchive(archive)).map((e) => e.id);
    expect(ids).toContain('train/pos/2');
    expect(ids).toContain('train/pos/9');
  });

  it('cleans <br /> on request, reads unsup and single splits', async () => {
    const cleaned = await readImdbFolder(folder, { clean: true });
    expect(cleaned.every((e) => !e.text.includes('<br'))).toBe(true);
    expect(cleaned[0].text).toMatch(/^A dreadful film #0\. {2}\w/);
    const withUnsup = await readImdbArchive(archive, { includeUnsup: true, splits: ['train'] });
    expect(withUnsup.slice(-2).map((e) => [e.id, e.label, e.rating])).toEqual([
      ['train/unsup/0', -1, 0],
      ['train/unsup/1', -1, 0],
    ]);
    expect((await readImdbFolder(folder, { splits: ['test'] })).map((e) => e.split)).toEqual(Array(6).fill('test'));
  });

  it('reads an uncompressed tar and a byte stream (e.g. a download) the same way', async () => {
    const root = tempDir();
    const plain = path.join(root, 'aclImdb.tar');
    writeFileSync(plain, writeTar(imdbTarMembers([...reviews, ...EXTRAS])));
    const expected = withoutSource(await readImdbArchive(archive));
    expect(withoutSource(await readImdbArchive(plain))).toEqual(expected);
    expect(withoutSource(await readImdbArchive(createReadStream(archive, { highWaterMark: 97 }), {}, 'download'))).toEqual(expected);
    expect(withoutSource(await readExamples(archive))).toEqual(expected);
    expect(withoutSource(await readExamples(folder))).toEqual(expected);
  });

  it('ignores files outside the layout, or rejects them in strict mode; the archive extras are always fine', async () => {
    const stray = [...reviews, ...EXTRAS, { path: 'train/pos/notes.txt', text: 'x' }, { path: 'train/pos/5_2.txt', text: 'misfiled' }];
    const both = writeBoth(stray);
    expect(await readImdbArchive(both.archive)).toHaveLength(18);
    expect(await readImdbFolder(both.folder)).toHaveLength(18);
    await expect(readImdbArchive(both.archive, { strict: true })).rejects.toMatchObject({
      name: 'DataFormatError',
      code: 'ERR_BERTNODE_DATA_LAYOUT',
      file: `${both.archive}:aclImdb/train/pos/notes.txt`,
    });
    await expect(readImdbFolder(writeBoth([...reviews, { path: 'train/pos/5_2.txt', text: 'misfiled' }]).folder, { strict: true })).rejects.toThrow(
      /train\/pos\/5_2\.txt: outside the aclImdb layout: rating 2 does not belong in pos\//,
    );
    await expect(readImdbFolder(folder, { strict: true })).resolves.toHaveLength(18);
  });
});

describe('IMDb bad input', () => {
  const reviews = fakeReviews();

  it('names the review that is not UTF-8, in the folder and in the archive', async () => {
    const root = tempDir();
    const folder = writeImdbFolder(root, reviews);
    const bad = path.join(folder, 'train/neg/3_4.txt');
    writeFileSync(bad, Buffer.from([0x41, 0x42, 0x0a, 0xc3, 0x28, 0x43]));
    const error = await readImdbFolder(folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TextEncodingError);
    expect(error).toMatchObject({ code: 'ERR_BERTNODE_DATA_ENCODING', file: bad, line: 2, reason: 'not valid UTF-8 (first bad byte at offset 3)' });

    const tar = writeTar([{ name: 'aclImdb/train/neg/3_4.txt', body: Buffer.from([0xff, 0xfe, 0x41]) }]);
    const archive = path.join(root, 'bad.tar.gz');
    writeFileSync(archive, gzipSync(tar));
    await expect(readImdbArchive(archive)).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_ENCODING', file: `${archive}:aclImdb/train/neg/3_4.txt` });
  });

  it('rejects an empty review, naming it', async () => {
    const root = tempDir();
    const folder = writeImdbFolder(root, [...reviews, { path: 'test/pos/42_9.txt', text: '' }]);
    await expect(readImdbFolder(folder)).rejects.toMatchObject({
      code: 'ERR_BERTNODE_DATA_EMPTY',
      file: path.join(folder, 'test/pos/42_9.txt'),
      reason: 'the review is empty',
    });
  });

  it('rejects a duplicate id, a split asked for but absent, no reviews at all, and a missing path', async () => {
    const root = tempDir();
    const dup = writeImdbFolder(path.join(root, 'dup'), [...reviews, { path: 'train/pos/10_8.txt', text: 'again' }]);
    await expect(readImdbFolder(dup)).rejects.toThrow(/review id 10 appears twice in train\/pos\//);
    const trainOnly = writeImdbFolder(path.join(root, 'train-only'), reviews.filter((r) => r.path.startsWith('train/')));
    await expect(readImdbFolder(trainOnly)).resolves.toHaveLength(12);
    await expect(readImdbFolder(trainOnly, { splits: ['test'] })).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LAYOUT', reason: 'no reviews found in test/{neg,pos}/' });
    mkdirSync(path.join(root, 'empty'));
    await expect(readImdbFolder(path.join(root, 'empty'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_LAYOUT' });
    await expect(readImdbFolder(path.join(root, 'nowhere'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_DATA_NOT_FOUND' });
    await expect(readImdbArchive(path.join(root, 'nowhere.tar.gz'))).rejects.toBeInstanceOf(DataFormatError);
  });

  it('reports a truncated, corrupt or checksum-damaged archive file as ArchiveError naming the file', async () => {
    const root = tempDir();
    const tar = writeTar(imdbTarMembers(reviews));
    const cases: Array<[string, Buffer, string]> = [
      ['mid-header.tar.gz', gzipSync(tar.subarray(0, 512 * 3 + 200)), 'ERR_BERTNODE_ARCHIVE_TRUNCATED'],
      ['mid-file.tar', tar.subarray(0, tar.indexOf(Buffer.from('A wonderful')) + 5), 'ERR_BERTNODE_ARCHIVE_TRUNCATED'],
      ['cut-gzip.tar.gz', imdbTarGz(reviews).subarray(0, 200), 'ERR_BERTNODE_ARCHIVE_GZIP'],
      // A gzip header, then deflate data whose first block has the invalid block type 3.
      ['bad-deflate.tar.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(600, 0x07)]), 'ERR_BERTNODE_ARCHIVE_GZIP'],
    ];
    const badSum = Buffer.from(tar);
    badSum[512 * 4 + 10] ^= 0x20; // a name byte in the fifth block's header (the first members are empty dirs)
    cases.push(['bad-checksum.tar.gz', gzipSync(badSum), 'ERR_BERTNODE_ARCHIVE_CHECKSUM']);
    for (const [name, bytes, code] of cases) {
      const file = path.join(root, name);
      writeFileSync(file, bytes);
      await expect(readImdbArchive(file)).rejects.toMatchObject({ name: 'ArchiveError', code, file });
    }
  });
});

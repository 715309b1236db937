// IMDb (Maas et al. 2011, aclImdb v1) from the extracted folder or straight from the tar.gz stream.
// Both readers classify paths with the same layout rules and return examples in the same canonical order
// (split train→test, then neg→pos→unsup, then numeric id), so the folder and its archive give identical lists.

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { DataFormatError } from '../errors';
import { openTarStream, type ArchiveSource } from './archive';
import { cleanReviewText } from './clean';
import { classifyImdbPath, IMDB_LABELS, type ImdbLabelDir, type ImdbSplit } from './imdb-layout';
import { ImdbSampler } from './imdb-sample';
import { readTarEntries } from './tar';
import type { Example } from './types';
import { decodeUtf8 } from './utf8';

export interface ImdbOptions {
  // Splits to read (default both). With the default, a split the source lacks is simply absent (the shared
  // training archive has no test/); a split asked for explicitly must have reviews.
  splits?: readonly ImdbSplit[];
  // Also read unsup/ (50,000 unlabelled train reviews); their label is -1. Default false.
  includeUnsup?: boolean;
  // The classic cleaning: every `<br />` becomes a space. Default false.
  clean?: boolean;
  // A file outside the layout (a stray name in pos/, a rating in the wrong folder, an unknown folder) is an
  // error instead of being skipped. The archive's own extras (README, *.feat, urls_*.txt) are always fine.
  strict?: boolean;
  // Read only a seeded sample of these splits: `sizes.train` / `sizes.test` reviews each, every class keeping its
  // share (./imdb-sample.ts). Only the sampled reviews' bodies are read, so `--limit 10` does not read 50,000
  // files; the sample depends on the seed and the file names only, so a folder and its archive agree.
  sample?: { sizes: Partial<Record<ImdbSplit, number>>; seed: number };
}

const SPLIT_ORDER: Record<ImdbSplit, number> = { train: 0, test: 1 };
const LABEL_ORDER: Record<ImdbLabelDir, number> = { neg: 0, pos: 1, unsup: 2 };
const LABEL_INDEX: Record<ImdbLabelDir, number> = { neg: IMDB_LABELS.indexOf('neg'), pos: IMDB_LABELS.indexOf('pos'), unsup: -1 };
// Files read at once from a folder: enough to hide disk latency, few enough to stay far from fd limits.
const READ_CONCURRENCY = 32;
// The longest review of the real dataset is ~14 KB; 1 MiB is ~70 times that. Checked from the tar header or the
// file's size before a body is read, so a small .tar.gz holding one gigabyte-long "review" costs no memory.
export const MAX_REVIEW_BYTES = 1 << 20;

function checkReviewSize(size: number, source: string): void {
  if (size > MAX_REVIEW_BYTES) {
    throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', source,
      `a review of ${size} bytes, more than the ${MAX_REVIEW_BYTES} allowed (not an IMDb review)`);
  }
}

interface Review {
  split: ImdbSplit;
  labelDir: ImdbLabelDir;
  id: number;
  rating: number;
  relativePath: string;
  source: string;
  bytes: Uint8Array;
}

type Selection = (relativePath: string, source: string) => Omit<Review, 'bytes'> | undefined;

// `archive` is a path or a byte stream (a download in progress); `archiveName` names it in errors.
export async function readImdbArchive(archive: ArchiveSource, options: ImdbOptions = {}, archiveName?: string): Promise<Example[]> {
  const name = archiveName ?? (typeof archive === 'string' ? archive : '<archive stream>');
  const select = selection(options);
  const sampler = options.sample && new ImdbSampler<Review>(options.sample.sizes, options.sample.seed);
  const reviews = new Map<string, Review>();
  for await (const member of readTarEntries(openTarStream(archive, name), name)) {
    if (member.type !== 'file') continue;
    const chosen = select(member.name, `${name}:${member.name}`);
    if (!chosen) continue;
    checkReviewSize(member.size, chosen.source);
    // The body is copied out because read() may return a view into a 64 KiB inflate chunk, which would stay alive
    // with it. A body the sample does not want is never read (the tar reader skips it).
    if (sampler?.samples(chosen.split)) {
      if (sampler.offer(chosen)) sampler.keep({ ...chosen, bytes: Buffer.from(await member.read()) });
    } else {
      // A path stored twice in a tar means the later copy replaces the earlier one, as on extraction.
      reviews.set(chosen.relativePath, { ...chosen, bytes: Buffer.from(await member.read()) });
    }
  }
  return toExamples([...reviews.values(), ...(sampler?.result() ?? [])], options, name);
}

// `dir` is the aclImdb folder itself (the one holding train/ and test/).
export async function readImdbFolder(dir: string, options: ImdbOptions = {}): Promise<Example[]> {
  const select = selection(options);
  const sampler = options.sample && new ImdbSampler<Omit<Review, 'bytes'>>(options.sample.sizes, options.sample.seed);
  const found: Omit<Review, 'bytes'>[] = [];
  for (const relativePath of await listFiles(dir)) {
    const chosen = select(relativePath, path.join(dir, relativePath));
    if (!chosen) continue;
    if (!sampler?.samples(chosen.split)) found.push(chosen);
    else if (sampler.offer(chosen)) sampler.keep(chosen);
  }
  found.push(...(sampler?.result() ?? []));
  const reviews: Review[] = new Array(found.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < found.length) {
      const index = next++;
      const source = found[index].source;
      checkReviewSize((await fsp.stat(source)).size, source);
      reviews[index] = { ...found[index], bytes: await fsp.readFile(source) };
    }
  };
  await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
  return toExamples(reviews, options, dir);
}

function selection(options: ImdbOptions): Selection {
  const splits = new Set(options.splits ?? ['train', 'test']);
  return (relativePath, source) => {
    const where = classifyImdbPath(relativePath);
    if (where.kind === 'outside') {
      if (options.strict) throw new DataFormatError('ERR_BERTNODE_DATA_LAYOUT', source, `outside the aclImdb layout: ${where.reason}`);
      return undefined;
    }
    if (where.kind !== 'review' || !splits.has(where.split)) return undefined;
    if (where.labelDir === 'unsup' && !options.includeUnsup) return undefined;
    const canonical = `${where.split}/${where.labelDir}/${where.id}_${where.rating}.txt`;
    return { split: where.split, labelDir: where.labelDir, id: where.id, rating: where.rating, relativePath: canonical, source };
  };
}

function toExamples(reviews: Review[], options: ImdbOptions, sourceName: string): Example[] {
  reviews.sort((a, b) =>
    SPLIT_ORDER[a.split] - SPLIT_ORDER[b.split] || LABEL_ORDER[a.labelDir] - LABEL_ORDER[b.labelDir] || a.id - b.id || a.rating - b.rating);
  for (let i = 1; i < reviews.length; i++) {
    const [a, b] = [reviews[i - 1], reviews[i]];
    if (a.split === b.split && a.labelDir === b.labelDir && a.id === b.id) {
      throw new DataFormatError('ERR_BERTNODE_DATA_LAYOUT', b.source, `review id ${b.id} appears twice in ${b.split}/${b.labelDir}/ (also ${a.source})`);
    }
  }
  const wanted = options.splits ?? [];
  for (const split of wanted) {
    if (!reviews.some((r) => r.split === split)) {
      throw new DataFormatError('ERR_BERTNODE_DATA_LAYOUT', sourceName, `no reviews found in ${split}/{neg,pos}/`);
    }
  }
  if (reviews.length === 0) {
    throw new DataFormatError('ERR_BERTNODE_DATA_LAYOUT', sourceName, 'no reviews found in {train,test}/{neg,pos}/');
  }
  return reviews.map((review) => {
    const raw = decodeUtf8(review.bytes, review.source);
    if (raw.trim() === '') throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', review.source, 'the review is empty');
    return {
      id: `${review.split}/${review.labelDir}/${review.id}`,
      text: options.clean ? cleanReviewText(raw) : raw,
      label: LABEL_INDEX[review.labelDir],
      rating: review.rating,
      split: review.split,
      source: review.source,
    };
  });
}

// Relative paths of the files up to three levels below `dir` (split/label/file); deeper files cannot be in the
// layout, and listing them would only cost time.
async function listFiles(dir: string): Promise<string[]> {
  try {
    if (!(await fsp.stat(dir)).isDirectory()) throw new DataFormatError('ERR_BERTNODE_DATA_NOT_FOUND', dir, 'not a directory');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DataFormatError('ERR_BERTNODE_DATA_NOT_FOUND', dir, 'no such directory', { cause: error });
    }
    throw error;
  }
  const files: string[] = [];
  const walk = async (relative: string, depth: number): Promise<void> => {
    for (const entry of await fsp.readdir(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory() && depth < 2) await walk(child, depth + 1);
      else if (entry.isFile()) files.push(child);
    }
  };
  await walk('', 0);
  return files;
}

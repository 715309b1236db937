// IMDb for fit() with no data and for the CLI: a local aclImdb folder or archive, or the archive downloaded through
// the hub cache. The classic recipe splits the 25,000 training reviews 20,000 / 5,000 with seed 1234 and tests on
// the 25,000 test reviews; an archive without test/ (such as a train-only copy) yields no test set, and says so.
// A quick run (`limit`) reads a seeded sample in which each class keeps its share, and only the sampled reviews.

import type { Example } from '../data/types';
import { IMDB_LABELS } from '../data/imdb-layout';
import { readLabelled } from './examples';
import { CLASSIC_SPLIT, splitTrainValidation, stratifiedSample } from '../data/split';
import { TrainingOptionsError } from '../errors';
import { labelMapping } from './head-labels';
import { type HubOptions, downloadImdbArchive } from './model-source';

/** Where IMDb comes from and how much of it is used. */
export interface ImdbSource {
  /** An aclImdb folder, a `.tar.gz` archive, or a `.tsv`/`.csv`/`.jsonl` file. Default: the archive, downloaded through the hub cache. */
  source?: string;
  /** Where to download the archive from. Default: `$BERTNODE_IMDB_URL`, else the Stanford original. */
  url?: string;
  /** Separate test data (a folder, archive or flat file). Default: the `test/` split of `source`. */
  testSource?: string;
  /** Reviews held out of the training reviews for validation: a count, or a share in (0, 1). Default 5,000 (the classic split), or 0.2 below 10,000 reviews. */
  validationSize?: number;
  /** Seed of the split and of the samples. Default 1234. */
  seed?: number;
  /** The classic `<br />` removal. Default true. */
  clean?: boolean;
  /**
   * The classifier's class names: the examples' `label` indices point into this list, matched to IMDb's `neg`/`pos`
   * by name (a LabelMismatchError names both lists when one is missing). Default `['neg', 'pos']`.
   */
  labels?: readonly string[];
  /**
   * Train on a seeded sample of this many training reviews, each class keeping its share; only the sampled reviews
   * are read from a folder or archive. Validation and test are then samples of `evalLimit` each.
   */
  limit?: number;
  /** Validation and test sets as seeded samples of this many reviews each, each class keeping its share. Default with `limit`: `ceil(limit / 4)`; without: the whole sets. */
  evalLimit?: number;
  /** Download settings (cache folder, offline mode, mirror). */
  hub?: HubOptions;
}

/** IMDb as examples whose `label` indexes `labels`. */
export interface ImdbData {
  /** Training examples (the classic 20,000, or the `limit` sample). */
  train: Example[];
  /** Validation examples held out of the training reviews with the seed. */
  validation: Example[];
  /** Absent when the source has no test split and no `testSource` was given (`testMissing` says so). */
  test?: Example[];
  /** Why there is no test set. */
  testMissing?: string;
  /** The class names the examples' `label` indices point into (the `labels` option). */
  labels: readonly string[];
  /** The folder, archive or file the reviews were read from. */
  source: string;
}

export async function loadImdb(o: ImdbSource = {}): Promise<ImdbData> {
  const labels = o.labels ?? IMDB_LABELS;
  const mapping = labelMapping(IMDB_LABELS, labels, 'IMDb');
  const source = o.source ?? (await downloadImdbArchive(o.hub, o.url));
  const clean = o.clean ?? true;
  const seed = o.seed ?? CLASSIC_SPLIT.seed;
  const evalLimit = o.evalLimit ?? (o.limit ? Math.ceil(o.limit / 4) : undefined);
  const sizes = { ...(o.limit ? { train: o.limit + evalLimit! } : {}), ...(evalLimit ? { test: evalLimit } : {}) };
  const sample = Object.keys(sizes).length ? { sizes, seed } : undefined;
  const all = await readLabelled(source, IMDB_LABELS, { clean, sample });
  const labelled = all.filter((e) => e.label >= 0);
  const trainPool = labelled.filter((e) => e.split !== 'test');
  let test: Example[] | undefined = labelled.filter((e) => e.split === 'test');
  let testMissing: string | undefined;
  if (o.testSource) {
    test = (await readLabelled(o.testSource, IMDB_LABELS, { clean, sample })).filter((e) => e.label >= 0 && e.split !== 'train');
  } else if (test.length === 0) {
    test = undefined;
    testMissing = `${source} has no test/ split; give the test reviews separately (testSource / --test-data)`;
  }
  if (trainPool.length < 2) throw new TrainingOptionsError(`${source}: fewer than 2 labelled training reviews`);
  let train: Example[];
  let validation: Example[];
  if (o.limit) {
    // The flat formats are read whole; the sample is then drawn the same way.
    const pool = stratifiedSample(trainPool, o.limit + evalLimit!, seed);
    ({ train, validation } = splitTrainValidation(pool, { validationSize: Math.min(evalLimit!, Math.floor(pool.length / 2)), seed, stratified: true }));
  } else {
    const validationSize = o.validationSize ?? (trainPool.length >= 10000 ? CLASSIC_SPLIT.validationSize : 0.2);
    ({ train, validation } = splitTrainValidation(trainPool, { validationSize, seed }));
    if (evalLimit) validation = stratifiedSample(validation, evalLimit, seed);
  }
  if (test && evalLimit) test = stratifiedSample(test, evalLimit, seed);
  const relabel = (examples: Example[]): Example[] => examples.map((e) => ({ ...e, label: mapping[e.label] }));
  return { train: relabel(train), validation: relabel(validation), test: test && relabel(test), testMissing, labels, source };
}

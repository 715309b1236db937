// IMDb for fit() with no data and for the CLI: a local aclImdb folder or archive, or the archive downloaded through
// the hub cache. The classic recipe splits the 25,000 training reviews 20,000 / 5,000 with seed 1234 and tests on
// the 25,000 test reviews; an archive without test/ (such as a train-only copy) yields no test set, and says so.

import type { Example } from '../data/types';
import { IMDB_LABELS } from '../data/imdb-layout';
import { readLabelled } from './examples';
import { CLASSIC_SPLIT, splitTrainValidation } from '../data/split';
import { TrainingOptionsError } from '../errors';
import { type HubOptions, downloadImdbArchive } from './model-source';

export interface ImdbSource {
  source?: string; // aclImdb folder, .tar.gz archive, or .tsv/.csv/.jsonl; default: the archive through the hub cache
  url?: string; // where to download the archive from (default: the Stanford original)
  testSource?: string; // separate test data (a folder, archive or flat file); default: the test/ split of `source`
  validationSize?: number; // count or share; default 5,000 (the classic split), or 20 % when there are < 10,000 reviews
  seed?: number; // split seed (default 1234)
  clean?: boolean; // the classic `<br />` removal (default true)
  hub?: HubOptions;
}

export interface ImdbData {
  train: Example[];
  validation: Example[];
  test?: Example[];
  testMissing?: string; // why there is no test set
  source: string;
}

export async function loadImdb(o: ImdbSource = {}): Promise<ImdbData> {
  const source = o.source ?? (await downloadImdbArchive(o.hub, o.url));
  const clean = o.clean ?? true;
  const all = await readLabelled(source, IMDB_LABELS, { clean });
  const labelled = all.filter((e) => e.label >= 0);
  const trainPool = labelled.filter((e) => e.split !== 'test');
  let test: Example[] | undefined = labelled.filter((e) => e.split === 'test');
  let testMissing: string | undefined;
  if (o.testSource) {
    test = (await readLabelled(o.testSource, IMDB_LABELS, { clean })).filter((e) => e.label >= 0 && e.split !== 'train');
  } else if (test.length === 0) {
    test = undefined;
    testMissing = `${source} has no test/ split; give the test reviews separately (testSource / --test-data)`;
  }
  if (trainPool.length < 2) throw new TrainingOptionsError(`${source}: fewer than 2 labelled training reviews`);
  const validationSize = o.validationSize ?? (trainPool.length >= 10000 ? CLASSIC_SPLIT.validationSize : 0.2);
  const { train, validation } = splitTrainValidation(trainPool, { validationSize, seed: o.seed ?? CLASSIC_SPLIT.seed });
  return { train, validation, test, testMissing, source };
}

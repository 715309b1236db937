// Where a file sits in the aclImdb layout: `{train,test}/{pos,neg,unsup}/<id>_<rating>.txt` under one optional
// top-level folder (the archive's `aclImdb/`). Shared by the folder and the archive readers so both see the
// same files the same way.

export const IMDB_LABELS: readonly string[] = ['neg', 'pos'];
export type ImdbSplit = 'train' | 'test';
export type ImdbLabelDir = 'neg' | 'pos' | 'unsup';

export type ImdbPathKind =
  | { kind: 'review'; split: ImdbSplit; labelDir: ImdbLabelDir; id: number; rating: number }
  // Files the published archive carries beside the reviews (bag-of-words features, URLs, vocabulary, README).
  | { kind: 'known-extra' }
  | { kind: 'outside'; reason: string };

const REVIEW = /^(?:[^/]+\/)?(train|test)\/(pos|neg|unsup)\/([^/]+)$/;
const REVIEW_NAME = /^(\d+)_(\d+)\.txt$/;
const KNOWN_EXTRA =
  /^(?:[^/]+\/)?(?:README|imdb\.vocab|imdbEr\.txt|(?:train|test)\/(?:labeledBow\.feat|unsupBow\.feat|urls_(?:pos|neg|unsup)\.txt))$/;

// Ratings the dataset's authors put in each folder (README of aclImdb v1): neg ≤ 4, pos ≥ 7, unsup 0.
const RATING_RANGE: Record<ImdbLabelDir, [number, number]> = { neg: [1, 4], pos: [7, 10], unsup: [0, 0] };

export function classifyImdbPath(path: string): ImdbPathKind {
  const relative = path.replace(/^(?:\.\/)+/, '');
  if (KNOWN_EXTRA.test(relative)) return { kind: 'known-extra' };
  const match = REVIEW.exec(relative);
  if (!match) return { kind: 'outside', reason: 'not under {train,test}/{pos,neg,unsup}/' };
  const [, split, labelDir, fileName] = match;
  const name = REVIEW_NAME.exec(fileName);
  if (!name) return { kind: 'outside', reason: `'${fileName}' is not named <id>_<rating>.txt` };
  const id = Number(name[1]);
  const rating = Number(name[2]);
  const [low, high] = RATING_RANGE[labelDir as ImdbLabelDir];
  if (rating < low || rating > high) {
    return { kind: 'outside', reason: `rating ${rating} does not belong in ${labelDir}/ (expected ${low}..${high})` };
  }
  return { kind: 'review', split: split as ImdbSplit, labelDir: labelDir as ImdbLabelDir, id, rating };
}

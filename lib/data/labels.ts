// Turns a label as written in a data file into an index into the label list.

import { DataFormatError } from '../errors';

// Binary sentiment in the common text formats: the classic TSV writes 0/1, the Kaggle CSV "negative"/"positive".
export const SENTIMENT_LABELS: readonly string[] = ['negative', 'positive'];

// The two spellings of binary sentiment, matched to each other by name: a Kaggle CSV's "negative" is the classic
// classifier's 'neg'. Never a mapping by position.
const SENTIMENT_SYNONYMS: Record<string, string> = { negative: 'neg', positive: 'pos', neg: 'negative', pos: 'positive' };

// An integer (or integer string) is an index into `labels`; any other string must name one of `labels`
// (case-insensitive), or be the other spelling of one (negative/neg, positive/pos). Anything else is a
// DataFormatError naming the file and line.
export function resolveLabel(raw: unknown, labels: readonly string[], file: string, line: number): number {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw))) {
    const index = Number(raw);
    if (Number.isInteger(index) && index >= 0 && index < labels.length) return index;
    throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file, `label ${String(raw).trim()} is not an index into [${labels.join(', ')}]`, { line });
  }
  if (typeof raw === 'string') {
    const wanted = raw.trim().toLowerCase();
    const synonym = SENTIMENT_SYNONYMS[wanted];
    const index = labels.findIndex((name) => name.toLowerCase() === wanted);
    if (index >= 0) return index;
    const bySynonym = synonym === undefined ? -1 : labels.findIndex((name) => name.toLowerCase() === synonym);
    if (bySynonym >= 0) return bySynonym;
    throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file, `label '${raw}' is not one of [${labels.join(', ')}]`, { line });
  }
  throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file, `label ${JSON.stringify(raw) ?? String(raw)} is neither a class name nor an index`, { line });
}

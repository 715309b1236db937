// run_ner's compute_metrics input: per-token predicted label ids and gold label ids (−100 where the loss ignores
// a position: special tokens and, unless every sub-token is labelled, all but a word's first piece) turned into the
// tag sequences seqeval scores, keeping only the positions the gold labels count.

import { MetricInputError } from '../errors';

const IGNORED = -100;

export function tagSequences(predictions: ReadonlyArray<ArrayLike<number>>, labels: ReadonlyArray<ArrayLike<number>>,
  labelList: readonly string[]): { predictions: string[][]; references: string[][] } {
  if (predictions.length !== labels.length) throw new MetricInputError(`tagSequences: ${predictions.length} predicted rows but ${labels.length} label rows`);
  const name = (id: number, row: number): string => {
    const tag = labelList[id];
    if (tag === undefined) throw new MetricInputError(`tagSequences: label id ${id} in row ${row} is not in the label list`);
    return tag;
  };
  const out = { predictions: [] as string[][], references: [] as string[][] };
  predictions.forEach((predicted, row) => {
    const gold = labels[row];
    if (predicted.length < gold.length) throw new MetricInputError(`tagSequences: row ${row} has ${predicted.length} predictions for ${gold.length} labels`);
    const p: string[] = [];
    const r: string[] = [];
    for (let i = 0; i < gold.length; i++) {
      if (gold[i] === IGNORED) continue;
      p.push(name(predicted[i], row));
      r.push(name(gold[i], row));
    }
    out.predictions.push(p);
    out.references.push(r);
  });
  return out;
}

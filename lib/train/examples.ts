// What users hand to fit/evaluate: lib/data Examples, plain { text, label } records (label as a class name or an
// index), or a file/folder lib/data can read. Everything becomes lib/data Examples with label indices into the
// classifier's label list; a label that is not in the list is a typed error naming it.

import type { Example } from '../data/types';
import { readExamples, type ReadExamplesOptions } from '../data/read-examples';
import { InputError, LabelMismatchError, TrainingOptionsError } from '../errors';

export interface TextExample {
  /** The text (first sequence of a pair). */
  text: string;
  /** Second sequence of a sentence pair. */
  textPair?: string;
  /** Class name (matched to the classifier's labels by name) or index into them. */
  label: string | number;
}

export type ExampleInput = readonly (Example | TextExample)[] | string;

export function labelIndex(label: string | number, labels: readonly string[], where: string): number {
  if (typeof label === 'number') {
    if (Number.isInteger(label) && label >= 0 && label < labels.length) return label;
    throw new TrainingOptionsError(`${where}: label ${label} is not an index into [${labels.join(', ')}]`, 'ERR_BERTNODE_LABEL');
  }
  const index = labels.indexOf(label);
  if (index < 0) throw new TrainingOptionsError(`${where}: label '${label}' is not one of [${labels.join(', ')}]`, 'ERR_BERTNODE_LABEL');
  return index;
}

// Reads a data file or folder with lib/data. Labels written as names must name one of `labels` (or be the other
// spelling of neg/pos, lib/data/labels.ts); they are matched by name, never by position.
export function readLabelled(source: string, labels: readonly string[], options: Omit<ReadExamplesOptions, 'labels'> = {}): Promise<Example[]> {
  return readExamples(source, { ...options, labels });
}

// A path is read with lib/data (an IMDb folder or archive gives its `split`, 'train' for fitting, 'test' for
// evaluating; the flat formats give every row).
export async function toExamples(input: ExampleInput, labels: readonly string[], what: string, split: 'train' | 'test' = 'train'): Promise<Example[]> {
  if (typeof input === 'string') return readLabelled(input, labels, { splits: [split] });
  if (!Array.isArray(input)) throw new InputError(`${what} must be an array of { text, label } or a path`);
  const named = [...new Set(input.map((e) => (e as TextExample | null)?.label).filter((l): l is string => typeof l === 'string'))];
  if (named.some((l) => !labels.includes(l))) {
    throw new LabelMismatchError(`${what}: the examples' class names are not all among the classifier's labels`, named, labels);
  }
  return input.map((e, i) => {
    if (typeof e?.text !== 'string') throw new InputError(`${what}[${i}].text must be a string`, i);
    if (e.textPair !== undefined && typeof e.textPair !== 'string') throw new InputError(`${what}[${i}].textPair must be a string`, i);
    return {
      id: 'id' in e && typeof e.id === 'string' ? e.id : `${what}/${i}`,
      text: e.text,
      textPair: e.textPair,
      label: labelIndex(e.label, labels, `${what}[${i}]`),
      source: 'source' in e && typeof e.source === 'string' ? e.source : what,
    };
  });
}

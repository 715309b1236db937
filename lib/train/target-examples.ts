// Multi-label and regression examples for BertClassifier. Their labels are vectors (a 0/1 row over the class names,
// or the regression values), which lib/data's encoded datasets (one int32 label per example) do not carry. So each
// example's `label` is its row in a table of targets [rows, width], and the batches the loop sees swap those row
// numbers for the rows themselves (Float32Array [batchSize, width], the head's layout). One swap serves the plain
// loader, the frozen-layer cache's batches and evaluation, which all pass the dataset's labels through unchanged.

import { createHash } from 'node:crypto';
import type { Example } from '../data/types';
import { InputError, LabelMismatchError } from '../errors';
import type { EvaluationBatches, LabeledBatch, RunSettings, TrainingBatches } from './types';

/** A text (or pair) and its labels: class names (multi-label) or a value / `numOutputs` values (regression). */
export interface TargetExample {
  /** The text (first sequence of a pair). */
  text: string;
  /** Second sequence of a sentence pair. */
  textPair?: string;
  /** Multi-label: the names of the classes the text has (any number, none included). Regression: the value(s). */
  label: readonly string[] | number | readonly number[];
}

export interface TargetTable {
  /** Row-major [rows, width]. */
  values: Float32Array;
  width: number;
}

export interface TargetExamples {
  /** Each example's `label` is its row in `targets`. */
  examples: Example[];
  targets: TargetTable;
}

// Where a bad example is reported: `field` of example `index` is wrong for `reason`. Arrays report the index
// (InputError); files their line (./classifier's reader).
export type ExampleFailure = (index: number, field: string, reason: string) => Error;

const inArray = (what: string): ExampleFailure => (i, field, reason) => new InputError(`${what}[${i}].${field} ${reason}`, i);

// Checks every example and builds its target row; class names are matched by name, and every name the data uses
// that the model lacks is reported at once.
export function toTargetExamples(
  input: unknown, problem: 'multi_label' | 'regression', labels: readonly string[], what: string, fail: ExampleFailure = inArray(what),
): TargetExamples {
  if (!Array.isArray(input)) {
    throw new InputError(`${what} must be an array of { text, textPair?, label } or a .jsonl file of them`);
  }
  const width = labels.length;
  const values = new Float32Array(input.length * width);
  const unknown = new Set<string>();
  const examples = input.map((e: Partial<TargetExample> & { id?: unknown }, i): Example => {
    if (typeof e?.text !== 'string') throw fail(i, 'text', 'must be a string');
    if (e.textPair !== undefined && typeof e.textPair !== 'string') throw fail(i, 'textPair', 'must be a string');
    const row = values.subarray(i * width, (i + 1) * width);
    if (problem === 'regression') {
      const v = typeof e.label === 'number' ? [e.label] : e.label;
      if (!Array.isArray(v) || v.length !== width || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw fail(i, 'label', `must be ${width === 1 ? 'a finite number' : `an array of ${width} finite numbers`} (regression)`);
      }
      row.set(v as number[]);
    } else {
      if (!Array.isArray(e.label) || !e.label.every((c) => typeof c === 'string')) throw fail(i, 'label', 'must be an array of class names (multi-label)');
      for (const name of e.label as string[]) {
        const c = labels.indexOf(name);
        if (c < 0) unknown.add(name);
        else row[c] = 1;
      }
    }
    return { id: typeof e.id === 'string' ? e.id : `${what}/${i}`, text: e.text, textPair: e.textPair, label: i, source: what };
  });
  if (unknown.size > 0) {
    throw new LabelMismatchError(`${what}: the examples' class names are not all among the classifier's labels (matched by name)`, [...unknown].sort(), labels);
  }
  return { examples, targets: { values, width } };
}

// A batch whose labels are row numbers of `table`, with the rows in their place.
function swapped({ batch, labels }: LabeledBatch, table: TargetTable): LabeledBatch {
  const { values, width } = table;
  const rows = new Float32Array(labels.length * width);
  labels.forEach((r, i) => rows.set(values.subarray(r * width, (r + 1) * width), i * width));
  return { batch, labels: rows };
}

// The targets join the data's settings: a checkpoint resumed with other targets is refused (./run-settings.ts).
function tableSettings(table: TargetTable, extra: RunSettings): RunSettings {
  const { values } = table;
  const targetsSha256 = createHash('sha256').update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength)).digest('hex');
  return { targetsWidth: table.width, targetsSha256, ...extra };
}

export function trainingWithTargets(data: TrainingBatches, table: TargetTable): TrainingBatches {
  return {
    numExamples: data.numExamples,
    runSettings: () => ({ ...data.runSettings?.(), ...tableSettings(table, {}) }),
    batchesPerEpoch: () => data.batchesPerEpoch(),
    batch: (epoch, index) => swapped(data.batch(epoch, index), table),
  };
}

// `extra`: what else decides the evaluation's numbers (the multi-label threshold).
export function evaluationWithTargets(data: EvaluationBatches, table: TargetTable, extra: RunSettings = {}): EvaluationBatches {
  return {
    numExamples: data.numExamples,
    runSettings: () => ({ ...data.runSettings?.(), ...tableSettings(table, extra) }),
    numBatches: () => data.numBatches(),
    batch: (index) => swapped(data.batch(index), table),
  };
}

// lib/metrics/multilabel.ts against scikit-learn, on the cases scripts/golden/generate_multilabel_metric_cases.py
// wrote (subset accuracy, micro precision/recall/F1, macro and per-class F1, zero_division=0).

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { multiLabelScores } from '../../lib/metrics';

interface Case {
  k: number;
  predictions: number[];
  references: number[];
  accuracy: number;
  precision_micro: number;
  recall_micro: number;
  f1_micro: number;
  f1_macro: number;
  f1_per_class: number[];
  precision_per_class: number[];
  recall_per_class: number[];
}

const { cases } = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'metrics', 'multilabel.json'), 'utf8')) as { cases: Case[] };

// Ratios of integer counts below a thousand, and a mean of at most 8 of them, summed in another order than numpy's:
// a few ulps apart.
const CLOSE = 1e-12;

it.each(cases.map((c, i) => [i, c] as const))('case %i matches sklearn', (_, c) => {
  const s = multiLabelScores(c.predictions, c.references, c.k);
  const pairs: [number, number][] = [
    [s.accuracy, c.accuracy], [s.precision, c.precision_micro], [s.recall, c.recall_micro], [s.f1, c.f1_micro], [s.f1Macro, c.f1_macro],
    ...s.perClass.flatMap((m, j): [number, number][] => [[m.f1, c.f1_per_class[j]], [m.precision, c.precision_per_class[j]], [m.recall, c.recall_per_class[j]]]),
  ];
  for (const [mine, sklearn] of pairs) expect(Math.abs(mine - sklearn)).toBeLessThan(CLOSE);
  expect(s.perClass).toHaveLength(c.k);
});

it('refuses shapes that are not n x k, values other than 0/1 and empty inputs', () => {
  expect(() => multiLabelScores([1, 0, 1], [1, 0, 1], 2)).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_METRIC_INPUT' }));
  expect(() => multiLabelScores([1, 0], [1, 0, 1, 1], 2)).toThrow(/not both n x 2/);
  expect(() => multiLabelScores([0.5, 0], [1, 0], 2)).toThrow(/row 0 class 0 is not a 0\/1 decision/);
  expect(() => multiLabelScores([], [], 3)).toThrow(/no predictions/);
  expect(() => multiLabelScores([1, 0], [1, 0], 1)).toThrow(/need 2 or more/);
});

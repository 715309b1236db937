// lib/metrics against the reference implementations, on the cases scripts/golden/generate_metric_cases.py wrote
// with sklearn, scipy, seqeval, the official SQuAD scripts and run_qa's utils_qa.postprocess_qa_predictions.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  accuracy, f1Score, getEntities, matthewsCorrelation, normalizeAnswer, pearson, postprocessQaPredictions,
  seqevalScores, spearman, squadV1Score, squadV2Score, type SeqevalResult, type TagScheme,
} from '../../lib/metrics';
import { answerTokens, tokenF1 } from '../../lib/metrics/squad-normalize';

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'metrics', name), 'utf8')) as T;
}

// Sums of at most a few hundred terms in another order than numpy's pairwise summation: a few ulps apart.
const CLOSE = 1e-12;

describe('classification metrics vs sklearn', () => {
  const { cases } = fixture<{ cases: Array<{ predictions: number[]; references: number[]; accuracy: number; f1_macro: number; f1_binary?: number; matthews_correlation: number }> }>('classification.json');

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    expect(accuracy(c.predictions, c.references)).toBeCloseTo(c.accuracy, 14);
    expect(Math.abs(f1Score(c.predictions, c.references, { average: 'macro' }) - c.f1_macro)).toBeLessThan(CLOSE);
    if (c.f1_binary !== undefined) expect(Math.abs(f1Score(c.predictions, c.references) - c.f1_binary)).toBeLessThan(CLOSE);
    expect(Math.abs(matthewsCorrelation(c.predictions, c.references) - c.matthews_correlation)).toBeLessThan(CLOSE);
  });

  it('refuses binary F1 over three labels, mismatched lengths and empty inputs', () => {
    expect(() => f1Score([0, 1, 2], [0, 1, 2])).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_METRIC_INPUT' }));
    expect(() => f1Score([0, 2], [2, 0])).toThrow(/positive label 1 is not one of the labels present \[0, 2\]/);
    expect(f1Score([0, 2], [2, 2], { positiveLabel: 2 })).toBeCloseTo(2 / 3, 15);
    expect(() => accuracy([0, 1], [0])).toThrow(/2 predictions but 1 references/);
    expect(() => matthewsCorrelation([], [])).toThrow(/no predictions/);
  });
});

describe('Pearson and Spearman vs scipy.stats', () => {
  const { cases } = fixture<{ cases: Array<{ x: number[]; y: number[]; pearson: number | null; spearmanr: number | null }> }>('correlation.json');

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    for (const [value, expected] of [[pearson(c.x, c.y), c.pearson], [spearman(c.x, c.y), c.spearmanr]] as const) {
      if (expected === null) expect(value).toBeNaN();
      else expect(Math.abs(value - expected)).toBeLessThan(CLOSE);
    }
  });
});

interface SeqevalExpected {
  error?: string;
  overall_precision: number;
  overall_recall: number;
  overall_f1: number;
  overall_accuracy: number;
  per_type: Record<string, { precision: number; recall: number; f1: number; number: number }>;
}

function expectSeqeval(actual: SeqevalResult, expected: SeqevalExpected): void {
  // Ratios of small integer counts: equal to the last bit or one rounding apart.
  expect(actual.overallPrecision).toBeCloseTo(expected.overall_precision, 14);
  expect(actual.overallRecall).toBeCloseTo(expected.overall_recall, 14);
  expect(actual.overallF1).toBeCloseTo(expected.overall_f1, 14);
  expect(actual.overallAccuracy).toBeCloseTo(expected.overall_accuracy, 14);
  expect(Object.keys(actual.perType)).toEqual(Object.keys(expected.per_type));
  for (const [type, scores] of Object.entries(expected.per_type)) {
    expect(actual.perType[type].number).toBe(scores.number);
    expect(actual.perType[type].precision).toBeCloseTo(scores.precision, 14);
    expect(actual.perType[type].recall).toBeCloseTo(scores.recall, 14);
    expect(actual.perType[type].f1).toBeCloseTo(scores.f1, 14);
  }
}

describe('entity scores vs seqeval', () => {
  const { cases } = fixture<{ cases: Array<{ predictions: string[][]; references: string[][]; default: SeqevalExpected; strict: Record<TagScheme, SeqevalExpected>; strict_auto: SeqevalExpected; entities: Array<Array<[string, number, number]>> }> }>('seqeval.json');

  it.each(cases.map((c, i) => [i, c] as const))('case %i: default mode, every strict scheme, scheme detection, get_entities', (_, c) => {
    expectSeqeval(seqevalScores(c.predictions, c.references), c.default);
    const strict: Array<[TagScheme | undefined, SeqevalExpected]> = [
      ...Object.entries(c.strict) as Array<[TagScheme, SeqevalExpected]>, [undefined, c.strict_auto]];
    for (const [scheme, expected] of strict) {
      const run = (): SeqevalResult => seqevalScores(c.predictions, c.references, { mode: 'strict', scheme });
      if (expected.error !== undefined) expect(run).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_METRIC_INPUT' }));
      else expectSeqeval(run(), expected);
    }
    c.references.forEach((tags, s) => {
      expect(getEntities(tags).map((e) => [e.type, e.start, e.end])).toEqual(c.entities[s]);
    });
  });

  it('refuses sentences of different lengths and empty input', () => {
    expect(() => seqevalScores([['O']], [['O', 'O']])).toThrow(/sentence 0 has 1 predicted tags but 2/);
    expect(() => seqevalScores([[]], [[]])).toThrow(/no tags/);
  });
});

describe('SQuAD scores vs the official scripts', () => {
  const data = fixture<{
    normalize: Array<{ text: string; v1: string; v2: string }>;
    pairs: Array<{ prediction: string; gold: string; v1_exact: boolean; v1_f1: number; v2_exact: number; v2_f1: number }>;
    v1: Array<{ predictions: Record<string, string>; references: Array<{ id: string; answers: string[] }>; score: { exact_match: number; f1: number } }>;
    v2: Array<{ predictions: Array<{ id: string; prediction_text: string; no_answer_probability: number }>; references: Array<{ id: string; answers: string[] }>; threshold: number; score: Record<string, number> }>;
  }>('squad.json');

  it('normalises answers as both scripts do (Unicode word boundaries, Python whitespace, ASCII punctuation)', () => {
    for (const { text, v1, v2 } of data.normalize) {
      expect(normalizeAnswer(text)).toBe(v1);
      expect(v1).toBe(v2);
    }
  });

  it('scores single pairs as v1.1 (exact_match_score, f1_score) and v2.0 (compute_exact, compute_f1)', () => {
    for (const p of data.pairs) {
      const v1Exact = normalizeAnswer(p.prediction) === normalizeAnswer(p.gold);
      expect([p.prediction, p.gold, v1Exact]).toEqual([p.prediction, p.gold, p.v1_exact]);
      expect(tokenF1(answerTokens(p.prediction), answerTokens(p.gold))).toBeCloseTo(p.v1_f1, 14);
      const v2 = squadV2Score([{ id: 'q', predictionText: p.prediction, noAnswerProbability: 0 }], [{ id: 'q', answers: [p.gold] }]);
      expect(v2.exact / 100).toBe(p.v2_exact);
      expect(v2.f1 / 100).toBeCloseTo(p.v2_f1, 14);
    }
  });

  it('matches evaluate-v1.1 over sets (best over gold answers, unanswered questions score 0)', () => {
    for (const set of data.v1) {
      const score = squadV1Score(set.predictions, set.references);
      expect(score.exactMatch).toBeCloseTo(set.score.exact_match, 10);
      expect(score.f1).toBeCloseTo(set.score.f1, 10);
    }
  });

  it('matches evaluate-v2.0 over sets (HasAns/NoAns, thresholds, best thresholds)', () => {
    const names: Record<string, string> = {
      exact: 'exact', f1: 'f1', total: 'total', HasAns_exact: 'hasAnsExact', HasAns_f1: 'hasAnsF1', HasAns_total: 'hasAnsTotal',
      NoAns_exact: 'noAnsExact', NoAns_f1: 'noAnsF1', NoAns_total: 'noAnsTotal', best_exact: 'bestExact',
      best_exact_thresh: 'bestExactThresh', best_f1: 'bestF1', best_f1_thresh: 'bestF1Thresh',
    };
    for (const set of data.v2) {
      const score = squadV2Score(set.predictions.map((p) => ({ id: p.id, predictionText: p.prediction_text, noAnswerProbability: p.no_answer_probability })),
        set.references, { noAnswerThreshold: set.threshold }) as unknown as Record<string, number>;
      expect(Object.keys(score).sort()).toEqual(Object.keys(set.score).map((k) => names[k]).sort());
      for (const [key, value] of Object.entries(set.score)) expect(score[names[key]]).toBeCloseTo(value, 10);
    }
  });

  it('refuses v2 predictions without references and references without predictions (the script fails there)', () => {
    expect(() => squadV2Score([{ id: 'x', predictionText: '', noAnswerProbability: 0 }], [{ id: 'q', answers: [] }])).toThrow(/prediction x has no reference/);
    expect(() => squadV2Score([], [{ id: 'q', answers: [] }])).toThrow(/question q has no prediction/);
  });
});

describe('run_qa post-processing vs utils_qa.postprocess_qa_predictions', () => {
  const { cases } = fixture<{ cases: Array<{
    version2: boolean; n_best_size: number; max_answer_length: number; threshold: number;
    examples: Array<{ id: string; context: string }>;
    features: Array<{ example_id: string; offset_mapping: Array<[number, number] | null> }>;
    start_logits: number[][]; end_logits: number[][];
    predictions: Record<string, string>;
    nbest: Record<string, Array<{ text: string; start_logit: number; end_logit: number; probability: number }>>;
    null_odds: Record<string, number> | null;
  }> }>('qa_postprocess.json');

  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const result = postprocessQaPredictions(c.examples,
      c.features.map((f) => ({ exampleId: f.example_id, offsetMapping: f.offset_mapping })),
      c.start_logits, c.end_logits,
      { version2WithNegative: c.version2, nBestSize: c.n_best_size, maxAnswerLength: c.max_answer_length, nullScoreDiffThreshold: c.threshold });
    expect(Object.fromEntries(result.predictions)).toEqual(c.predictions);
    for (const [id, expected] of Object.entries(c.nbest)) {
      const actual = result.nBest.get(id)!;
      // Texts and logits exactly (the logits are float32 values; sums are rounded to float32 as numpy does).
      expect(actual.map((a) => [a.text, a.startLogit, a.endLogit])).toEqual(expected.map((e) => [e.text, e.start_logit, e.end_logit]));
      // numpy's softmax runs in float32: 1e-6 absolute covers its rounding.
      actual.forEach((a, k) => expect(Math.abs(a.probability - expected[k].probability)).toBeLessThan(1e-6));
    }
    if (c.null_odds !== null) expect(Object.fromEntries(result.scoreDiffs)).toEqual(c.null_odds);
  });
});

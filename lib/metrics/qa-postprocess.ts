// From start/end logits per feature (window) back to answer texts, as run_qa's postprocess_qa_predictions
// (utils_qa.py) does: for every feature of an example, the n_best highest start and end logits are paired; a pair
// is a candidate when both ends are context tokens, end ≥ start and the span has at most maxAnswerLength tokens;
// its score is startLogit + endLogit and its text the context between the start token's first and the end token's
// last character. With SQuAD 2.0 the null answer ([CLS] at position 0, the lowest such score over the example's
// features) competes too, and "no answer" wins when it beats the best non-null answer by more than the threshold.
//
// The model's logits are float32 and numpy adds them as float32: sums are rounded to float32 here as well, so
// candidate order and the null comparison match bit for bit.

import { MetricInputError } from '../errors';

export interface QaExampleContext {
  id: string;
  context: string;
}

export interface QaFeatureOffsets {
  exampleId: string;
  // Per token: [start, end) in the context, or null for tokens outside it (question, special tokens, padding).
  offsetMapping: ReadonlyArray<readonly [number, number] | null>;
}

export interface QaPostprocessOptions {
  version2WithNegative?: boolean; // default false
  nBestSize?: number; // default 20
  maxAnswerLength?: number; // default 30
  nullScoreDiffThreshold?: number; // default 0
}

export interface NBestAnswer {
  text: string;
  startLogit: number;
  endLogit: number;
  probability: number;
}

export interface QaPostprocessResult {
  // Example id → answer text ('' = no answer, SQuAD 2.0 only).
  predictions: Map<string, string>;
  nBest: Map<string, NBestAnswer[]>;
  // SQuAD 2.0: example id → null score minus the best non-null score (run_qa's null_odds.json).
  scoreDiffs: Map<string, number>;
}

interface Candidate {
  offsets: readonly [number, number];
  score: number;
  startLogit: number;
  endLogit: number;
}

export function postprocessQaPredictions(examples: readonly QaExampleContext[], features: readonly QaFeatureOffsets[],
  startLogits: ReadonlyArray<ArrayLike<number>>, endLogits: ReadonlyArray<ArrayLike<number>>,
  options: QaPostprocessOptions = {}): QaPostprocessResult {
  const version2 = options.version2WithNegative ?? false;
  const nBestSize = positiveInteger('nBestSize', options.nBestSize ?? 20);
  const maxAnswerLength = positiveInteger('maxAnswerLength', options.maxAnswerLength ?? 30);
  const threshold = options.nullScoreDiffThreshold ?? 0;
  if (startLogits.length !== features.length || endLogits.length !== features.length) {
    throw new MetricInputError(`postprocessQaPredictions: ${features.length} features but ${startLogits.length} start and ${endLogits.length} end logit rows`);
  }
  const featuresOf = new Map<string, number[]>(examples.map((e) => [e.id, []]));
  features.forEach((feature, index) => {
    const list = featuresOf.get(feature.exampleId);
    if (list === undefined) throw new MetricInputError(`postprocessQaPredictions: feature ${index} belongs to unknown example ${feature.exampleId}`);
    list.push(index);
  });
  const result: QaPostprocessResult = { predictions: new Map(), nBest: new Map(), scoreDiffs: new Map() };
  for (const example of examples) {
    let minNull: Candidate | undefined;
    const candidates: Candidate[] = [];
    for (const f of featuresOf.get(example.id)!) {
      const starts = startLogits[f];
      const ends = endLogits[f];
      const offsets = features[f].offsetMapping;
      const nullScore = Math.fround(starts[0] + ends[0]);
      if (minNull === undefined || minNull.score > nullScore) {
        minNull = { offsets: [0, 0], score: nullScore, startLogit: starts[0], endLogit: ends[0] };
      }
      for (const s of topIndices(starts, nBestSize)) {
        for (const e of topIndices(ends, nBestSize)) {
          const startOffsets = s < offsets.length ? offsets[s] : null;
          const endOffsets = e < offsets.length ? offsets[e] : null;
          if (startOffsets === null || endOffsets === null) continue;
          if (e < s || e - s + 1 > maxAnswerLength) continue;
          candidates.push({ offsets: [startOffsets[0], endOffsets[1]], score: Math.fround(starts[s] + ends[e]), startLogit: starts[s], endLogit: ends[e] });
        }
      }
    }
    if (version2 && minNull !== undefined) candidates.push(minNull);
    // Array.prototype.sort is stable, as Python's sorted(reverse=True) is for equal scores.
    const best = candidates.sort((a, b) => b.score - a.score).slice(0, nBestSize);
    if (version2 && minNull !== undefined && !best.some((c) => c.offsets[0] === 0 && c.offsets[1] === 0)) best.push(minNull);
    const answers = best.map((c) => ({ text: example.context.slice(c.offsets[0], c.offsets[1]), score: c.score, startLogit: c.startLogit, endLogit: c.endLogit }));
    // run_qa's guard for the rare case of no non-null candidate at all.
    if (answers.length === 0 || (answers.length === 1 && answers[0].text === '')) {
      answers.unshift({ text: 'empty', score: 0, startLogit: 0, endLogit: 0 });
    }
    const top = Math.max(...answers.map((a) => a.score));
    const weights = answers.map((a) => Math.exp(a.score - top));
    const total = weights.reduce((sum, w) => sum + w, 0);
    result.nBest.set(example.id, answers.map((a, k) => ({ text: a.text, startLogit: a.startLogit, endLogit: a.endLogit, probability: weights[k] / total })));
    if (!version2 || minNull === undefined) {
      result.predictions.set(example.id, answers[0].text);
      continue;
    }
    const bestNonNull = answers.find((a) => a.text !== '')!;
    const diff = Math.fround(Math.fround(minNull.score - bestNonNull.startLogit) - bestNonNull.endLogit);
    result.scoreDiffs.set(example.id, diff);
    result.predictions.set(example.id, diff > threshold ? '' : bestNonNull.text);
  }
  return result;
}

// numpy's argsort(x)[-1:-n-1:-1]: the n largest, largest first; equal values come highest index first (the
// reverse of a stable ascending sort).
function topIndices(values: ArrayLike<number>, n: number): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[b] - values[a] || b - a);
  return order.slice(0, n);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new MetricInputError(`postprocessQaPredictions: ${name} must be a positive integer, got ${value}`);
  return value;
}

// SQuAD scores as the official scripts compute them (through evaluate's "squad" and "squad_v2" metrics, which
// run_qa reports): exact match and token F1, each the best over the gold answers, averaged and given in percent.

import { MetricInputError } from '../errors';
import { answerTokens, normalizeAnswer, tokenF1 } from './squad-normalize';

export interface SquadReference {
  id: string;
  // The gold answer texts; none for an unanswerable SQuAD 2.0 question.
  answers: readonly string[];
}

export interface SquadV2Prediction {
  id: string;
  // The predicted answer; '' predicts "no answer".
  predictionText: string;
  // The model's probability that there is no answer (run_qa passes 0).
  noAnswerProbability: number;
}

export interface SquadV1Result {
  exactMatch: number;
  f1: number;
}

export interface SquadV2Result {
  exact: number;
  f1: number;
  total: number;
  hasAnsExact?: number;
  hasAnsF1?: number;
  hasAnsTotal?: number;
  noAnsExact?: number;
  noAnsF1?: number;
  noAnsTotal?: number;
  bestExact: number;
  bestExactThresh: number;
  bestF1: number;
  bestF1Thresh: number;
}

// evaluate-v1.1.py: every reference counts; a question without a prediction scores 0.
export function squadV1Score(predictions: ReadonlyMap<string, string> | Record<string, string>,
  references: readonly SquadReference[]): SquadV1Result {
  if (references.length === 0) throw new MetricInputError('squad: no references to score');
  const predicted = toMap(predictions);
  let exact = 0;
  let f1 = 0;
  for (const { id, answers } of references) {
    const prediction = predicted.get(id);
    if (prediction === undefined) continue;
    if (answers.length === 0) throw new MetricInputError(`squad: question ${id} has no gold answer (SQuAD 1.1 needs one; use squadV2Score)`);
    const normalized = normalizeAnswer(prediction);
    const tokens = answerTokens(prediction);
    exact += Math.max(...answers.map((gold) => (normalizeAnswer(gold) === normalized ? 1 : 0)));
    f1 += Math.max(...answers.map((gold) => tokenF1(tokens, answerTokens(gold))));
  }
  return { exactMatch: (100 * exact) / references.length, f1: (100 * f1) / references.length };
}

// evaluate-v2.0.py as evaluate's squad_v2 metric runs it: gold answers that normalise to '' are dropped, a question
// left without any is answered only by '' (and F1 is 1 exactly when both sides are empty); a no-answer probability
// above `noAnswerThreshold` turns the prediction into "no answer"; best_exact/best_f1 are the scores at the best
// no-answer threshold. Every reference needs a prediction and every prediction a reference: the script fails
// (KeyError) otherwise, so that is an error here too.
export function squadV2Score(predictions: readonly SquadV2Prediction[], references: readonly SquadReference[],
  options: { noAnswerThreshold?: number } = {}): SquadV2Result {
  const threshold = options.noAnswerThreshold ?? 1.0;
  const hasAnswer = new Map(references.map((r) => [r.id, r.answers.length > 0]));
  const predicted = new Map(predictions.map((p) => [p.id, p]));
  const exactRaw = new Map<string, number>();
  const f1Raw = new Map<string, number>();
  for (const { id } of predictions) {
    if (!hasAnswer.has(id)) throw new MetricInputError(`squad_v2: prediction ${id} has no reference`);
  }
  if (references.length === 0) throw new MetricInputError('squad_v2: no references to score');
  for (const { id, answers } of references) {
    const prediction = predicted.get(id);
    if (prediction === undefined) throw new MetricInputError(`squad_v2: question ${id} has no prediction`);
    const kept = answers.filter((gold) => normalizeAnswer(gold) !== '');
    const golds = kept.length > 0 ? kept : [''];
    const normalized = normalizeAnswer(prediction.predictionText);
    const tokens = answerTokens(prediction.predictionText);
    exactRaw.set(id, Math.max(...golds.map((gold) => (normalizeAnswer(gold) === normalized ? 1 : 0))));
    f1Raw.set(id, Math.max(...golds.map((gold) => emptyAwareF1(answerTokens(gold), tokens))));
  }
  const applyThreshold = (raw: Map<string, number>): Map<string, number> => new Map([...raw].map(([id, score]) =>
    [id, predicted.get(id)!.noAnswerProbability > threshold ? (hasAnswer.get(id) ? 0 : 1) : score]));
  const exact = applyThreshold(exactRaw);
  const f1 = applyThreshold(f1Raw);
  const mean = (scores: Map<string, number>, ids: readonly string[]): number =>
    (100 * ids.reduce((sum, id) => sum + scores.get(id)!, 0)) / ids.length;
  const all = [...exact.keys()];
  const result: SquadV2Result = {
    exact: mean(exact, all), f1: mean(f1, all), total: all.length,
    bestExact: 0, bestExactThresh: 0, bestF1: 0, bestF1Thresh: 0,
  };
  const answerable = references.filter((r) => r.answers.length > 0).map((r) => r.id);
  const unanswerable = references.filter((r) => r.answers.length === 0).map((r) => r.id);
  if (answerable.length > 0) {
    Object.assign(result, { hasAnsExact: mean(exact, answerable), hasAnsF1: mean(f1, answerable), hasAnsTotal: answerable.length });
  }
  if (unanswerable.length > 0) {
    Object.assign(result, { noAnsExact: mean(exact, unanswerable), noAnsF1: mean(f1, unanswerable), noAnsTotal: unanswerable.length });
  }
  [result.bestExact, result.bestExactThresh] = bestThreshold(predictions, exactRaw, hasAnswer);
  [result.bestF1, result.bestF1Thresh] = bestThreshold(predictions, f1Raw, hasAnswer);
  return result;
}

function emptyAwareF1(gold: string[], predicted: string[]): number {
  if (gold.length === 0 || predicted.length === 0) return gold.length === predicted.length ? 1 : 0;
  return tokenF1(predicted, gold);
}

// find_best_thresh: walk the predictions by rising no-answer probability (stable for ties), as if every question
// up to there were answered and the rest not, and keep the best total and the probability where it was reached.
function bestThreshold(predictions: readonly SquadV2Prediction[], raw: Map<string, number>,
  hasAnswer: Map<string, boolean>): [number, number] {
  let score = [...hasAnswer.values()].filter((has) => !has).length;
  let best = score;
  let bestThresh = 0;
  const order = predictions.map((p, index) => ({ p, index }))
    .sort((a, b) => a.p.noAnswerProbability - b.p.noAnswerProbability || a.index - b.index);
  for (const { p } of order) {
    const value = raw.get(p.id);
    if (value === undefined) continue;
    score += hasAnswer.get(p.id) ? value : p.predictionText ? -1 : 0;
    if (score > best) {
      best = score;
      bestThresh = p.noAnswerProbability;
    }
  }
  return [(100 * best) / raw.size, bestThresh];
}

function toMap(predictions: ReadonlyMap<string, string> | Record<string, string>): ReadonlyMap<string, string> {
  return predictions instanceof Map ? predictions : new Map(Object.entries(predictions));
}

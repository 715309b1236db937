// 'question-answering': transformers' QuestionAnsweringPipeline (4.x; removed from 5) on the QA head. A context
// longer than maxSeqLength is cut into windows overlapping by docStride tokens (lib/data's SQuAD windows); in each
// window start and end probabilities are softmaxed over the context tokens and [CLS], every span of at most
// maxAnswerLength tokens scores p(start)·p(end), spans are widened to whole words, and the same answer text found
// again (in another window, or through another token of the same words) adds its score. With
// handleImpossibleAnswer the empty answer competes with the smallest p([CLS])·p([CLS]) of the windows.

import { squadValidationFeatures, type SquadValidationFeature } from '../data';
import { InputError } from '../errors';
import { checkOptions, integer, ofType } from '../train/option-check';
import { forwardRows, softmax } from './batches';
import type { PipelineModel } from './load';

export interface QuestionAnsweringOptions {
  /** Answers returned, best first (default 1: one answer object instead of a list). */
  topK?: number;
  /** Longest answer in tokens (default 15). */
  maxAnswerLength?: number;
  /** Tokens per window, question included (default: the model's maximum, at most 384). */
  maxSeqLength?: number;
  /** Tokens shared by consecutive windows (default: half the window, at most 128). */
  docStride?: number;
  /** Let the empty answer ({answer: '', start: 0, end: 0}) compete (default false). */
  handleImpossibleAnswer?: boolean;
}

export interface Answer {
  answer: string;
  score: number;
  /** UTF-16 offsets of the answer in the context (String.slice). */
  start: number;
  end: number;
}

const OPTIONS = {
  topK: integer(1),
  maxAnswerLength: integer(1),
  maxSeqLength: integer(4),
  docStride: integer(0),
  handleImpossibleAnswer: ofType('boolean'),
};

export async function answerQuestions(loaded: PipelineModel, batchSize: number, question: string | readonly string[],
  context: string | readonly string[], options: QuestionAnsweringOptions = {}): Promise<Answer | Answer[] | Array<Answer | Answer[]>> {
  checkOptions('question-answering', options, OPTIONS);
  const batched = Array.isArray(question);
  const questions = (batched ? question : [question]) as string[];
  const contexts = (Array.isArray(context) ? context : questions.map(() => context)) as string[];
  if (contexts.length !== questions.length) {
    throw new InputError(`question-answering: ${questions.length} questions and ${contexts.length} contexts`);
  }
  questions.forEach((q, i) => {
    if (typeof q !== 'string' || typeof contexts[i] !== 'string') throw new InputError(`question-answering: question and context ${i} must be strings`, i);
    // As transformers: an empty question or context has no answer to look for.
    if (q === '' || contexts[i] === '') throw new InputError(`question-answering: question and context ${i} must not be empty`, i);
  });
  const maxSeqLength = options.maxSeqLength ?? Math.min(loaded.maxLength, 384);
  if (maxSeqLength > loaded.config.maxPositionEmbeddings) {
    throw new InputError(`question-answering: maxSeqLength ${maxSeqLength} exceeds the model's ${loaded.config.maxPositionEmbeddings} positions`);
  }
  const docStride = options.docStride ?? Math.min(Math.floor(maxSeqLength / 2), 128);
  const examples = questions.map((q, i) => ({ id: String(i), title: '', question: q, context: contexts[i], answers: { text: [], answerStart: [] }, source: 'pipeline' }));
  const features = squadValidationFeatures(loaded.tokenizer, examples, { maxLength: maxSeqLength, stride: docStride });
  const logits = await forwardRows(loaded.model, features, batchSize, loaded.tokenizer.padTokenId(), ({ result, indexInBatch, seqLen }, f) => {
    const length = features[f].inputIds.length;
    const at = indexInBatch * seqLen;
    return { start: result.startLogits!.slice(at, at + length), end: result.endLogits!.slice(at, at + length) };
  });
  const topK = options.topK ?? 1;
  const maxAnswerLength = options.maxAnswerLength ?? 15;
  const results = examples.map((example, e) => {
    const answers: Answer[] = [];
    let minNullScore = 1e6;
    features.forEach((feature, f) => {
      if (feature.exampleIndex !== e) return;
      const { spans, nullScore } = bestSpans(feature, logits[f], topK * 2 + 10, maxAnswerLength);
      minNullScore = Math.min(minNullScore, nullScore);
      const words = wordSpans(feature, loaded);
      for (const { start, end, score } of spans) {
        const [from, to] = [words[start][0], words[end][1]];
        const text = example.context.slice(from, to);
        const same = answers.find((a) => a.answer.toLowerCase() === text.toLowerCase());
        if (same) same.score += score;
        else answers.push({ score, start: from, end: to, answer: text });
      }
    });
    if (options.handleImpossibleAnswer) answers.push({ score: minNullScore, start: 0, end: 0, answer: '' });
    const best = answers.sort((a, b) => b.score - a.score).slice(0, topK);
    return topK === 1 ? best[0] : best;
  });
  return batched ? results : results[0];
}

// The window's best spans (select_starts_ends + decode_spans): probabilities over the context tokens and [CLS]
// (every other token gets logit −10000), [CLS]·[CLS] kept as the null score and then zeroed, the `count` best
// (start ≤ end < start + maxAnswerLength) spans, of which those inside the context are kept.
function bestSpans(feature: SquadValidationFeature, logits: { start: Float32Array; end: Float32Array }, count: number, maxAnswerLength: number) {
  const allowed = feature.offsetMapping.map((o, t) => o !== null || t === 0);
  const masked = (values: Float32Array): number[] => softmax(Array.from(values, (v, t) => (allowed[t] ? v : -10000)));
  const start = masked(logits.start);
  const end = masked(logits.end);
  const nullScore = start[0] * end[0];
  start[0] = 0;
  end[0] = 0;
  const candidates: Array<{ start: number; end: number; score: number }> = [];
  for (let s = 0; s < start.length; s++) {
    for (let e = s; e < Math.min(end.length, s + maxAnswerLength); e++) candidates.push({ start: s, end: e, score: start[s] * end[e] });
  }
  candidates.sort((a, b) => b.score - a.score);
  const spans = candidates.slice(0, count).filter((c) => feature.offsetMapping[c.start] !== null && feature.offsetMapping[c.end] !== null);
  return { spans, nullScore };
}

// For each token of the context, the character span of the whole word it belongs to (transformers' token_to_word
// then word_to_chars): a word is a token and the '##' continuation pieces after it.
function wordSpans(feature: SquadValidationFeature, loaded: PipelineModel): Array<[number, number]> {
  const prefix = loaded.tokenizer.config.decoder.prefix;
  const spans: Array<[number, number]> = feature.offsetMapping.map((o) => (o === null ? [0, 0] : [o[0], o[1]]));
  let first = -1;
  const close = (last: number): void => {
    for (let t = first; t <= last; t++) spans[t] = [spans[first][0], feature.offsetMapping[last]![1]];
  };
  feature.offsetMapping.forEach((o, t) => {
    const continues = o !== null && first >= 0 && prefix.length > 0 && (loaded.tokenizer.idToToken(feature.inputIds[t]) ?? '').startsWith(prefix);
    if (continues) return;
    if (first >= 0) close(t - 1);
    first = o === null ? -1 : t;
  });
  if (first >= 0) close(feature.offsetMapping.length - 1);
  return spans;
}

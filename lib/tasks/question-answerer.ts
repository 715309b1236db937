// BertQuestionAnswerer: extractive question answering (transformers' BertForQuestionAnswering, run_qa): SQuAD
// v1.1 / v2.0 examples windowed with a stride (lib/data squad-features), start/end positions as labels, answers
// found by run_qa's n-best post-processing and scored with the official SQuAD metrics.

import { readSquad, squadTrainFeatures, squadValidationFeatures, type SquadExample, type SquadValidationFeature } from '../data';
import { questionAnsweringBatch } from '../data/task-collators';
import { InputError } from '../errors';
import { postprocessQaPredictions, squadV1Score, squadV2Score } from '../metrics';
import { checkOptions, integer, finite, type OptionCheck } from '../train/option-check';
import { LossMean, forEachLongestFirst, itemsDigest, taskItems, taskEvaluator, type Scorer } from './task-batches';
import { TASK_OPTIONS, flag } from './task-options';
import { TaskModel, loadTask, type LoadedTask, type TaskModelOptions } from './task-model';

/** A question about a context, with its gold answers (none: unanswerable, SQuAD 2.0). */
export interface QaExample {
  id?: string;
  question: string;
  context: string;
  /** Answer texts and their character offsets in the context (SQuAD's layout). */
  answers: { text: readonly string[]; answerStart: readonly number[] };
}

/** Examples, or a SQuAD JSON file. */
export type QaData = readonly QaExample[] | string;

export interface QuestionAnswererOptions extends TaskModelOptions {
  /** SQuAD 2.0: questions may have no answer, and "no answer" competes with the best span (default false). */
  version2WithNegative?: boolean;
  /** Tokens by which consecutive windows of a long context overlap (default 128, as run_qa). */
  stride?: number;
  /** Longest answer in tokens (default 30). */
  maxAnswerLength?: number;
  /** SQuAD 2.0: "no answer" wins when its score beats the best span's by more than this (default 0). */
  nullScoreDiffThreshold?: number;
}

/**
 * SQuAD metrics under the names of evaluate's "squad" (`exact_match`, `f1`) or, with version2WithNegative,
 * "squad_v2" (`exact`, `f1`, `HasAns_exact`, ...), plus the loss of the start/end positions.
 */
export type QaMetrics = Record<string, number>;

/** An answer: its text ('' = no answer, SQuAD 2.0) and the post-processing's probability of it. */
export interface QaAnswer {
  answer: string;
  score: number;
}

interface QaEvaluationFeature {
  train: ReturnType<typeof squadTrainFeatures>[number];
  offsets: SquadValidationFeature;
}

const QUESTION_ANSWERER_OPTIONS: Readonly<Record<keyof QuestionAnswererOptions, OptionCheck>> = { ...TASK_OPTIONS, version2WithNegative: flag, stride: integer(1), maxAnswerLength: integer(1), nullScoreDiffThreshold: finite(-Infinity, Infinity) };

export class BertQuestionAnswerer extends TaskModel<QaData, QaMetrics> {
  private constructor(loaded: LoadedTask, private readonly o: QuestionAnswererOptions) {
    super(loaded, o, {
      architecture: 'BertForQuestionAnswering',
      savedConfig: () => ({}),
      cacheable: true,
      trainingItems: async (data) => {
        const features = squadTrainFeatures(loaded.tokenizer, await readQa(data, 'train'), this.featureOptions);
        return taskItems(features, (items) => questionAnsweringBatch(items, this.collate), itemsDigest(features));
      },
      evaluation: async (data) => {
        const examples = await readQa(data, 'evaluation');
        const features = this.evaluationFeatures(examples);
        return {
          ...taskItems(features, (items) => questionAnsweringBatch(items.map((f) => f.train), this.collate), itemsDigest(features.map((f) => f.train))),
          evaluator: taskEvaluator(this.metricNames, o.version2WithNegative ? 'f1' : 'exact_match', () => this.scorer(examples, features)),
        };
      },
    });
  }

  /** Loads a checkpoint (folder or hub id) with a question-answering head (new, or the checkpoint's `qa_outputs`). */
  static async fromPretrained(idOrDir: string, options: QuestionAnswererOptions = {}): Promise<BertQuestionAnswerer> {
    checkOptions('BertQuestionAnswerer', options, QUESTION_ANSWERER_OPTIONS);
    const loaded = await loadTask(idOrDir, { ...options, head: { head: 'question-answering' }, numLabels: 2, labels: () => [] });
    return new BertQuestionAnswerer(loaded, options);
  }

  /** The best answer span (or '' for none, SQuAD 2.0) of each question in its context. */
  async predict(inputs: readonly { question: string; context: string }[]): Promise<QaAnswer[]> {
    if (!Array.isArray(inputs)) throw new InputError('predict takes an array of { question, context }');
    const examples = inputs.map((e, i) => toSquadExample({ ...e, answers: { text: [], answerStart: [] } }, i, 'predict'));
    return this.use('predict', async () => {
      const features = squadValidationFeatures(this.loaded.tokenizer, examples, this.featureOptions);
      const { start, end } = await this.logits(features);
      const result = postprocessQaPredictions(examples, features, start, end, this.postprocessOptions);
      return examples.map((e) => {
        const answer = result.predictions.get(e.id) ?? '';
        const best = result.nBest.get(e.id)?.find((a) => a.text === answer);
        return { answer, score: best?.probability ?? 0 };
      });
    });
  }

  protected override defaultMaxLength(): number {
    return 384;
  }

  private get featureOptions() {
    return { maxLength: this.maxLength, stride: this.o.stride ?? Math.min(128, Math.floor(this.maxLength / 4)) };
  }

  private get postprocessOptions() {
    return { version2WithNegative: this.o.version2WithNegative, maxAnswerLength: this.o.maxAnswerLength, nullScoreDiffThreshold: this.o.nullScoreDiffThreshold };
  }

  private get collate() {
    return { padTokenId: this.loaded.config.padTokenId ?? 0 };
  }

  private get metricNames(): string[] {
    return this.o.version2WithNegative ? ['exact', 'f1', 'HasAns_exact', 'HasAns_f1', 'NoAns_exact', 'NoAns_f1', 'best_exact', 'best_f1', 'loss'] : ['exact_match', 'f1', 'loss'];
  }

  // Each window once with its positions (for the loss) and its offsets (for the answers): both lists come from the
  // same windowing, in the same order.
  private evaluationFeatures(examples: SquadExample[]): QaEvaluationFeature[] {
    const train = squadTrainFeatures(this.loaded.tokenizer, examples, this.featureOptions);
    const offsets = squadValidationFeatures(this.loaded.tokenizer, examples, this.featureOptions);
    if (train.length !== offsets.length) throw new Error(`internal: ${train.length} training windows but ${offsets.length} validation windows`);
    return train.map((t, i) => ({ train: t, offsets: offsets[i] }));
  }

  private async logits(features: readonly SquadValidationFeature[]): Promise<{ start: Float32Array[]; end: Float32Array[] }> {
    const start: Float32Array[] = new Array(features.length);
    const end: Float32Array[] = new Array(features.length);
    const toBatch = (picked: readonly SquadValidationFeature[]) =>
      questionAnsweringBatch(picked.map((f) => ({ ...f, startPosition: 0, endPosition: 0 })), this.collate).batch;
    await forEachLongestFirst(features, this.batchSize, toBatch, async (batch, items) => {
      const out = await this.loaded.model.forward(batch, { training: false });
      items.forEach((item, r) => keepSpanLogits(out, batch.seqLen, r, features[item].inputIds.length, item, start, end));
    });
    return { start, end };
  }

  private scorer(examples: SquadExample[], features: QaEvaluationFeature[]): Scorer<QaMetrics> {
    // Per feature, in feature order (batches come longest first: LabeledBatch.items says which features they hold).
    const start: Float32Array[] = new Array(features.length);
    const end: Float32Array[] = new Array(features.length);
    const loss = new LossMean();
    return {
      add: (out, { batch, items }) => {
        if (!items) throw new Error('question answering: evaluation batches must say which features they hold');
        items.forEach((feature, r) =>
          keepSpanLogits(out, batch.seqLen, r, features[feature].train.inputIds.length, feature, start, end));
        loss.add(out.loss, batch.batchSize);
      },
      result: () => {
        const { predictions } = postprocessQaPredictions(examples, features.map((f) => f.offsets), start, end, this.postprocessOptions);
        const references = examples.map((e) => ({ id: e.id, answers: e.answers.text }));
        if (!this.o.version2WithNegative) {
          const s = squadV1Score(predictions, references);
          return { exact_match: s.exactMatch, f1: s.f1, loss: loss.value };
        }
        const s = squadV2Score(examples.map((e) => ({ id: e.id, predictionText: predictions.get(e.id) ?? '', noAnswerProbability: 0 })), references);
        const named: QaMetrics = { exact: s.exact, f1: s.f1, total: s.total, best_exact: s.bestExact, best_exact_thresh: s.bestExactThresh, best_f1: s.bestF1, best_f1_thresh: s.bestF1Thresh, loss: loss.value };
        if (s.hasAnsTotal !== undefined) Object.assign(named, { HasAns_exact: s.hasAnsExact, HasAns_f1: s.hasAnsF1, HasAns_total: s.hasAnsTotal });
        if (s.noAnsTotal !== undefined) Object.assign(named, { NoAns_exact: s.noAnsExact, NoAns_f1: s.noAnsF1, NoAns_total: s.noAnsTotal });
        return named;
      },
    };
  }
}

// Row r's start and end logits over its feature's real tokens, kept at the feature's index.
function keepSpanLogits(out: { startLogits?: Float32Array; endLogits?: Float32Array }, seqLen: number, r: number,
  length: number, feature: number, start: Float32Array[], end: Float32Array[]): void {
  start[feature] = out.startLogits!.slice(r * seqLen, r * seqLen + length);
  end[feature] = out.endLogits!.slice(r * seqLen, r * seqLen + length);
}

function toSquadExample(e: QaExample, i: number, what: string): SquadExample {
  if (typeof e?.question !== 'string' || typeof e?.context !== 'string') throw new InputError(`${what}[${i}] needs question and context strings`, i);
  const text = e.answers?.text ?? [];
  const answerStart = e.answers?.answerStart ?? [];
  if (!Array.isArray(text) || !Array.isArray(answerStart) || text.length !== answerStart.length) {
    throw new InputError(`${what}[${i}].answers must have text and answerStart arrays of the same length`, i);
  }
  return { id: e.id ?? `${what}/${i}`, title: '', question: e.question, context: e.context, answers: { text: [...text], answerStart: [...answerStart] }, source: `${what}[${i}]` };
}

export async function readQa(data: QaData, what: string): Promise<SquadExample[]> {
  if (typeof data === 'string') return readSquad(data);
  if (!Array.isArray(data)) throw new InputError(`${what} must be an array of { question, context, answers } or a SQuAD JSON path`);
  return data.map((e, i) => toSquadExample(e, i, what));
}

// BertTokenClassifier: named-entity recognition and other token tagging (transformers' BertForTokenClassification,
// run_ner): words → first-sub-token labels (lib/data TokenAligner), seqeval's entity-level metrics.

import { readConll, readTaggedJsonl, tagLabelList, TokenAligner, type TaggedSentence } from '../data';
import { tokenLabelBatch } from '../data/task-collators';
import { InputError, LabelMismatchError, OptionValueError } from '../errors';
import { seqevalScores, tagSequences } from '../metrics';
import { softmaxRow } from '../train/metrics';
import { matchHeadLabels } from '../train/head-labels';
import { checkOptions, type OptionCheck } from '../train/option-check';
import { LossMean, forEachLongestFirst, itemsDigest, taskItems, taskEvaluator, type Scorer } from './task-batches';
import { TASK_OPTIONS, labelNames, flag } from './task-options';
import { TaskModel, loadTask, type LoadedTask, type TaskAdapter, type TaskModelOptions } from './task-model';

/** A sentence of words with one tag per word. */
export interface TaggedWords {
  tokens: readonly string[];
  tags: readonly string[];
}

/** Tagged sentences, or a CoNLL file (`.jsonl`: one `{tokens, tags}` per line). */
export type TaggingData = readonly TaggedWords[] | string;

export interface TokenClassifierOptions extends TaskModelOptions {
  /**
   * Tag names, in the order of the head's outputs. Required for a checkpoint without a token-classification head;
   * for one with a head, they must be its id2label names (any order, matched by name).
   */
  labels?: readonly string[];
  /** Label every sub-token of a word (B- becomes I- after the first), not only the first (default false). */
  labelAllTokens?: boolean;
}

/** seqeval's overall scores, as run_ner reports them. */
export interface TokenClassificationMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Token-level accuracy over the labelled positions. */
  accuracy: number;
  /** Mean loss over the batches' examples. */
  loss: number;
}

/** One word's predicted tag. */
export interface WordPrediction {
  word: string;
  /** The tag of the word's first sub-token. */
  label: string;
  score: number;
}

const METRICS = ['precision', 'recall', 'f1', 'accuracy', 'loss'];

const TOKEN_CLASSIFIER_OPTIONS: Readonly<Record<keyof TokenClassifierOptions, OptionCheck>> = { ...TASK_OPTIONS, labels: labelNames, labelAllTokens: flag };

export class BertTokenClassifier extends TaskModel<TaggingData, TokenClassificationMetrics> {
  private readonly aligner: TokenAligner;

  private constructor(loaded: LoadedTask, o: TokenClassifierOptions) {
    super(loaded, o, {
      architecture: 'BertForTokenClassification',
      savedConfig: () => ({}),
      cacheable: true,
      trainingItems: async (data) => {
        const rows = await this.align(data, 'train');
        return taskItems(rows, (items) => tokenLabelBatch(items, this.collate), itemsDigest(rows.map((r) => r.inputIds.concat(r.labels))));
      },
      evaluation: async (data) => {
        const rows = await this.align(data, 'evaluation');
        return {
          ...taskItems(rows, (items) => tokenLabelBatch(items, this.collate), itemsDigest(rows.map((r) => r.inputIds.concat(r.labels)))),
          evaluator: taskEvaluator(METRICS, 'f1', () => this.scorer()),
        };
      },
    } satisfies TaskAdapter<TaggingData, TokenClassificationMetrics>);
    this.aligner = new TokenAligner(loaded.tokenizer, loaded.labels, { maxLength: this.maxLength, labelAllTokens: o.labelAllTokens });
  }

  /** Loads a checkpoint (folder or hub id) with a token-classification head (new, or the checkpoint's). */
  static async fromPretrained(idOrDir: string, options: TokenClassifierOptions = {}): Promise<BertTokenClassifier> {
    checkOptions('BertTokenClassifier', options, TOKEN_CLASSIFIER_OPTIONS);
    const loaded = await loadTask(idOrDir, {
      ...options,
      head: { head: 'token-classification' },
      numLabels: options.labels?.length,
      labels: (checkpointLabels, { tensors, missing }) => {
        if (!missing.includes('classifier.weight')) return matchHeadLabels(checkpointLabels, options.labels, tensors);
        if (!options.labels) throw new OptionValueError('labels', `${idOrDir} has no token-classification head: give the tag names`);
        if (new Set(options.labels).size !== options.labels.length || options.labels.length < 1) throw new OptionValueError('labels', 'must be distinct tag names');
        return [...options.labels];
      },
    });
    return new BertTokenClassifier(loaded, options);
  }

  /** Each word's tag (from its first sub-token) and probability. Inputs: words, or a text split at whitespace. */
  async predict(inputs: readonly (string | readonly string[])[]): Promise<WordPrediction[][]> {
    if (!Array.isArray(inputs)) throw new InputError('predict takes an array of texts or word lists');
    const sentences = inputs.map((input, i) => {
      const words = typeof input === 'string' ? input.split(/\s+/).filter((w) => w.length > 0) : input;
      if (!Array.isArray(words) || !words.every((w) => typeof w === 'string')) throw new InputError(`predict: input ${i} is not a string or an array of strings`, i);
      return words as readonly string[];
    });
    return this.use('predict', async () => {
      const out: WordPrediction[][] = new Array(sentences.length);
      const labels = this.labels;
      const rows = sentences.map((tokens) => this.aligner.align({ tokens }));
      await forEachLongestFirst(rows, this.batchSize, (picked) => tokenLabelBatch(picked, this.collate).batch, async (batch, items) => {
        const { logits } = await this.loaded.model.forward(batch, { training: false });
        items.forEach((item, r) => {
          const row = rows[item];
          const words: WordPrediction[] = [];
          row.wordIds.forEach((word, t) => {
            if (word === null || (t > 0 && row.wordIds[t - 1] === word)) return;
            const p = softmaxRow(logits, (r * batch.seqLen + t) * labels.length, labels.length);
            const best = p.indexOf(Math.max(...p));
            words.push({ word: sentences[item][word], label: labels[best], score: p[best] });
          });
          out[item] = words;
        });
      });
      return out;
    });
  }

  private get collate() {
    return { padTokenId: this.loaded.config.padTokenId ?? 0 };
  }

  private async align(data: TaggingData, what: string) {
    const sentences = await readTagging(data, what);
    const dataLabels = tagLabelList(sentences);
    if (dataLabels.some((l) => !this.labels.includes(l))) {
      throw new LabelMismatchError(`${what}: the data's tags are not all among the model's labels (matched by name)`, dataLabels, this.labels);
    }
    return sentences.map((s) => this.aligner.align(s));
  }

  private scorer(): Scorer<TokenClassificationMetrics> {
    const predictions: Int32Array[] = [];
    const gold: Int32Array[] = [];
    const loss = new LossMean();
    const k = this.labels.length;
    return {
      add: (out, { batch, labels }) => {
        for (let r = 0; r < batch.batchSize; r++) {
          const p = new Int32Array(batch.seqLen);
          for (let t = 0; t < batch.seqLen; t++) {
            const o = (r * batch.seqLen + t) * k;
            let best = 0;
            for (let c = 1; c < k; c++) if (out.logits[o + c] > out.logits[o + best]) best = c;
            p[t] = best;
          }
          predictions.push(p);
          gold.push(labels.subarray(r * batch.seqLen, (r + 1) * batch.seqLen) as Int32Array);
        }
        loss.add(out.loss, batch.batchSize);
      },
      result: () => {
        const tags = tagSequences(predictions, gold, this.labels);
        const s = seqevalScores(tags.predictions, tags.references);
        return { precision: s.overallPrecision, recall: s.overallRecall, f1: s.overallF1, accuracy: s.overallAccuracy, loss: loss.value };
      },
    };
  }
}

// Tagged sentences from the API's arrays or a file (CoNLL, or JSONL by extension).
export async function readTagging(data: TaggingData, what: string): Promise<TaggedSentence[]> {
  if (typeof data === 'string') return data.endsWith('.jsonl') || data.endsWith('.json') ? readTaggedJsonl(data) : readConll(data);
  if (!Array.isArray(data)) throw new InputError(`${what} must be an array of { tokens, tags } or a file path`);
  return data.map((s, i) => {
    if (!Array.isArray(s?.tokens) || !Array.isArray(s?.tags) || s.tokens.length !== s.tags.length) {
      throw new InputError(`${what}[${i}] must have tokens and tags arrays of the same length`, i);
    }
    return { id: String(i), tokens: [...s.tokens], tags: [...s.tags], source: `${what}[${i}]` };
  });
}

// BertMaskedLM: masked-language-model pre-training (transformers' BertForMaskedLM, run_mlm) and, with `nsp`,
// next-sentence prediction beside it (BertForPreTraining). Text lines (or blocks of grouped lines) are masked by
// lib/data's 80/10/10 collator with a key derived from (seed, epoch, batch), so every batch is reproducible and a
// resumed run masks exactly as the interrupted one; evaluation masks with fixed keys, so two evaluations compare.

import { groupedFeatures, lineByLineFeatures, MlmMasker, streamTextLines, type MlmFeature, type TextLineRecord } from '../data';
import { nextSentencePairs, readNspDocuments } from '../data/nsp-pairs';
import { tokenLabelBatch } from '../data/task-collators';
import { IGNORE_INDEX } from '../data/token-alignment';
import { InputError, OptionValueError } from '../errors';
import { softmaxRow } from '../train/metrics';
import type { LabeledBatch } from '../train/types';
import { checkOptions, finite, type OptionCheck } from '../train/option-check';
import { LossMean, forEachLongestFirst, itemsDigest, taskItems, taskEvaluator, type Scorer } from './task-batches';
import { TASK_OPTIONS, flag } from './task-options';
import { TaskModel, loadTask, type LoadedTask, type TaskModelOptions } from './task-model';

/** Text lines, or a text file (one example per line, as run_mlm's --line_by_line). */
export type TextData = readonly string[] | string;

export interface MaskedLmOptions extends TaskModelOptions {
  /**
   * Also train next-sentence prediction (BertForPreTraining): the text is one sentence per line with a blank line
   * between documents, paired as transformers' TextDatasetForNextSentencePrediction pairs it.
   */
  nsp?: boolean;
  /** Share of tokens masked (default 0.15). */
  mlmProbability?: number;
  /** Mask whole words (every piece of a chosen word becomes [MASK]). Default false. */
  wholeWordMask?: boolean;
  /** Concatenate the lines and cut blocks of maxLength tokens (run_mlm without --line_by_line). Default false. */
  groupTexts?: boolean;
}

/** run_mlm's metrics: the masked-LM `loss` and `perplexity` = exp(loss); with NSP its `next_sentence_accuracy`. */
export interface MaskedLmMetrics {
  loss: number;
  perplexity: number;
  next_sentence_accuracy?: number;
}

/** A candidate for a [MASK] position, as transformers' fill-mask pipeline gives it. */
export interface MaskFill {
  token: number;
  token_str: string;
  score: number;
}

interface MlmRow extends MlmFeature {
  // Next-sentence label (0: the second segment follows the first), with nsp.
  next?: number;
}

const MASKED_LM_OPTIONS: Readonly<Record<keyof MaskedLmOptions, OptionCheck>> = { ...TASK_OPTIONS, nsp: flag, mlmProbability: finite(0, 1, true), wholeWordMask: flag, groupTexts: flag };

export class BertMaskedLM extends TaskModel<TextData, MaskedLmMetrics> {
  private constructor(loaded: LoadedTask, private readonly o: MaskedLmOptions) {
    super(loaded, o, {
      architecture: o.nsp ? 'BertForPreTraining' : 'BertForMaskedLM',
      savedConfig: () => ({}),
      // Masks differ from batch to batch: the frozen layers' output is not the same twice.
      cacheable: false,
      trainingItems: async (data, seed) => {
        const rows = await this.rows(data, seed);
        return taskItems(rows, (items, key) => this.collate(items, key), itemsDigest(rows.map((r) => [r.inputIds, r.next])));
      },
      evaluation: async (data) => {
        const rows = await this.rows(data, this.options.seed ?? 42);
        return {
          ...taskItems(rows, (items, key) => this.collate(items, key), itemsDigest(rows.map((r) => [r.inputIds, r.next]))),
          evaluator: taskEvaluator(o.nsp ? ['loss', 'perplexity', 'next_sentence_accuracy'] : ['loss', 'perplexity'], 'loss', () => this.scorer()),
        };
      },
    });
  }

  /** Loads a checkpoint (folder or hub id) with the masked-LM head (the checkpoint's `cls.predictions`, or new). */
  static async fromPretrained(idOrDir: string, options: MaskedLmOptions = {}): Promise<BertMaskedLM> {
    checkOptions('BertMaskedLM', options, MASKED_LM_OPTIONS);
    if (options.nsp && options.wholeWordMask) throw new OptionValueError('wholeWordMask', 'is not available with nsp (sentence pairs carry no word offsets)');
    const loaded = await loadTask(idOrDir, { ...options, head: { head: options.nsp ? 'pretraining' : 'masked-lm' }, numLabels: 2, labels: () => [] });
    return new BertMaskedLM(loaded, options);
  }

  /** The `topK` (default 5) most likely tokens at each [MASK] of each text, in order of the masks. */
  async predict(texts: readonly string[], options: { topK?: number } = {}): Promise<MaskFill[][][]> {
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new InputError('predict takes an array of texts');
    const topK = options.topK ?? 5;
    const tokenizer = this.loaded.tokenizer;
    const maskId = this.maskTokenId;
    return this.use('predict', async () => {
      const out: MaskFill[][][] = new Array(texts.length);
      const vocab = this.loaded.config.vocabSize;
      const rows = texts.map((t) => tokenizer.encode(t, undefined, { maxLength: this.maxLength, truncation: true }));
      const toBatch = (picked: Readonly<typeof rows>) =>
        tokenLabelBatch(picked.map((r) => ({ ...r, labels: r.inputIds.map(() => IGNORE_INDEX) })), { padTokenId: this.padTokenId }).batch;
      await forEachLongestFirst(rows, this.batchSize, toBatch, async (batch, items) => {
        const { logits } = await this.loaded.model.forward(batch, { training: false });
        items.forEach((item, r) => {
          const row = rows[item];
          const fills: MaskFill[][] = [];
          row.inputIds.forEach((id, t) => {
            if (id !== maskId) return;
            const p = softmaxRow(logits, (r * batch.seqLen + t) * vocab, vocab);
            const best = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, topK);
            fills.push(best.map((token) => ({ token, token_str: tokenizer.idToToken(token) ?? '', score: p[token] })));
          });
          out[item] = fills;
        });
      });
      return out;
    });
  }

  private get padTokenId(): number {
    return this.loaded.config.padTokenId ?? 0;
  }

  private get maskTokenId(): number {
    const id = this.loaded.tokenizer.tokenToId('[MASK]');
    if (id === undefined) throw new InputError("the tokenizer's vocabulary has no [MASK] token");
    return id;
  }

  private async rows(data: TextData, seed: number): Promise<MlmRow[]> {
    const all = await readLines(data);
    const tokenizer = this.loaded.tokenizer;
    if (this.o.nsp) {
      // Documents are separated by blank lines (lib/data's TextDatasetForNextSentencePrediction pairs).
      const documents = await readNspDocuments(tokenizer, iterate(all));
      const special = new Set([tokenizer.tokenToId('[CLS]'), tokenizer.tokenToId('[SEP]')]);
      return nextSentencePairs(tokenizer, documents, { blockSize: this.maxLength, seed }).map((p) => ({
        inputIds: p.inputIds, tokenTypeIds: p.tokenTypeIds, attentionMask: p.inputIds.map(() => 1),
        specialTokensMask: p.inputIds.map((id) => (special.has(id) ? 1 : 0)), offsets: [], next: p.nextSentenceLabel,
      }));
    }
    const features: MlmRow[] = [];
    const source = iterate(all.filter((l) => l.text.trim().length > 0));
    const stream = this.o.groupTexts ? groupedFeatures(tokenizer, source, { blockSize: this.maxLength }) : lineByLineFeatures(tokenizer, source, { maxLength: this.maxLength });
    for await (const f of stream) features.push(f);
    return features;
  }

  // Masks the rows with a masker keyed by the batch (lib/data's 80/10/10 collator). A batch where no token was
  // chosen would have no loss (0/0): its first maskable token is then chosen, so every batch trains.
  private collate(rows: readonly MlmRow[], key: number): LabeledBatch {
    const masker = new MlmMasker({ maskTokenId: this.maskTokenId, vocabSize: this.loaded.config.vocabSize, seed: key,
      mlmProbability: this.o.mlmProbability, wholeWordMask: this.o.wholeWordMask });
    const masked = rows.map((r) => ({ ...masker.mask(r), tokenTypeIds: r.tokenTypeIds }));
    if (masked.every((m) => m.labels.every((l) => l === IGNORE_INDEX))) {
      const t = rows[0].specialTokensMask.indexOf(0);
      if (t >= 0) {
        masked[0].labels[t] = rows[0].inputIds[t];
        masked[0].inputIds[t] = this.maskTokenId;
      }
    }
    const { batch, labels } = tokenLabelBatch(masked, { padTokenId: this.padTokenId });
    if (!this.o.nsp) return { batch, labels };
    const all = new Int32Array(labels.length + rows.length);
    all.set(labels);
    rows.forEach((r, i) => { all[labels.length + i] = r.next!; });
    return { batch, labels: all };
  }

  // The masked-LM loss is recomputed from the logits (in float64) so that with NSP it is reported apart from the
  // next-sentence loss, as run_mlm's perplexity needs; batches are weighted by their rows, as transformers' Trainer.
  private scorer(): Scorer<MaskedLmMetrics> {
    const loss = new LossMean();
    let nspCorrect = 0;
    let nspCount = 0;
    const vocab = this.loaded.config.vocabSize;
    return {
      add: (out, { batch, labels }) => {
        const tokens = batch.batchSize * batch.seqLen;
        let sum = 0;
        let count = 0;
        for (let i = 0; i < tokens; i++) {
          const gold = labels[i];
          if (gold === IGNORE_INDEX) continue;
          const row = out.logits.subarray(i * vocab, (i + 1) * vocab);
          let max = -Infinity;
          for (const v of row) max = Math.max(max, v);
          let z = 0;
          for (const v of row) z += Math.exp(v - max);
          sum += Math.log(z) + max - row[gold];
          count++;
        }
        if (count > 0) loss.add(sum / count, batch.batchSize);
        if (this.o.nsp && out.seqRelationshipLogits) {
          for (let r = 0; r < batch.batchSize; r++) {
            const predicted = out.seqRelationshipLogits[2 * r + 1] > out.seqRelationshipLogits[2 * r] ? 1 : 0;
            if (predicted === labels[tokens + r]) nspCorrect++;
            nspCount++;
          }
        }
      },
      result: () => {
        const metrics: MaskedLmMetrics = { loss: loss.value, perplexity: Math.exp(loss.value) };
        if (this.o.nsp) metrics.next_sentence_accuracy = nspCount === 0 ? 0 : nspCorrect / nspCount;
        return metrics;
      },
    };
  }
}

async function readLines(data: TextData): Promise<TextLineRecord[]> {
  const out: TextLineRecord[] = [];
  if (typeof data === 'string') {
    for await (const record of streamTextLines(data)) out.push(record);
    return out;
  }
  if (!Array.isArray(data) || !data.every((l) => typeof l === 'string')) throw new InputError('text data must be an array of strings or a file path');
  return data.map((text, i) => ({ text, line: i + 1 }));
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

// BertSequenceClassifier: sentence and sentence-pair classification on the task base, with Hugging Face's three
// problem types (BertForSequenceClassification's problem_type): single-label (cross-entropy over class names),
// multi-label (BCE over independent class names, float labels [B, C]) and regression (MSE on numLabels values,
// STS-B's similarity score). With `glueTask` the metrics are run_glue's for that task.

import { padTaskRows } from '../data/task-collators';
import { InputError, LabelMismatchError, OptionValueError } from '../errors';
import { accuracy, glueMetrics, matthewsCorrelation, pearson, spearman, type GlueMetricTask } from '../metrics';
import { matchHeadLabels } from '../train/head-labels';
import { HF_PROBLEM_TYPE, PROBLEM_TYPE_NAMES, type ProblemTypeName } from '../train/problem-type';
import { softmaxRow } from '../train/metrics';
import type { LabeledBatch } from '../train/types';
import { checkOptions, integer, oneOf, ofType, type OptionCheck } from '../train/option-check';
import { LossMean, forEachLongestFirst, itemsDigest, taskItems, taskEvaluator, type Scorer } from './task-batches';
import { TASK_OPTIONS, labelNames } from './task-options';
import { TaskModel, defaultLabels, loadTask, type LoadedTask, type TaskModelOptions } from './task-model';

/** A text (or pair) and its label: a class name (single-label), class names (multi-label) or value(s) (regression). */
export interface SequenceExample {
  text: string;
  textPair?: string;
  label: string | readonly string[] | number | readonly number[];
}

export type SequenceData = readonly SequenceExample[];

export interface SequenceClassifierOptions extends TaskModelOptions {
  /** 'single_label' (default), 'multi_label' or 'regression'. */
  problemType?: ProblemTypeName;
  /** Class names (classification; required for a checkpoint without a head). Matched by name to a trained head's. */
  labels?: readonly string[];
  /** Regression outputs (default 1). */
  numOutputs?: number;
  /** Report run_glue's metrics for this GLUE task (cola: matthews_correlation, stsb: pearson/spearmanr, ...). */
  glueTask?: GlueMetricTask;
}

/**
 * Metrics under Hugging Face's names. Without glueTask: accuracy and matthews_correlation (single-label; multi-label
 * over every class decision at probability 0.5), pearson and spearmanr (regression); loss. With glueTask: run_glue's.
 */
export type SequenceMetrics = Record<string, number>;

/** Classification: the top class and every class's probability (softmax; sigmoid for multi-label). Regression: the values. */
export interface SequencePrediction {
  label?: string;
  scores: Record<string, number>;
}

interface Row {
  inputIds: number[];
  tokenTypeIds: number[];
  label: number[];
}

const SEQUENCE_CLASSIFIER_OPTIONS: Readonly<Record<keyof SequenceClassifierOptions, OptionCheck>> = { ...TASK_OPTIONS, problemType: oneOf(...PROBLEM_TYPE_NAMES), labels: labelNames, numOutputs: integer(1), glueTask: ofType('string') };

export class BertSequenceClassifier extends TaskModel<SequenceData, SequenceMetrics> {
  private readonly problem: ProblemTypeName;

  private constructor(loaded: LoadedTask, private readonly o: SequenceClassifierOptions) {
    super(loaded, o, {
      architecture: 'BertForSequenceClassification',
      savedConfig: () => ({ problem_type: HF_PROBLEM_TYPE[this.problem] }),
      cacheable: true,
      trainingItems: async (data) => {
        const rows = this.rows(data, 'train');
        return taskItems(rows, (items) => this.collate(items), itemsDigest(rows));
      },
      evaluation: async (data) => {
        const rows = this.rows(data, 'evaluation');
        const names = metricNames(o);
        return {
          ...taskItems(rows, (items) => this.collate(items), itemsDigest(rows)),
          evaluator: taskEvaluator(names, names[0], () => this.scorer()),
        };
      },
    });
    this.problem = o.problemType ?? 'single_label';
  }

  /** Loads a checkpoint (folder or hub id) with a sequence-classification head on the pooler (new, or the checkpoint's). */
  static async fromPretrained(idOrDir: string, options: SequenceClassifierOptions = {}): Promise<BertSequenceClassifier> {
    checkOptions('BertSequenceClassifier', options, SEQUENCE_CLASSIFIER_OPTIONS);
    const problem = options.problemType ?? 'single_label';
    const regression = problem === 'regression';
    const numOutputs = regression ? options.numOutputs ?? 1 : options.labels?.length;
    const loaded = await loadTask(idOrDir, {
      ...options,
      head: { head: 'pooler', problemType: HF_PROBLEM_TYPE[problem] },
      numLabels: numOutputs,
      labels: (checkpointLabels, { tensors, missing }) => {
        if (regression) return defaultLabels(numOutputs!);
        if (!missing.includes('classifier.weight')) return matchHeadLabels(checkpointLabels, options.labels, tensors);
        if (!options.labels || options.labels.length < 2 || new Set(options.labels).size !== options.labels.length) {
          throw new OptionValueError('labels', `${idOrDir} has no classification head: give 2 or more distinct class names`);
        }
        return [...options.labels];
      },
    });
    return new BertSequenceClassifier(loaded, options);
  }

  /** Class probabilities (or regression values) of each text or [text, textPair]. */
  async predict(inputs: readonly (string | readonly [string, string])[]): Promise<SequencePrediction[]> {
    const rows = this.rows(inputs.map((t) => (typeof t === 'string' ? { text: t, label: this.placeholder() } : { text: t[0], textPair: t[1], label: this.placeholder() })), 'predict');
    return this.use('predict', async () => {
      const out: SequencePrediction[] = new Array(rows.length);
      const k = this.labels.length;
      await forEachLongestFirst(rows, this.batchSize, (picked) => this.collate(picked).batch, async (batch, items) => {
        const { logits } = await this.loaded.model.forward(batch, { training: false });
        for (let r = 0; r < batch.batchSize; r++) {
          const row = Array.from(logits.subarray(r * k, (r + 1) * k));
          const p = this.problem === 'single_label' ? softmaxRow(logits, r * k, k) : this.problem === 'multi_label' ? row.map((x) => 1 / (1 + Math.exp(-x))) : row;
          out[items[r]] = { label: this.problem === 'regression' ? undefined : this.labels[p.indexOf(Math.max(...p))], scores: Object.fromEntries(this.labels.map((l, c) => [l, p[c]])) };
        }
      });
      return out;
    });
  }

  private placeholder(): SequenceExample['label'] {
    return this.problem === 'regression' ? 0 : this.problem === 'multi_label' ? [] : this.labels[0];
  }

  private rows(data: SequenceData, what: string): Row[] {
    if (!Array.isArray(data)) throw new InputError(`${what} must be an array of { text, textPair?, label }`);
    const names = new Set<string>();
    const rows = data.map((e, i) => {
      if (typeof e?.text !== 'string' || (e.textPair !== undefined && typeof e.textPair !== 'string')) throw new InputError(`${what}[${i}] needs text (and textPair) strings`, i);
      const enc = this.loaded.tokenizer.encode(e.text, e.textPair, { maxLength: this.maxLength, truncation: 'longest_first' });
      return { inputIds: enc.inputIds, tokenTypeIds: enc.tokenTypeIds, label: this.labelVector(e.label, i, what, names) };
    });
    const unknown = [...names].filter((n) => !this.labels.includes(n));
    if (unknown.length > 0) throw new LabelMismatchError(`${what}: the data's classes are not all among the model's labels (matched by name)`, [...names].sort(), this.labels);
    return rows;
  }

  private labelVector(label: SequenceExample['label'], i: number, what: string, names: Set<string>): number[] {
    const k = this.labels.length;
    if (this.problem === 'regression') {
      const values = typeof label === 'number' ? [label] : label;
      if (!Array.isArray(values) || values.length !== k || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new InputError(`${what}[${i}].label must be ${k === 1 ? 'a finite number' : `${k} finite numbers`} (regression)`, i);
      }
      return [...values as number[]];
    }
    const classes = this.problem === 'multi_label' ? label : [label];
    if (!Array.isArray(classes) || !classes.every((c) => typeof c === 'string') || (this.problem === 'single_label' && typeof label !== 'string')) {
      throw new InputError(`${what}[${i}].label must be ${this.problem === 'single_label' ? 'a class name' : 'an array of class names'}`, i);
    }
    (classes as string[]).forEach((c) => names.add(c));
    return (classes as string[]).map((c) => this.labels.indexOf(c));
  }

  private collate(rows: readonly Row[]): LabeledBatch {
    const batch = padTaskRows(rows, { padTokenId: this.loaded.config.padTokenId ?? 0 });
    if (this.problem === 'single_label') return { batch, labels: Int32Array.from(rows, (r) => r.label[0]) };
    const k = this.labels.length;
    const labels = new Float32Array(rows.length * k);
    rows.forEach((r, i) => {
      if (this.problem === 'regression') labels.set(r.label, i * k);
      else for (const c of r.label) labels[i * k + c] = 1;
    });
    return { batch, labels };
  }

  private scorer(): Scorer<SequenceMetrics> {
    const predictions: number[] = [];
    const references: number[] = [];
    const loss = new LossMean();
    const k = this.labels.length;
    return {
      add: (out, { batch, labels }) => {
        for (let r = 0; r < batch.batchSize; r++) {
          if (this.problem === 'single_label') {
            const row = out.logits.subarray(r * k, (r + 1) * k);
            predictions.push(row.indexOf(Math.max(...row)));
            references.push(labels[r]);
          } else {
            // Regression: the values; multi-label: each class's 0/1 decision at logit 0 (probability 0.5).
            for (let c = 0; c < k; c++) {
              const x = out.logits[r * k + c];
              predictions.push(this.problem === 'regression' ? x : x > 0 ? 1 : 0);
              references.push(labels[r * k + c]);
            }
          }
        }
        loss.add(out.loss, batch.batchSize);
      },
      result: (): SequenceMetrics => {
        if (this.o.glueTask) return { ...glueMetrics(this.o.glueTask, predictions, references), loss: loss.value };
        if (this.problem === 'regression') return { pearson: pearson(predictions, references), spearmanr: spearman(predictions, references), loss: loss.value };
        return { accuracy: accuracy(predictions, references), matthews_correlation: matthewsCorrelation(predictions, references), loss: loss.value };
      },
    };
  }
}

// The metrics the scorer reports (the first picks the best model by default): run_glue's for a GLUE task.
function metricNames(o: SequenceClassifierOptions): string[] {
  const task = o.glueTask;
  if (task === 'cola') return ['matthews_correlation', 'loss'];
  if (task === 'stsb') return ['pearson', 'spearmanr', 'combined_score', 'loss'];
  if (task === 'mrpc' || task === 'qqp') return ['accuracy', 'f1', 'combined_score', 'loss'];
  if (task) return ['accuracy', 'loss'];
  return o.problemType === 'regression' ? ['pearson', 'spearmanr', 'loss'] : ['accuracy', 'matthews_correlation', 'loss'];
}

// BertMultipleChoice: pick the right ending (transformers' BertForMultipleChoice, run_swag): each example's k
// (context, ending) pairs are k rows of one batch, the head scores each row and a softmax over the k picks one.

import * as path from 'node:path';
import { readSwag, swagFeatures, type SwagExample, type SwagFeatures } from '../data';
import { multipleChoiceBatch } from '../data/task-collators';
import { InputError } from '../errors';
import { softmaxRow } from '../train/metrics';
import { resolveModelDirectory } from '../train/model-source';
import { readConfig } from '../weights';
import { checkOptions, integer, type OptionCheck } from '../train/option-check';
import { LossMean, forEachLongestFirst, itemsDigest, taskItems, taskEvaluator, type Scorer } from './task-batches';
import { TASK_OPTIONS } from './task-options';
import { TaskModel, loadTask, type LoadedTask, type TaskModelOptions } from './task-model';

/** A context, the start of the sentence to complete, its candidate endings and (to train or evaluate) the right one. */
export interface ChoiceExample {
  context: string;
  /** SWAG's sent2: the start every ending continues (default ''). */
  questionHeader?: string;
  endings: readonly string[];
  /** Index of the right ending. */
  label?: number;
}

/** Examples, or a SWAG-style CSV file (sent1, sent2, ending0..3, label). */
export type ChoiceData = readonly ChoiceExample[] | string;

export interface MultipleChoiceOptions extends TaskModelOptions {
  /** Endings per example (default 4, as SWAG). */
  numChoices?: number;
}

/** run_swag's `accuracy` and the loss. */
export interface MultipleChoiceMetrics {
  accuracy: number;
  loss: number;
}

/** The chosen ending and the probability of each. */
export interface ChoicePrediction {
  label: number;
  scores: number[];
}

const MULTIPLE_CHOICE_OPTIONS: Readonly<Record<keyof MultipleChoiceOptions, OptionCheck>> = { ...TASK_OPTIONS, numChoices: integer(2) };

export class BertMultipleChoice extends TaskModel<ChoiceData, MultipleChoiceMetrics> {
  private readonly numChoices: number;

  private constructor(loaded: LoadedTask, o: MultipleChoiceOptions) {
    super(loaded, o, {
      architecture: 'BertForMultipleChoice',
      savedConfig: () => ({ bertnode_num_choices: this.numChoices }),
      cacheable: true,
      trainingItems: async (data) => {
        const features = await this.features(data, 'train', true);
        return taskItems(features, (items) => this.collate(items), itemsDigest(features));
      },
      evaluation: async (data) => {
        const features = await this.features(data, 'evaluation', true);
        return {
          ...taskItems(features, (items) => this.collate(items), itemsDigest(features)),
          evaluator: taskEvaluator(['accuracy', 'loss'], 'accuracy', () => this.scorer()),
        };
      },
    });
    this.numChoices = o.numChoices!;
  }

  /** Loads a checkpoint (folder or hub id) with a multiple-choice head (new, or the checkpoint's). */
  static async fromPretrained(idOrDir: string, options: MultipleChoiceOptions = {}): Promise<BertMultipleChoice> {
    checkOptions('BertMultipleChoice', options, MULTIPLE_CHOICE_OPTIONS);
    // The rows per example are a property of the batches, not of the weights (the head is one H→1 linear): a saved
    // model remembers its count in config.json.
    const dir = await resolveModelDirectory(idOrDir, options.hub);
    const numChoices = options.numChoices ?? savedChoices((await readConfig(path.join(dir, 'config.json'))).raw) ?? 4;
    const loaded = await loadTask(dir, { ...options, head: { head: 'multiple-choice', numChoices }, numLabels: 1, labels: () => [] });
    return new BertMultipleChoice(loaded, { ...options, numChoices });
  }

  /** The most likely ending of each example, with every ending's probability. */
  async predict(inputs: readonly ChoiceExample[]): Promise<ChoicePrediction[]> {
    const features = toSwag(inputs, 'predict', this.numChoices, false).map((e) => swagFeatures(this.loaded.tokenizer, e, { maxLength: this.maxLength }));
    return this.use('predict', async () => {
      const out: ChoicePrediction[] = new Array(features.length);
      const toBatch = (picked: readonly SwagFeatures[]) => multipleChoiceBatch(picked, { padTokenId: this.padTokenId }).batch;
      await forEachLongestFirst(features, this.batchSize, toBatch, async (batch, items) => {
        const { logits } = await this.loaded.model.forward(batch, { training: false });
        items.forEach((item, r) => {
          const scores = softmaxRow(logits, r * this.numChoices, this.numChoices);
          out[item] = { label: scores.indexOf(Math.max(...scores)), scores };
        });
      });
      return out;
    });
  }

  private get padTokenId(): number {
    return this.loaded.config.padTokenId ?? 0;
  }

  private collate(items: readonly SwagFeatures[]) {
    const { batch, labels } = multipleChoiceBatch(items, { padTokenId: this.padTokenId });
    return { batch, labels: labels! };
  }

  private async features(data: ChoiceData, what: string, labelled: boolean): Promise<SwagFeatures[]> {
    const examples = typeof data === 'string' ? await readSwag(data) : toSwag(data, what, this.numChoices, labelled);
    return examples.map((e, i) => {
      if (e.endings.length !== this.numChoices) throw new InputError(`${what}: example ${i} (${e.source}) has ${e.endings.length} endings, the model takes ${this.numChoices}`, i);
      if (labelled && e.label === undefined) throw new InputError(`${what}: example ${i} (${e.source}) has no label`, i);
      return swagFeatures(this.loaded.tokenizer, e, { maxLength: this.maxLength });
    });
  }

  private scorer(): Scorer<MultipleChoiceMetrics> {
    let correct = 0;
    let count = 0;
    const loss = new LossMean();
    return {
      add: (out, { labels }) => {
        for (let r = 0; r < labels.length; r++) {
          const row = out.logits.subarray(r * this.numChoices, (r + 1) * this.numChoices);
          if (row.indexOf(Math.max(...row)) === labels[r]) correct++;
        }
        count += labels.length;
        loss.add(out.loss, labels.length);
      },
      result: () => ({ accuracy: count === 0 ? 0 : correct / count, loss: loss.value }),
    };
  }
}

function savedChoices(raw: Record<string, unknown>): number | undefined {
  const n = raw.bertnode_num_choices;
  return Number.isInteger(n) && (n as number) >= 2 ? n as number : undefined;
}

function toSwag(data: readonly ChoiceExample[], what: string, numChoices: number, labelled: boolean): SwagExample[] {
  if (!Array.isArray(data)) throw new InputError(`${what} must be an array of { context, endings, label } or a CSV path`);
  return data.map((e, i) => {
    if (typeof e?.context !== 'string' || !Array.isArray(e.endings) || !e.endings.every((x: unknown) => typeof x === 'string')) {
      throw new InputError(`${what}[${i}] needs a context string and an endings array of strings`, i);
    }
    if (e.endings.length !== numChoices) throw new InputError(`${what}[${i}] has ${e.endings.length} endings, the model takes ${numChoices}`, i);
    if (e.label !== undefined && !(Number.isInteger(e.label) && e.label >= 0 && e.label < numChoices)) {
      throw new InputError(`${what}[${i}].label ${e.label} is not an index into its ${numChoices} endings`, i);
    }
    if (labelled && e.label === undefined) throw new InputError(`${what}[${i}] has no label`, i);
    return { id: String(i), context: e.context, questionHeader: e.questionHeader ?? '', endings: [...e.endings], label: e.label, source: `${what}[${i}]` };
  });
}

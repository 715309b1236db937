// 'text-classification' (alias 'sentiment-analysis'): transformers' TextClassificationPipeline on the native engine,
// returning what transformers.js returns: `[{label, score}]` for one text, the topK best first.

import { InputError } from '../errors';
import { checkOptions, either, integer, isNumber, oneOf } from '../train/option-check';
import { forwardRows, sigmoid, softmax, topIndices } from './batches';
import type { PipelineModel } from './load';

export interface TextClassificationOptions {
  /** How many labels to return, best first (default 1); `null` or 'all': every label. */
  topK?: number | null | 'all';
  /** Default by the model's problem_type: regression 'none'; multi-label or one label 'sigmoid'; else 'softmax'. */
  functionToApply?: 'softmax' | 'sigmoid' | 'none';
}

export interface LabelScore {
  label: string;
  score: number;
}

/** A text, or a text pair given as `{ text, textPair }`. */
export type TextClassificationInput = string | { text: string; textPair?: string };

const OPTIONS = {
  topK: (v: unknown, name: string) => (v === null ? undefined : either('an integer >= 1, null or \'all\'',
    { accepts: isNumber, check: integer(1) }, { accepts: (x) => typeof x === 'string', check: oneOf('all') })(v, name)),
  functionToApply: oneOf('softmax', 'sigmoid', 'none'),
};

// One text → its topK labels; several texts → one list per text, except that topK 1 gives one flat list with the
// best label of each text (transformers.js' shape).
export async function classifyTexts(loaded: PipelineModel, batchSize: number, input: TextClassificationInput | readonly TextClassificationInput[],
  options: TextClassificationOptions = {}): Promise<LabelScore[] | LabelScore[][]> {
  checkOptions('text-classification', options, OPTIONS);
  const batched = Array.isArray(input);
  const texts = (batched ? input : [input]) as TextClassificationInput[];
  const rows = texts.map((t, i) => {
    const [text, pair] = typeof t === 'string' ? [t, undefined] : [t?.text, t?.textPair];
    if (typeof text !== 'string' || (pair !== undefined && typeof pair !== 'string')) {
      throw new InputError(`text-classification: input ${i} is not a string or a { text, textPair } pair`, i);
    }
    return loaded.tokenizer.encode(text, pair, { maxLength: loaded.maxLength, truncation: true });
  });
  const numLabels = loaded.labels.length;
  const apply = options.functionToApply ?? defaultFunction(loaded);
  const topK = options.topK === undefined ? 1 : options.topK === null || options.topK === 'all' ? numLabels : options.topK;
  const perText = await forwardRows(loaded.model, rows, batchSize, loaded.tokenizer.padTokenId(), ({ result, indexInBatch }) => {
    const logits = result.logits.subarray(indexInBatch * numLabels, (indexInBatch + 1) * numLabels);
    const scores = apply === 'softmax' ? softmax(logits) : Array.from(logits, apply === 'sigmoid' ? sigmoid : (x) => x);
    return topIndices(scores, topK).map((k) => ({ label: loaded.labels[k], score: scores[k] }));
  });
  if (topK === 1) return perText.flat();
  return batched ? perText : perText[0];
}

// transformers' rule (TextClassificationPipeline.postprocess).
function defaultFunction(loaded: PipelineModel): 'softmax' | 'sigmoid' | 'none' {
  if (loaded.problemType === 'regression') return 'none';
  if (loaded.problemType === 'multi_label_classification' || loaded.labels.length === 1) return 'sigmoid';
  return 'softmax';
}

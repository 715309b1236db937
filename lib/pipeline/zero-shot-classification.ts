// 'zero-shot-classification': transformers' ZeroShotClassificationPipeline on an NLI sequence classifier. Each
// candidate label becomes the hypothesis `hypothesisTemplate` with {} replaced by it, paired with the text (the text
// truncated first); the entailment logits are softmaxed over the labels, or, with multiLabel (or a single label),
// entailment against contradiction per label.

import { InputError, OptionValueError } from '../errors';
import { checkOptions, ofType } from '../train/option-check';
import { forwardRows } from './batches';
import type { PipelineModel } from './load';

export interface ZeroShotOptions {
  /** Default 'This example is {}.'. */
  hypothesisTemplate?: string;
  /** Score each label on its own (default false: the scores sum to 1). */
  multiLabel?: boolean;
}

export interface ZeroShotResult {
  sequence: string;
  labels: string[];
  scores: number[];
}

const OPTIONS = { hypothesisTemplate: ofType('string'), multiLabel: ofType('boolean') };

export async function classifyZeroShot(loaded: PipelineModel, batchSize: number, input: string | readonly string[],
  candidateLabels: string | readonly string[], options: ZeroShotOptions = {}): Promise<ZeroShotResult | ZeroShotResult[]> {
  checkOptions('zero-shot-classification', options, OPTIONS);
  const entailment = loaded.labels.findIndex((l) => l.toLowerCase().startsWith('entail'));
  if (entailment < 0) {
    throw new InputError(`zero-shot-classification: the model at ${loaded.directory} has no label starting with 'entail' ` +
      `(its labels: ${loaded.labels.join(', ')}); it needs an NLI model`);
  }
  const contradiction = entailment === 0 ? loaded.labels.length - 1 : 0;
  // transformers splits a string of labels at commas.
  const labels = typeof candidateLabels === 'string' ? candidateLabels.split(',').map((l) => l.trim()).filter((l) => l) : [...candidateLabels];
  if (labels.length === 0 || labels.some((l) => typeof l !== 'string')) throw new InputError('zero-shot-classification: candidateLabels must name at least one label');
  const template = options.hypothesisTemplate ?? 'This example is {}.';
  if (!template.includes('{}')) throw new OptionValueError('hypothesisTemplate', `'${template}' has no {} where the label goes`);
  const batched = Array.isArray(input);
  const texts = (batched ? input : [input]) as string[];
  const rows = texts.flatMap((text, i) => {
    if (typeof text !== 'string') throw new InputError(`zero-shot-classification: input ${i} is not a string`, i);
    return labels.map((label) => loaded.tokenizer.encode(text, template.replace('{}', label), { maxLength: loaded.maxLength, truncation: 'only_first' }));
  });
  const numLabels = loaded.labels.length;
  const logits = await forwardRows(loaded.model, rows, batchSize, loaded.tokenizer.padTokenId(),
    ({ result, indexInBatch }) => result.logits.slice(indexInBatch * numLabels, (indexInBatch + 1) * numLabels));
  const results = texts.map((sequence, i) => {
    const own = logits.slice(i * labels.length, (i + 1) * labels.length);
    let scores: number[];
    if (options.multiLabel || labels.length === 1) {
      scores = own.map((l) => 1 / (1 + Math.exp(l[contradiction] - l[entailment])));
    } else {
      const max = Math.max(...own.map((l) => l[entailment]));
      const exps = own.map((l) => Math.exp(l[entailment] - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      scores = exps.map((x) => x / sum);
    }
    // numpy's argsort reversed: the best first, equal scores in reverse input order.
    const order = [...scores.keys()].sort((a, b) => scores[b] - scores[a] || b - a);
    return { sequence, labels: order.map((k) => labels[k]), scores: order.map((k) => scores[k]) };
  });
  return batched ? results : results[0];
}

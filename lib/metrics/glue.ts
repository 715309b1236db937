// The metrics run_glue reports per task (evaluate's "glue" metric): CoLA Matthews' correlation, STS-B Pearson and
// Spearman, MRPC and QQP accuracy and F1, the others accuracy; with more than one metric, run_glue adds their mean
// as combined_score. Keys are Hugging Face's metric names, as metrics.json writes them.

import { MetricInputError } from '../errors';
import { accuracy, f1Score, matthewsCorrelation } from './classification';
import { pearson, spearman } from './correlation';

export type GlueMetricTask = 'cola' | 'sst2' | 'mrpc' | 'stsb' | 'qqp' | 'mnli' | 'mnli_mismatched' | 'mnli_matched' | 'qnli' | 'rte' | 'wnli' | 'hans' | 'ax';

const ACCURACY_ONLY = new Set(['sst2', 'mnli', 'mnli_mismatched', 'mnli_matched', 'qnli', 'rte', 'wnli', 'hans']);

// predictions: class ids (STS-B: the predicted scores); references: class ids (STS-B: the gold scores).
export function glueMetrics(task: GlueMetricTask, predictions: ArrayLike<number>, references: ArrayLike<number>): Record<string, number> {
  let result: Record<string, number>;
  if (task === 'cola') result = { matthews_correlation: matthewsCorrelation(predictions, references) };
  else if (task === 'stsb') result = { pearson: pearson(predictions, references), spearmanr: spearman(predictions, references) };
  else if (task === 'mrpc' || task === 'qqp') result = { accuracy: accuracy(predictions, references), f1: f1Score(predictions, references) };
  else if (ACCURACY_ONLY.has(task)) result = { accuracy: accuracy(predictions, references) };
  else throw new MetricInputError(`glue: no metric for task '${String(task)}' (ax has no labels)`);
  const values = Object.values(result);
  if (values.length > 1) result.combined_score = values.reduce((sum, v) => sum + v, 0) / values.length;
  return result;
}

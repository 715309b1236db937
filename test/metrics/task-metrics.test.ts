// What run_glue and run_ner report, built on the metrics test/metrics/reference-cases.test.ts matches against
// sklearn, scipy and seqeval.
import { accuracy, f1Score, glueMetrics, matthewsCorrelation, pearson, seqevalScores, spearman, tagSequences } from '../../lib/metrics';

describe('glueMetrics (evaluate\'s glue metric + run_glue\'s combined_score)', () => {
  const preds = [1, 0, 1, 1, 0, 1];
  const refs = [1, 0, 0, 1, 1, 1];

  it('reports each task\'s metrics under Hugging Face\'s names', () => {
    expect(glueMetrics('cola', preds, refs)).toEqual({ matthews_correlation: matthewsCorrelation(preds, refs) });
    expect(glueMetrics('sst2', preds, refs)).toEqual({ accuracy: accuracy(preds, refs) });
    const mrpc = glueMetrics('mrpc', preds, refs);
    expect(mrpc).toEqual({ accuracy: 4 / 6, f1: f1Score(preds, refs), combined_score: (4 / 6 + f1Score(preds, refs)) / 2 });
    const scores = [0.5, 4.2, 3.1, 2.2, 1.0];
    const gold = [0.8, 4.0, 2.5, 2.5, 1.4];
    const stsb = glueMetrics('stsb', scores, gold);
    expect(stsb.pearson).toBe(pearson(scores, gold));
    expect(stsb.spearmanr).toBe(spearman(scores, gold));
    expect(stsb.combined_score).toBeCloseTo((stsb.pearson + stsb.spearmanr) / 2, 15);
    expect(() => glueMetrics('ax', preds, refs)).toThrow(/no metric for task 'ax'/);
  });
});

describe('tagSequences (run_ner\'s compute_metrics input)', () => {
  it('keeps the positions whose gold label is not −100 and names them', () => {
    const labels = ['B-PER', 'I-PER', 'O'];
    const { predictions, references } = tagSequences([[2, 0, 1, 2, 0], [0, 2, 2]], [[-100, 0, -100, 2, -100], [-100, 1, -100]], labels);
    expect(predictions).toEqual([['B-PER', 'O'], ['O']]);
    expect(references).toEqual([['B-PER', 'O'], ['I-PER']]);
    expect(seqevalScores(predictions, references).overallAccuracy).toBe(2 / 3);
    expect(() => tagSequences([[7]], [[0]], labels)).toThrow(/label id 7 in row 0/);
    expect(() => tagSequences([[0]], [[0, 1]], labels)).toThrow(/1 predictions for 2 labels/);
  });
});

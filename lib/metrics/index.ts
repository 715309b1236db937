// Metrics as transformers' example scripts report them: sklearn's accuracy/F1/MCC (run_glue), scipy's Pearson and
// Spearman (STS-B), seqeval's entity scores (run_ner), the official SQuAD scores and run_qa's post-processing,
// run_mlm's perplexity.

export { accuracy, f1Score, matthewsCorrelation, type F1Options } from './classification';
export { averageRanks, pearson, spearman } from './correlation';
export { glueMetrics, type GlueMetricTask } from './glue';
export { multiLabelScores, type MultiLabelClassScores, type MultiLabelScores } from './multilabel';
export { perplexity } from './perplexity';
export { tagSequences } from './tag-predictions';
export {
  detectScheme, getEntities, getStrictEntities, seqevalScores, type Entity, type EntityScores, type SeqevalOptions,
  type SeqevalResult, type TagScheme,
} from './seqeval';
export { normalizeAnswer } from './squad-normalize';
export { squadV1Score, squadV2Score, type SquadReference, type SquadV1Result, type SquadV2Prediction, type SquadV2Result } from './squad-score';
export {
  postprocessQaPredictions, type NBestAnswer, type QaExampleContext, type QaFeatureOffsets, type QaPostprocessOptions,
  type QaPostprocessResult,
} from './qa-postprocess';

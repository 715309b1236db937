// Attention extraction and the self-contained HTML reports (attention and training run).
export { clsAttention, normaliseByMax } from './attention';
export type { AttentionShape, ClsAttention } from './attention';
export { joinWordPieces, tokensAsWords, wordWeights } from './words';
export type { ExplainToken, WordSpan } from './words';
export { renderAttentionReport } from './attention-report';
export type { AttentionReportOptions, ExplainedText } from './attention-report';
export { renderRunReport } from './run-report';
export type { RunReportInput } from './run-report';
export { lineChart } from './svg-chart';
export type { LineChartOptions, Series } from './svg-chart';

// run_mlm's perplexity: exp of the mean evaluation loss; Infinity where that overflows (run_mlm catches the
// OverflowError and reports inf).

import { MetricInputError } from '../errors';

export function perplexity(meanLoss: number): number {
  if (Number.isNaN(meanLoss)) throw new MetricInputError('perplexity: the mean loss is NaN');
  return Math.exp(meanLoss);
}

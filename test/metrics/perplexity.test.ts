import { perplexity } from '../../lib/metrics';

describe('perplexity (run_mlm: exp of the mean evaluation loss)', () => {
  it('is exp(loss), Infinity where exp overflows, and refuses NaN', () => {
    expect(perplexity(Math.log(5))).toBeCloseTo(5, 12);
    expect(perplexity(0)).toBe(1);
    expect(perplexity(1000)).toBe(Infinity);
    expect(() => perplexity(NaN)).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_METRIC_INPUT' }));
  });
});

// Truncation of one or two sequences to a total length, exactly as Hugging Face's Rust `truncate_encodings`.
//
// longest_first: if both sequences must lose tokens, the shorter keeps floor(max/2) and the longer ceil(max/2)
// (the first keeps floor when both have the same length); otherwise only the longer one is cut. This differs from
// the old Python BertTokenizer, which removed one token at a time from the longer sequence, the second one on ties,
// so that for odd budgets the first sequence kept the extra token. only_first / only_second cut one sequence and
// fail, like HF, when it cannot lose enough tokens.

import { TokenizerOptionsError } from '../errors';

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

/**
 * Lengths to keep of sequences of lengths a and b (b = -1: no second sequence) so that together they fit in
 * `budget` tokens (maxLength minus the tokens the template adds).
 */
export function truncatedLengths(a: number, b: number, budget: number, strategy: TruncationStrategy): [number, number] {
  const hasPair = b >= 0;
  const total = a + (hasPair ? b : 0);
  if (budget <= 0) return [0, hasPair ? 0 : -1];
  if (total <= budget) return [a, b];
  const toRemove = total - budget;
  if (strategy === 'longest_first') {
    if (!hasPair) return [budget, -1];
    let n1 = a;
    let n2 = b;
    const swap = n1 > n2;
    if (swap) [n1, n2] = [n2, n1];
    n2 = n1 > budget ? n1 : Math.max(n1, budget - n1);
    if (n1 + n2 > budget) {
      n1 = Math.floor(budget / 2);
      n2 = n1 + (budget % 2);
    }
    return swap ? [Math.min(a, n2), Math.min(b, n1)] : [Math.min(a, n1), Math.min(b, n2)];
  }
  if (strategy === 'only_second' && !hasPair) {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_TRUNCATION',
      "truncation 'only_second' needs a second sequence");
  }
  const target = strategy === 'only_first' ? a : b;
  if (target <= toRemove) {
    throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_TRUNCATION',
      `truncation '${strategy}': the ${strategy === 'only_first' ? 'first' : 'second'} sequence has ${target} ` +
      `tokens, too few to remove ${toRemove} and fit the maximum length`);
  }
  return strategy === 'only_first' ? [a - toRemove, b] : [a, b - toRemove];
}

// The official SQuAD answer normalisation (evaluate-v1.1.py and evaluate-v2.0.py share it): lower-case, drop ASCII
// punctuation, replace the articles a/an/the (whole words) by a space, collapse whitespace. Python's rules are
// kept where JavaScript's differ: str.lower() ≈ toLowerCase(), but `\b` in a Python 3 pattern is a Unicode word
// boundary (letters, numbers, underscore) and str.split() splits at Python's whitespace set, which has
// U+001C..U+001F and U+0085 and lacks U+FEFF, unlike JavaScript's \s (lib/util/python-text.ts).

import { pythonSplit } from '../util/python-text';

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

export function normalizeAnswer(text: string): string {
  let kept = '';
  for (const ch of text.toLowerCase()) if (!PUNCTUATION.has(ch)) kept += ch;
  return pythonSplit(kept.replace(ARTICLES, ' ')).join(' ');
}

// The tokens of a normalised answer.
export function answerTokens(text: string): string[] {
  return pythonSplit(normalizeAnswer(text));
}

// Token-overlap F1 of two token lists (the multiset intersection counts each shared token at most as often as it
// occurs in both).
export function tokenF1(predicted: readonly string[], gold: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const token of gold) counts.set(token, (counts.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of predicted) {
    const left = counts.get(token) ?? 0;
    if (left > 0) {
      same++;
      counts.set(token, left - 1);
    }
  }
  if (same === 0) return 0;
  const precision = same / predicted.length;
  const recall = same / gold.length;
  return (2 * precision * recall) / (precision + recall);
}

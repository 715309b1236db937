// Joins WordPiece pieces back into words for display: a piece that starts with "##" continues the word before it.
// A word's weight is the sum of its pieces' raw attention (the attention mass on the word), and its text is the
// original text between its first piece's start and its last piece's end when offsets are known, so case and
// accents show as the user wrote them.

export interface ExplainToken {
  /** the token as the vocabulary spells it ("##ing", "[CLS]") */
  text: string;
  /** character offsets into the text of its segment; -1 for special tokens */
  start: number;
  /** End offset of the token in its text (-1 for special tokens). */
  end: number;
  /** 0 = first text, 1 = second text of a pair */
  segment: number;
  /** A special token ([CLS], [SEP], [PAD]). */
  special: boolean;
}

export interface WordSpan {
  text: string;
  tokenIndices: number[];
  segment: number;
  special: boolean;
  /** offsets of the word in its segment's text; -1 when unknown (special tokens) */
  start: number;
  end: number;
}

export function joinWordPieces(tokens: readonly ExplainToken[], texts: readonly string[]): WordSpan[] {
  const words: WordSpan[] = [];
  tokens.forEach((tok, i) => {
    const last = words[words.length - 1];
    if (!tok.special && tok.text.startsWith('##') && last && !last.special && last.segment === tok.segment) {
      last.tokenIndices.push(i);
      return;
    }
    words.push({ text: tok.text, tokenIndices: [i], segment: tok.segment, special: tok.special, start: tok.start, end: tok.end });
  });
  for (const w of words) {
    if (w.special) continue;
    const first = tokens[w.tokenIndices[0]];
    const last = tokens[w.tokenIndices[w.tokenIndices.length - 1]];
    w.start = first.start;
    w.end = last.end;
    const source = texts[w.segment];
    w.text = source !== undefined && first.start >= 0 && last.end <= source.length && last.end > first.start
      ? source.slice(first.start, last.end)
      : w.tokenIndices.map((k, j) => (j === 0 ? tokens[k].text : tokens[k].text.replace(/^##/, ''))).join('');
  }
  return words;
}

// One word per token, for the view that shows the pieces as they are.
export function tokensAsWords(tokens: readonly ExplainToken[]): WordSpan[] {
  return tokens.map((t, i) => ({ text: t.text, tokenIndices: [i], segment: t.segment, special: t.special, start: t.start, end: t.end }));
}

export function wordWeights(words: readonly WordSpan[], raw: readonly number[]): number[] {
  return words.map((w) => w.tokenIndices.reduce((s, i) => s + raw[i], 0));
}

// Stage 0 of the pipeline: added tokens (Hugging Face `AddedVocabulary`), the never-split tokens.
//
// Special tokens such as [CLS] or [MASK] and any token listed in tokenizer.json's added_tokens are cut out of the
// text before the normalizer and pre-tokenizer see it, so "[MASK]" stays one token instead of "[", "mask", "]".
// Tokens with normalized=false are matched in the original text; tokens with normalized=true are matched in the
// normalized text (their content normalized the same way). Matching is leftmost-longest, as HF's Aho-Corasick.

import { CHAR_FLAGS, WHITESPACE } from './charClasses';

export interface AddedToken {
  id: number;
  content: string;
  /** Special tokens are dropped by decode(skipSpecialTokens). */
  special: boolean;
  /** Matched in the normalized text (true) or the original text (false). */
  normalized: boolean;
  /** Whitespace left of a match belongs to the token. */
  lstrip: boolean;
  /** Whitespace right of a match belongs to the token. */
  rstrip: boolean;
}

interface Candidate {
  content: string;
  id: number;
  lstrip: boolean;
  rstrip: boolean;
}

export class AddedTokenMatcher {
  /** Candidates by first UTF-16 unit, longest first. */
  private readonly byFirstUnit = new Map<number, Candidate[]>();
  /** 1 where a UTF-16 unit starts some token: the scan tests this table and only looks candidates up on a hit. */
  private readonly isFirstUnit = new Uint8Array(65536);

  constructor(tokens: readonly { content: string; id: number; lstrip: boolean; rstrip: boolean }[]) {
    for (const t of tokens) {
      if (t.content.length === 0) continue;
      const first = t.content.charCodeAt(0);
      const list = this.byFirstUnit.get(first) ?? [];
      list.push({ content: t.content, id: t.id, lstrip: t.lstrip, rstrip: t.rstrip });
      list.sort((a, b) => b.content.length - a.content.length);
      this.byFirstUnit.set(first, list);
      this.isFirstUnit[first] = 1;
    }
  }

  get isEmpty(): boolean {
    return this.byFirstUnit.size === 0;
  }

  /**
   * Splits text[from, to) into matches and the text between them, appending [start, end, id] triples to `out`
   * (id -1 for text). Empty text ranges are not reported.
   */
  split(text: string, from: number, to: number, out: number[]): void {
    let textStart = from;
    let i = from;
    const isFirstUnit = this.isFirstUnit;
    while (i < to) {
      const unit = text.charCodeAt(i);
      if (isFirstUnit[unit] === 0) {
        i++;
        continue;
      }
      const candidates = this.byFirstUnit.get(unit);
      let match: Candidate | undefined;
      if (candidates !== undefined) {
        for (const c of candidates) {
          if (i + c.content.length <= to && text.startsWith(c.content, i)) {
            match = c;
            break;
          }
        }
      }
      if (match === undefined) {
        i++;
        continue;
      }
      let start = i;
      let end = i + match.content.length;
      if (match.lstrip) while (start > textStart && isWhitespaceUnit(text.charCodeAt(start - 1))) start--;
      if (match.rstrip) while (end < to && isWhitespaceUnit(text.charCodeAt(end))) end++;
      if (start > textStart) out.push(textStart, start, -1);
      out.push(start, end, match.id);
      textStart = end;
      i = end;
    }
    if (to > textStart) out.push(textStart, to, -1);
  }
}

function isWhitespaceUnit(c: number): boolean {
  return (CHAR_FLAGS[c] & WHITESPACE) !== 0;
}

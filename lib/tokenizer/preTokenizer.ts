// Stage 2 of the pipeline: the BERT pre-tokenizer (Hugging Face `BertPreTokenizer`).
//
// Splits normalized text into words: whitespace separates words and is dropped, every punctuation character is a
// word of its own. Works on UTF-16 units of the normalized string and reports word boundaries as unit indices, so
// no substring is made here.

import { CHAR_FLAGS, PUNCTUATION, WHITESPACE } from './charClasses';

export interface WordBounds {
  /** [start0, end0, start1, end1, ...] in units of the normalized string; valid up to 2 * count. */
  bounds: Int32Array;
  count: number;
}

export class BertPreTokenizer {
  private bounds = new Int32Array(1024);

  /** Word boundaries of text[from, to). The returned array is reused by the next call. */
  split(text: string, from = 0, to = text.length): WordBounds {
    let count = 0;
    let wordStart = -1;
    const n = to;
    let i = from;
    while (i < n) {
      let cp = text.charCodeAt(i);
      let width = 1;
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
          width = 2;
        }
      }
      const flags = CHAR_FLAGS[cp] & (WHITESPACE | PUNCTUATION);
      if (flags === 0) {
        if (wordStart < 0) wordStart = i;
      } else {
        if (wordStart >= 0) {
          count = this.push(count, wordStart, i);
          wordStart = -1;
        }
        if (flags === PUNCTUATION) count = this.push(count, i, i + width);
      }
      i += width;
    }
    if (wordStart >= 0) count = this.push(count, wordStart, n);
    return { bounds: this.bounds, count };
  }

  private push(count: number, start: number, end: number): number {
    if (2 * count + 2 > this.bounds.length) {
      const grown = new Int32Array(this.bounds.length * 2);
      grown.set(this.bounds);
      this.bounds = grown;
    }
    this.bounds[2 * count] = start;
    this.bounds[2 * count + 1] = end;
    return count + 1;
  }
}

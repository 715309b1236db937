// Stage 3 of the pipeline: the WordPiece model (Hugging Face `WordPiece`).
//
// Greedy longest-match-first: from the start of a word, take the longest vocabulary entry that is a prefix of what
// is left; pieces after the first are looked up with the continuing-subword prefix ("##"). If any position has no
// match, or the word is longer than maxInputCharsPerWord code points, the whole word becomes the unknown token.
//
// Continuation pieces are kept in their own Map keyed without the prefix, so no "##" + piece string is ever built;
// candidate lengths start at the longest vocabulary entry instead of the word length, and whole words are cached.

import { hashUnits, WordCache } from './wordCache';

export interface WordPieceOptions {
  continuingSubwordPrefix: string;
  /** Words with more code points than this become [UNK] (HF max_input_chars_per_word, 100). */
  maxInputCharsPerWord: number;
  /** Words per cache generation (see WordCache); 0 disables the cache. */
  cacheSize: number;
}

const EMPTY = new Int32Array(0);

export class WordPieceModel {
  readonly unkId: number;
  private readonly initial: Map<string, number>;
  private readonly continuation = new Map<string, number>();
  private readonly maxInitialLength: number;
  private readonly maxContinuationLength: number;
  private readonly cache: WordCache<Int32Array> | null;

  /** @param vocab token -> id. @param unkId id of the unknown token (the loaders check it is in the vocabulary). */
  constructor(vocab: Map<string, number>, unkId: number, readonly options: Readonly<WordPieceOptions>) {
    this.initial = vocab;
    this.unkId = unkId;
    const prefix = options.continuingSubwordPrefix;
    let maxInitial = 1;
    let maxContinuation = 1;
    for (const [token, id] of vocab) {
      maxInitial = Math.max(maxInitial, token.length);
      if (prefix.length > 0 && token.startsWith(prefix)) {
        const rest = token.slice(prefix.length);
        this.continuation.set(rest, id);
        maxContinuation = Math.max(maxContinuation, rest.length);
      }
    }
    if (prefix.length === 0) {
      for (const [token, id] of vocab) this.continuation.set(token, id);
      maxContinuation = maxInitial;
    }
    this.maxInitialLength = maxInitial;
    this.maxContinuationLength = maxContinuation;
    this.cache = options.cacheSize > 0 ? new WordCache(options.cacheSize) : null;
  }

  /**
   * Pieces of the word text[start, end) as [id0, length0, id1, length1, ...], lengths in UTF-16 units (the
   * continuation prefix not counted). The returned array is shared through the cache: callers must not modify it.
   */
  tokenizeWord(text: string, start = 0, end = text.length): Int32Array {
    if (end <= start) return EMPTY;
    if (this.cache === null) return this.computeWord(text.slice(start, end));
    const hash = hashUnits(text, start, end);
    let pieces = this.cache.get(text, start, end, hash);
    if (pieces === undefined) {
      pieces = this.computeWord(text.slice(start, end));
      this.cache.set(text, start, end, hash, pieces);
    }
    return pieces;
  }

  private computeWord(word: string): Int32Array {
    const n = word.length;
    if (n > this.options.maxInputCharsPerWord && codePointCount(word) > this.options.maxInputCharsPerWord) {
      return Int32Array.of(this.unkId, n);
    }
    const out: number[] = [];
    let start = 0;
    while (start < n) {
      const table = start === 0 ? this.initial : this.continuation;
      let end = Math.min(n, start + (start === 0 ? this.maxInitialLength : this.maxContinuationLength));
      let id = -1;
      while (end > start) {
        // Never cut between the two halves of a surrogate pair: candidates end on code point boundaries, as in HF.
        if (end < n && isLowSurrogate(word.charCodeAt(end)) && isHighSurrogate(word.charCodeAt(end - 1))) {
          end--;
          continue;
        }
        const found = table.get(word.substring(start, end));
        if (found !== undefined) {
          id = found;
          break;
        }
        end--;
      }
      if (id < 0) return Int32Array.of(this.unkId, n);
      out.push(id, end - start);
      start = end;
    }
    return Int32Array.from(out);
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Code points in s (a surrogate pair counts once, as Rust's chars().count() and Python's len() do). */
export function codePointCount(s: string): number {
  let count = s.length;
  for (let i = 0; i + 1 < s.length; i++) {
    if (isHighSurrogate(s.charCodeAt(i)) && isLowSurrogate(s.charCodeAt(i + 1))) {
      count--;
      i++;
    }
  }
  return count;
}

// Stages 0-3 joined: one text -> its word-piece ids, and optionally the original [start, end) of each piece.
//
//   added tokens (addedTokens.ts, matched in the original text)
//   -> normalizer (normalizer.ts) -> added tokens matched in the normalized text
//   -> pre-tokenizer (preTokenizer.ts) -> WordPiece (wordpiece.ts)
//
// Offsets are UTF-16 offsets into the original text: each normalized unit remembers where it came from, and a
// piece spans from the start of its first unit to the end of its last, as in Hugging Face's NormalizedString.

import { AddedTokenMatcher } from './addedTokens';
import type { TokenizerConfig } from './config';
import type { IntBuffer } from './intBuffer';
import { BertNormalizer, type NormalizedText } from './normalizer';
import { BertPreTokenizer } from './preTokenizer';
import { WordPieceModel } from './wordpiece';

export class TokenizationPipeline {
  private readonly normalizer: BertNormalizer | null;
  private readonly preTokenizer = new BertPreTokenizer();
  private readonly model: WordPieceModel;
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;

  /** @param cacheSize words per generation of the word cache (0: no cache). */
  constructor(config: TokenizerConfig, cacheSize: number) {
    this.normalizer = config.normalizer === null ? null : new BertNormalizer(config.normalizer);
    this.model = new WordPieceModel(config.vocab, config.vocab.get(config.unkToken)!, {
      continuingSubwordPrefix: config.continuingSubwordPrefix,
      maxInputCharsPerWord: config.maxInputCharsPerWord,
      cacheSize,
    });
    this.rawMatcher = new AddedTokenMatcher(config.addedTokens.filter((t) => !t.normalized));
    // Normalized added tokens are looked for in normalized text, so their content is normalized the same way.
    this.normalizedMatcher = new AddedTokenMatcher(config.addedTokens.filter((t) => t.normalized).map((t) => ({
      ...t, content: this.normalizer === null ? t.content : this.normalizer.normalize(t.content).text,
    })));
  }

  /** Appends the ids of `text` to `ids` (and, when `offsets` is given, a [start, end) pair per id). */
  tokenize(text: string, ids: IntBuffer, offsets: IntBuffer | null): void {
    if (this.rawMatcher.isEmpty) {
      this.tokenizeRange(text, 0, text.length, ids, offsets);
      return;
    }
    const triples: number[] = [];
    this.rawMatcher.split(text, 0, text.length, triples);
    for (let i = 0; i < triples.length; i += 3) {
      const [start, end, id] = [triples[i], triples[i + 1], triples[i + 2]];
      if (id < 0) {
        this.tokenizeRange(text, start, end, ids, offsets);
      } else {
        ids.push(id);
        if (offsets !== null) {
          offsets.push(start);
          offsets.push(end);
        }
      }
    }
  }

  /** text[from, to) holds no raw added token: normalize, cut out normalized added tokens, split into words. */
  private tokenizeRange(text: string, from: number, to: number, ids: IntBuffer, offsets: IntBuffer | null): void {
    const norm: NormalizedText = this.normalizer === null
      ? { text: text.slice(from, to), base: from, start: null, end: null }
      : this.normalizer.normalize(text, from, to);
    if (this.normalizedMatcher.isEmpty) {
      this.tokenizeWords(norm, 0, norm.text.length, ids, offsets);
      return;
    }
    const triples: number[] = [];
    this.normalizedMatcher.split(norm.text, 0, norm.text.length, triples);
    for (let i = 0; i < triples.length; i += 3) {
      const [start, end, id] = [triples[i], triples[i + 1], triples[i + 2]];
      if (id < 0) {
        this.tokenizeWords(norm, start, end, ids, offsets);
      } else {
        ids.push(id);
        if (offsets !== null) pushOriginalRange(norm, start, end, offsets);
      }
    }
  }

  /** Pre-tokenizes norm.text[from, to) and appends the word pieces of every word. */
  private tokenizeWords(norm: NormalizedText, from: number, to: number, ids: IntBuffer, offsets: IntBuffer | null): void {
    const s = norm.text;
    const { bounds, count } = this.preTokenizer.split(s, from, to);
    for (let w = 0; w < count; w++) {
      const ws = bounds[2 * w];
      const pieces = this.model.tokenizeWord(s, ws, bounds[2 * w + 1]);
      ids.reserve(pieces.length >> 1);
      for (let k = 0; k < pieces.length; k += 2) ids.data[ids.length++] = pieces[k];
      if (offsets !== null) {
        let p = ws;
        for (let k = 1; k < pieces.length; k += 2) {
          pushOriginalRange(norm, p, p + pieces[k], offsets);
          p += pieces[k];
        }
      }
    }
  }
}

/** Appends the original [start, end) of normalized units [from, to). */
function pushOriginalRange(norm: NormalizedText, from: number, to: number, offsets: IntBuffer): void {
  if (norm.start === null || norm.end === null) {
    offsets.push(norm.base + from);
    offsets.push(norm.base + to);
  } else {
    offsets.push(norm.start[from]);
    offsets.push(norm.end[to - 1]);
  }
}

// Stage 1 of the pipeline: the BERT normalizer (Hugging Face `BertNormalizer`).
//
// Per character, in Hugging Face's order: clean text (drop NUL, U+FFFD and control characters, turn whitespace into
// ' '), put spaces around CJK ideographs, strip accents (NFD, then drop non-spacing marks), lowercase. Every step is
// a function of one character, so the whole normalizer is a map from one original code point to a short string,
// computed once per code point and cached. Each normalized UTF-16 unit remembers the original range
// [start, end) of the code point it came from, which is how offsets point back into the original text.

import { CHAR_FLAGS, CJK, CONTROL, NONSPACING_MARK, WHITESPACE } from './charClasses';
import { STRIP_ACCENTS_OVERRIDES } from './unicodeTables';

export interface NormalizerOptions {
  /** Remove control characters and map whitespace to ' ' (HF clean_text). */
  cleanText: boolean;
  /** Surround CJK ideographs with spaces (HF handle_chinese_chars / tokenize_chinese_chars). */
  handleChineseChars: boolean;
  /** Strip accents; null follows `lowercase`, as in the original BERT (HF strip_accents). */
  stripAccents: boolean | null;
  /** Lowercase (HF lowercase / do_lower_case). */
  lowercase: boolean;
}

/**
 * The normalized form of a piece of text. `text` is the normalized string; `start[i]`/`end[i]` give the original
 * range of normalized unit i. For text that normalization leaves one-to-one (plain ASCII without control
 * characters) the arrays are null and unit i came from original unit `base + i`.
 */
export interface NormalizedText {
  text: string;
  base: number;
  start: Int32Array | null;
  end: Int32Array | null;
}

export class BertNormalizer {
  readonly options: Readonly<NormalizerOptions>;
  private readonly stripAccents: boolean;
  /** Output for each ASCII code point. */
  private readonly ascii: string[] = [];
  /** True where an ASCII code point maps to itself (or its lowercase when lowercasing): a slice can copy it. */
  private readonly asciiOneToOne = new Uint8Array(128);
  private readonly cache = new Map<number, string>();
  private startBuf = new Int32Array(256);
  private endBuf = new Int32Array(256);

  constructor(options: NormalizerOptions) {
    this.options = { ...options };
    this.stripAccents = options.stripAccents ?? options.lowercase;
    for (let cp = 0; cp < 128; cp++) {
      const out = this.computeCodePoint(cp);
      this.ascii.push(out);
      const ch = String.fromCharCode(cp);
      this.asciiOneToOne[cp] = out === (options.lowercase ? ch.toLowerCase() : ch) ? 1 : 0;
    }
  }

  /** The normalized string of one original code point (possibly empty, possibly several code points). */
  normalizeCodePoint(cp: number): string {
    if (cp < 128) return this.ascii[cp];
    let out = this.cache.get(cp);
    if (out === undefined) {
      out = this.computeCodePoint(cp);
      this.cache.set(cp, out);
    }
    return out;
  }

  private computeCodePoint(cp: number): string {
    const flags = cp <= 0x10ffff ? CHAR_FLAGS[cp] : 0;
    const o = this.options;
    if (o.cleanText) {
      if (cp === 0 || cp === 0xfffd || (flags & CONTROL) !== 0) return '';
      if ((flags & WHITESPACE) !== 0) return ' ';
    }
    let s = String.fromCodePoint(cp);
    const override = this.stripAccents ? STRIP_ACCENTS_OVERRIDES.get(cp) : undefined;
    if (override !== undefined) {
      s = override;
    } else if (this.stripAccents) {
      let kept = '';
      for (const ch of s.normalize('NFD')) {
        if ((CHAR_FLAGS[ch.codePointAt(0)!] & NONSPACING_MARK) === 0) kept += ch;
      }
      s = kept;
    }
    if (o.lowercase) {
      // Character by character, like Rust's char::to_lowercase: a whole-string toLowerCase would apply the Greek
      // final-sigma rule, which Hugging Face's fast tokenizer does not.
      let lowered = '';
      for (const ch of s) lowered += ch.toLowerCase();
      s = lowered;
    }
    if (o.handleChineseChars && (flags & CJK) !== 0) s = ` ${s} `;
    return s;
  }

  /** Normalize text[from, to). */
  normalize(text: string, from = 0, to = text.length): NormalizedText {
    if (this.isOneToOne(text, from, to)) {
      const piece = text.slice(from, to);
      return { text: this.options.lowercase ? piece.toLowerCase() : piece, base: from, start: null, end: null };
    }
    return this.normalizeWithAlignment(text, from, to);
  }

  /** Plain ASCII whose every character maps to one character: normalization is a (lowercase) copy. */
  private isOneToOne(text: string, from: number, to: number): boolean {
    const oneToOne = this.asciiOneToOne;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128 || oneToOne[c] === 0) return false;
    }
    return true;
  }

  private normalizeWithAlignment(text: string, from: number, to: number): NormalizedText {
    const parts: string[] = [];
    const oneToOne = this.asciiOneToOne;
    const lowercase = this.options.lowercase;
    let n = 0;
    let i = from;
    while (i < to) {
      // A run of ASCII that maps one-to-one is copied as one slice; other characters go one code point at a time.
      let j = i;
      while (j < to) {
        const c = text.charCodeAt(j);
        if (c >= 128 || oneToOne[c] === 0) break;
        j++;
      }
      if (j > i) {
        this.reserve(n + (j - i));
        for (let k = i; k < j; k++, n++) {
          this.startBuf[n] = k;
          this.endBuf[n] = k + 1;
        }
        const run = text.slice(i, j);
        parts.push(lowercase ? run.toLowerCase() : run);
        i = j;
        if (i >= to) break;
      }
      const cp = text.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      // A lone surrogate cannot come from valid UTF-8 (Hugging Face never sees one); it is kept as it is.
      const out = cp >= 0xd800 && cp <= 0xdfff ? text[i] : this.normalizeCodePoint(cp);
      if (out.length > 0) {
        this.reserve(n + out.length);
        for (let k = 0; k < out.length; k++, n++) {
          this.startBuf[n] = i;
          this.endBuf[n] = i + width;
        }
        parts.push(out);
      }
      i += width;
    }
    return { text: parts.join(''), base: from, start: this.startBuf.slice(0, n), end: this.endBuf.slice(0, n) };
  }

  private reserve(n: number): void {
    if (n <= this.startBuf.length) return;
    const size = Math.max(n, this.startBuf.length * 2);
    const s = new Int32Array(size);
    s.set(this.startBuf);
    const e = new Int32Array(size);
    e.set(this.endBuf);
    this.startBuf = s;
    this.endBuf = e;
  }
}

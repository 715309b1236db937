// Character classes of the BERT normalizer and pre-tokenizer, one byte of flags per code point.
//
// A flat Uint8Array over all of Unicode (1.1 MB) answers every question with one indexed load, which is what the
// per-character hot loops need; it is filled once from the range tables Hugging Face's Rust implementation uses.

import { CJK_RANGES, CONTROL_RANGES, NONSPACING_MARK_RANGES, PUNCTUATION_RANGES, WHITESPACE_RANGES } from './unicodeTables';

/** Cc/Cf/Co other than \t \n \r: dropped by clean_text. */
export const CONTROL = 1;
/** White_Space: turned into ' ' by clean_text, a word boundary for the pre-tokenizer. */
export const WHITESPACE = 2;
/** ASCII 33-47, 58-64, 91-96, 123-126 and Unicode P*: isolated by the pre-tokenizer. */
export const PUNCTUATION = 4;
/** CJK ideographs: surrounded by spaces when handle_chinese_chars is on. */
export const CJK = 8;
/** Mn: removed after NFD when accents are stripped. */
export const NONSPACING_MARK = 16;

const MAX_CODE_POINT = 0x10ffff;

function buildFlagTable(): Uint8Array {
  const flags = new Uint8Array(MAX_CODE_POINT + 1);
  const mark = (ranges: readonly number[], flag: number): void => {
    for (let r = 0; r < ranges.length; r += 2) {
      for (let cp = ranges[r]; cp <= ranges[r + 1]; cp++) flags[cp] |= flag;
    }
  };
  mark(CONTROL_RANGES, CONTROL);
  mark(WHITESPACE_RANGES, WHITESPACE);
  mark([33, 47, 58, 64, 91, 96, 123, 126], PUNCTUATION);
  mark(PUNCTUATION_RANGES, PUNCTUATION);
  mark(CJK_RANGES, CJK);
  mark(NONSPACING_MARK_RANGES, NONSPACING_MARK);
  return flags;
}

/** Flags of each code point (index = code point). Lone surrogates (0xD800-0xDFFF) have no flag. */
export const CHAR_FLAGS: Uint8Array = buildFlagTable();

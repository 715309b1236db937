// Every code point through our normalizer and pre-tokenizer against what the Rust BertNormalizer and
// BertPreTokenizer did with it (test/fixtures/tokenizer/char_classes.json, written by the generator). Exact.

import { readFileSync } from 'fs';
import { join } from 'path';
import { BertNormalizer } from '../../lib/tokenizer/normalizer';
import { BertPreTokenizer } from '../../lib/tokenizer/preTokenizer';

const rust = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'tokenizer', 'char_classes.json'), 'utf8')) as {
  removed: Array<[number, number]>;
  spaced: number[];
  punct: Array<[number, number]>;
  whitespace: number[];
  cjk: Array<[number, number]>;
  strip: Record<string, string>;
  stripRemoved: Array<[number, number]>;
  lower: Record<string, string>;
};

function inRanges(ranges: Array<[number, number]>): Set<number> {
  const set = new Set<number>();
  for (const [a, b] of ranges) for (let cp = a; cp <= b; cp++) set.add(cp);
  return set;
}

const isSurrogate = (cp: number): boolean => cp >= 0xd800 && cp <= 0xdfff;

/** Code points where `actual(cp)` differs from `expected(cp)`, at most 10 of them. */
function mismatches(actual: (cp: number) => string, expected: (cp: number) => string): string[] {
  const out: string[] = [];
  for (let cp = 0; cp <= 0x10ffff && out.length < 10; cp++) {
    if (isSurrogate(cp)) continue;
    const a = actual(cp);
    const e = expected(cp);
    if (a !== e) out.push(`U+${cp.toString(16)}: ${JSON.stringify(a)} != ${JSON.stringify(e)}`);
  }
  return out;
}

const base = { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false };

test('clean_text removes exactly the characters Rust removes and maps exactly its whitespace to a space', () => {
  const n = new BertNormalizer({ ...base, cleanText: true });
  const removed = inRanges(rust.removed);
  const spaced = new Set(rust.spaced);
  expect(mismatches((cp) => n.normalizeCodePoint(cp), (cp) => {
    const c = String.fromCodePoint(cp);
    return removed.has(cp) ? '' : spaced.has(cp) ? ' ' : c;
  })).toEqual([]);
});

test('strip_accents gives the Rust result for every code point (NFD, then non-spacing marks dropped)', () => {
  const n = new BertNormalizer({ ...base, stripAccents: true });
  const removed = inRanges(rust.stripRemoved);
  expect(mismatches((cp) => n.normalizeCodePoint(cp), (cp) =>
    (removed.has(cp) ? '' : rust.strip[cp] ?? String.fromCodePoint(cp)))).toEqual([]);
});

test('lowercase gives the Rust result for every code point', () => {
  const n = new BertNormalizer({ ...base, lowercase: true });
  expect(mismatches((cp) => n.normalizeCodePoint(cp), (cp) => rust.lower[cp] ?? String.fromCodePoint(cp))).toEqual([]);
});

test('handle_chinese_chars spaces exactly the Rust CJK ranges', () => {
  const n = new BertNormalizer({ ...base, handleChineseChars: true });
  const cjk = inRanges(rust.cjk);
  expect(mismatches((cp) => n.normalizeCodePoint(cp), (cp) => {
    const c = String.fromCodePoint(cp);
    return cjk.has(cp) ? ` ${c} ` : c;
  })).toEqual([]);
});

test('the pre-tokenizer isolates exactly Rust punctuation and splits on exactly Rust whitespace', () => {
  const p = new BertPreTokenizer();
  const punct = inRanges(rust.punct);
  const space = new Set(rust.whitespace);
  const words = (cp: number): string => {
    const s = `a${String.fromCodePoint(cp)}a`;
    const { bounds, count } = p.split(s);
    return Array.from({ length: count }, (_, w) => s.slice(bounds[2 * w], bounds[2 * w + 1])).join('|');
  };
  expect(mismatches(words, (cp) => {
    const c = String.fromCodePoint(cp);
    return punct.has(cp) ? `a|${c}|a` : space.has(cp) ? 'a|a' : `a${c}a`;
  })).toEqual([]);
});

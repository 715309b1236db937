// encode() beyond the golden corpus: offsets that slice back into the original text, options, loading a model
// folder, the word cache, and text Hugging Face never sees (lone surrogates).

import { copyFileSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { TokenizerLike } from '../../lib/data';
import { BertTokenizer } from '../../lib/tokenizer';

const FIXTURES = join(__dirname, '..', 'fixtures', 'tokenizer');
const tok = BertTokenizer.fromVocabFile(join(FIXTURES, 'vocab.txt'));

// Words the corpus of the golden test does not have, many of them repeated, to exercise cache eviction.
const PARAGRAPH = 'Café owners in São Paulo said the über-long queue (over 3,000 people!) was "unbelievable"; '
  + 'naïve visitors waited 4½ hours. 東京 and Zürich were calmer — tokenization is unaffable. ';

test('offsets slice the original text into what each piece came from', () => {
  const text = '  Hello,\tWORLD!! Ünïcödé   café  ';
  const enc = tok.encode(text);
  const pieces = enc.offsets.map((range, i) => (enc.specialTokensMask[i] ? null : text.slice(...range)));
  expect(pieces).toEqual([null, 'Hello', ',', 'WORLD', '!', '!', 'Ünïcödé', 'café', null]);
  // Each piece is its token, once lowercased and stripped of accents (and of the ## prefix).
  enc.tokens.forEach((t, i) => {
    if (enc.specialTokensMask[i]) return;
    const original = text.slice(...enc.offsets[i]).normalize('NFD').replace(/\p{Mn}/gu, '').toLowerCase();
    expect(original).toBe(t.replace(/^##/, ''));
  });
});

test('offsets of characters outside the BMP count two UTF-16 units', () => {
  const text = 'a 𝐁 😀 b';
  const enc = tok.encode(text, undefined, { addSpecialTokens: false });
  expect(enc.offsets).toEqual([[0, 1], [2, 4], [5, 7], [8, 9]]);
  expect(enc.sequenceIds).toEqual([0, 0, 0, 0]);
});

test('a pair: token types 0 then 1, offsets into each text, sequence ids', () => {
  const enc = tok.encode('Is it good?', 'Yes.');
  expect(enc.tokens).toEqual(['[CLS]', 'is', 'it', 'good', '?', '[SEP]', 'yes', '.', '[SEP]']);
  expect(enc.tokenTypeIds).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1]);
  expect(enc.sequenceIds).toEqual([null, 0, 0, 0, 0, null, 1, 1, null]);
  expect(enc.offsets[6]).toEqual([0, 3]);
  expect(enc.specialTokensMask).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 1]);
});

test('addSpecialTokens false, padding to maxLength, tokenize and decode', () => {
  expect(tok.encode('hello world', undefined, { addSpecialTokens: false }).tokens).toEqual(['hello', 'world']);
  const padded = tok.encode('hello world', undefined, { maxLength: 6, padding: true });
  expect(padded.tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]', '[PAD]', '[PAD]']);
  expect(padded.attentionMask).toEqual([1, 1, 1, 1, 0, 0]);
  expect(tok.tokenize('unaffable')).toEqual(['una', '##ffa', '##ble']);
  expect(tok.decode(padded.inputIds, { skipSpecialTokens: true })).toBe('hello world');
  expect(tok.decode(tok.encode("Don't stop!").inputIds, { skipSpecialTokens: true, cleanUpTokenizationSpaces: true }))
    .toBe("don't stop!");
  expect(tok.vocabSize).toBe(30522);
  expect(tok.idToToken(tok.tokenToId('[MASK]')!)).toBe('[MASK]');
});

test('lone surrogates (not valid UTF-8, so never seen by Hugging Face) become [UNK], never a crash', () => {
  const enc = tok.encode('a \ud800 b \udc00c');
  expect(enc.tokens).toEqual(['[CLS]', 'a', '[UNK]', 'b', '[UNK]', '[SEP]']);
});

test('the word cache changes nothing: no cache, a tiny cache that keeps rotating, and the default give the same ids', () => {
  const text = PARAGRAPH.repeat(3) + Array.from({ length: 300 }, (_, i) => `word${i}x${i % 7}`).join(' ');
  const none = BertTokenizer.fromVocabFile(join(FIXTURES, 'vocab.txt'), { cacheSize: 0 }).encode(text);
  const tiny = BertTokenizer.fromVocabFile(join(FIXTURES, 'vocab.txt'), { cacheSize: 3 });
  expect(tiny.encode(text)).toEqual(none);
  expect(tiny.encode(text)).toEqual(none);
  expect(tok.encode(text)).toEqual(none);
});

test('fromPretrained reads tokenizer.json when present, else vocab.txt with tokenizer_config.json', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bertnode-pretrained-'));
  copyFileSync(join(FIXTURES, 'cased_vocab.txt'), join(dir, 'vocab.txt'));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false, strip_accents: null,
    unk_token: { content: '[UNK]' }, tokenize_chinese_chars: true }));
  const cased = BertTokenizer.fromPretrained(dir);
  expect(cased.config.normalizer).toEqual({ cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: false });
  expect(cased.tokenize('Hello World')).toEqual(['Hello', 'World']);
  const json = BertTokenizer.fromPretrained(FIXTURES);
  expect(json.config.source).toBe(join(FIXTURES, 'tokenizer.json'));
  expect(() => BertTokenizer.fromPretrained(mkdtempSync(join(tmpdir(), 'bertnode-empty-'))))
    .toThrow(/neither tokenizer.json nor vocab.txt/);
});

test('BertTokenizer is what the data layer asks of a tokenizer (checked by the compiler) and truncates as asked', () => {
  const forData: TokenizerLike = tok;
  const enc = forData.encode('one two three four five', 'six seven', { maxLength: 6, truncation: true });
  expect(Array.from(enc.inputIds)).toEqual(tok.encode('one two three four five', 'six seven', { maxLength: 6 }).inputIds);
  expect(enc.inputIds.length).toBe(6);
});

import { TrainingOptionsError } from '../../lib/errors';
import { ExplainToken, clsAttention, joinWordPieces, tokensAsWords, wordWeights } from '../../lib/explain';

// B=2, H=2, T=4; the second example has one padding position (t=3) that carries a large, bogus weight.
function sample() {
  const B = 2, H = 2, T = 4;
  const att = new Float32Array(B * H * T * T);
  const set = (b: number, h: number, q: number, row: number[]) => row.forEach((v, k) => (att[((b * H + h) * T + q) * T + k] = v));
  set(0, 0, 0, [0.1, 0.2, 0.3, 0.4]);
  set(0, 1, 0, [0.5, 0.25, 0.125, 0.125]);
  set(1, 0, 0, [0.1, 0.2, 0.1, 0.6]); // position 3 is padding in example 1
  set(1, 1, 0, [0.2, 0.1, 0.4, 0.3]);
  set(1, 1, 1, [0.9, 0.9, 0.9, 0.9]); // a non-[CLS] query row: must be ignored
  const mask = Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]);
  return { att, mask, shape: { batchSize: B, numHeads: H, seqLen: T } };
}

test('[CLS] row per head, each divided by its max over real tokens; mean of heads; padding excluded', () => {
  const { att, mask, shape } = sample();
  const r = clsAttention(att, shape, mask, 1);
  expect(r.positions).toEqual([0, 1, 2]);
  // Float32 inputs widened to float64: compare to 6 digits (float32 has ~7).
  const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 6));
  close(r.raw[0], [0.1, 0.2, 0.1]);
  close(r.heads[0], [0.5, 1, 0.5]); // max over REAL tokens is 0.2, not the padding's 0.6
  close(r.heads[1], [0.5, 0.25, 1]);
  close(r.combined, [0.15 / 0.25, 0.15 / 0.25, 1]); // means 0.15, 0.15, 0.25
  const r0 = clsAttention(att, shape, mask, 0);
  close(r0.heads[0], [0.25, 0.5, 0.75, 1]);
});

test('the attention tensor is not modified', () => {
  const { att, mask, shape } = sample();
  const copy = Float32Array.from(att);
  clsAttention(att, shape, mask, 0);
  clsAttention(att, shape, mask, 1);
  expect(att).toEqual(copy);
});

test('shape mismatches are typed errors', () => {
  const { att, mask, shape } = sample();
  expect(() => clsAttention(att.subarray(1), shape, mask, 0)).toThrow(TrainingOptionsError);
  expect(() => clsAttention(att, shape, mask.subarray(1), 0)).toThrow(TrainingOptionsError);
  expect(() => clsAttention(att, shape, mask, 2)).toThrow(TrainingOptionsError);
});

test('word pieces join into the original words (case kept through offsets); weights are summed', () => {
  const text = 'Unwatchable FILM';
  const tokens: ExplainToken[] = [
    { text: '[CLS]', start: -1, end: -1, segment: 0, special: true },
    { text: 'un', start: 0, end: 2, segment: 0, special: false },
    { text: '##watch', start: 2, end: 7, segment: 0, special: false },
    { text: '##able', start: 7, end: 11, segment: 0, special: false },
    { text: 'film', start: 12, end: 16, segment: 0, special: false },
    { text: '[SEP]', start: -1, end: -1, segment: 0, special: true },
    { text: '##x', start: 0, end: 1, segment: 1, special: false }, // a "##" piece after [SEP] starts a new word
  ];
  const words = joinWordPieces(tokens, [text, 'x']);
  expect(words.map((w) => w.text)).toEqual(['[CLS]', 'Unwatchable', 'FILM', '[SEP]', 'x']);
  expect(words[1].tokenIndices).toEqual([1, 2, 3]);
  expect(wordWeights(words, [0.5, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7])[1]).toBeCloseTo(0.6, 12);
  expect(tokensAsWords(tokens).map((w) => w.text)).toEqual(tokens.map((t) => t.text));
});

import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { mulberry32, nextSentencePairs, readNspDocuments, streamTextLines, type NspPair } from '../../lib/data';
import { tempDir } from './helpers/imdb-fixture';
import { fixtureTokenizer } from './task-fixtures';

const tokenizer = fixtureTokenizer();
const CLS = 101;
const SEP = 102;

// Documents whose every token says where it is: id = 1000 + doc·100000 + sentence·100 + position.
function syntheticDocuments(seed: number): number[][][] {
  const random = mulberry32(seed);
  return Array.from({ length: 30 }, (_, d) => Array.from({ length: 1 + Math.floor(random() * 12) }, (_, s) =>
    Array.from({ length: 1 + Math.floor(random() * 20) }, (_, k) => 1000 + d * 100000 + s * 100 + k)));
}

function split(pair: NspPair): { a: number[]; b: number[] } {
  const { inputIds, tokenTypeIds } = pair;
  expect(inputIds[0]).toBe(CLS);
  expect(inputIds[inputIds.length - 1]).toBe(SEP);
  const sep = inputIds.indexOf(SEP);
  expect(tokenTypeIds).toEqual(inputIds.map((_, k) => (k <= sep ? 0 : 1)));
  return { a: inputIds.slice(1, sep), b: inputIds.slice(sep + 1, -1) };
}

// Whether `run` is a contiguous run of the document's tokens.
function isRunOf(run: number[], document: number[][]): boolean {
  const flat = document.flat();
  const at = flat.indexOf(run[0]);
  return at !== -1 && run.every((id, k) => flat[at + k] === id);
}

const docOf = (id: number): number => Math.floor((id - 1000) / 100000);

describe('next-sentence pairs (TextDatasetForNextSentencePrediction / create_pretraining_data)', () => {
  it('A is a run of its document, B follows it (label 0) or is a run of a random document (label 1); every sentence is used', () => {
    const documents = syntheticDocuments(1);
    const pairs = nextSentencePairs(tokenizer, documents, { blockSize: 4096, seed: 5 });
    const covered = new Set<number>();
    let isNext = 0;
    for (const pair of pairs) {
      const { a, b } = split(pair);
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect(isRunOf(a, documents[pair.document])).toBe(true);
      a.forEach((id) => covered.add(id));
      if (pair.nextSentenceLabel === 0) {
        isNext++;
        expect(isRunOf([...a, ...b], documents[pair.document])).toBe(true);
        b.forEach((id) => covered.add(id));
      } else {
        expect(isRunOf(b, documents[docOf(b[0])])).toBe(true);
      }
    }
    expect(covered.size).toBe(documents.flat(2).length);
    // Half of the chunks with two or more sentences get a random B, and every single-sentence chunk does.
    expect(isNext / pairs.length).toBeGreaterThan(0.15);
    expect(isNext / pairs.length).toBeLessThan(0.5);
  });

  it('fits blockSize (truncating the longer side), and is deterministic by seed', () => {
    const documents = syntheticDocuments(2);
    const pairs = nextSentencePairs(tokenizer, documents, { blockSize: 24, seed: 9 });
    for (const pair of pairs) {
      const { a, b } = split(pair);
      expect(pair.inputIds.length).toBeLessThanOrEqual(24);
      expect(isRunOf(a, documents[pair.document])).toBe(true);
      expect(isRunOf(b, documents[docOf(b[0])])).toBe(true);
    }
    expect(nextSentencePairs(tokenizer, documents, { blockSize: 24, seed: 9 })).toEqual(pairs);
    expect(nextSentencePairs(tokenizer, documents, { blockSize: 24, seed: 10 })).not.toEqual(pairs);
  });

  it('reads documents split at blank (or whitespace-only) lines', async () => {
    const file = path.join(tempDir(), 'corpus.txt');
    writeFileSync(file, '\n\nThe cat sat.\nIt purred.\n\n  \t\nA second document.\n\n\nThird one.\nEnd.\n');
    const documents = await readNspDocuments(tokenizer, streamTextLines(file));
    expect(documents.map((d) => d.map((ids) => tokenizer.decode(ids)))).toEqual([['the cat sat.', 'it purred.'], ['a second document.'], ['third one.', 'end.']]);
    expect(() => nextSentencePairs(tokenizer, documents, { blockSize: 4, seed: 1 })).toThrow(/fewer than 2 tokens/);
    expect(() => nextSentencePairs(tokenizer, [], { seed: 1 })).toThrow(/at least one document/);
  });
});

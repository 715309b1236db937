// Sentence pairs for BERT's next-sentence prediction, built as transformers' TextDatasetForNextSentencePrediction
// (and Google's create_pretraining_data.py) builds them, from a seeded generator (./random.ts):
//   - the text file holds one sentence per line and a blank line between documents;
//   - each document is cut into chunks of about maxTokens = blockSize − 3 tokens (with shortSeqProbability a
//     shorter random target, 2..maxTokens); a chunk's first a_end sentences (random, at least one) are A;
//   - with nspProbability (or when the chunk has one sentence) B is a run of sentences from a random other
//     document, starting at a random sentence, long enough for the target (label 1, "random"), and the chunk's
//     unused sentences go back to be used again; otherwise B is the rest of the chunk (label 0, "is next");
//   - a pair longer than maxTokens is truncated as Google's truncate_seq_pair does (the longer side loses a token
//     from its front or back at random), so that it fits the model; transformers' dataset skips this step and lets
//     pairs run past block_size.
// The documents are held in memory (B is drawn from any of them), as both reference implementations do.

import { ValidationError } from '../errors';
import type { BertTokenizer } from '../tokenizer';
import { addedTokenCount } from '../tokenizer/postProcessor';
import { pythonIsSpace } from '../util/python-text';
import { mulberry32, type Random } from './random';
import { fillTemplate } from './template';
import type { TextLineRecord } from './mlm-text';

export interface NspPair {
  inputIds: number[];
  tokenTypeIds: number[];
  // 0: B follows A in the document; 1: B comes from a random place (BertForPreTraining's next_sentence_label).
  nextSentenceLabel: 0 | 1;
  // Index of the document A came from.
  document: number;
}

export interface NspOptions {
  blockSize?: number; // default 512
  shortSeqProbability?: number; // default 0.1
  nspProbability?: number; // default 0.5
  seed: number;
}

// Documents as lists of sentences (each the word-piece ids of one non-blank line), split at blank lines.
export async function readNspDocuments(tokenizer: BertTokenizer, lines: AsyncIterable<TextLineRecord>): Promise<number[][][]> {
  const documents: number[][][] = [[]];
  for await (const { text } of lines) {
    if (text.length === 0 || pythonIsSpace(text)) {
      if (documents[documents.length - 1].length > 0) documents.push([]);
      continue;
    }
    const ids = tokenizer.encode(text, undefined, { addSpecialTokens: false }).inputIds;
    if (ids.length > 0) documents[documents.length - 1].push(ids);
  }
  if (documents[documents.length - 1].length === 0) documents.pop();
  return documents;
}

export function nextSentencePairs(tokenizer: BertTokenizer, documents: readonly (readonly number[][])[], options: NspOptions): NspPair[] {
  const blockSize = options.blockSize ?? 512;
  const template = tokenizer.config.template.pair;
  const maxTokens = blockSize - addedTokenCount(template);
  if (!Number.isInteger(blockSize) || maxTokens < 2) throw new ValidationError(`blockSize ${blockSize} leaves fewer than 2 tokens for a sentence pair`);
  const shortProbability = probability('shortSeqProbability', options.shortSeqProbability ?? 0.1);
  const nspProbability = probability('nspProbability', options.nspProbability ?? 0.5);
  if (documents.length === 0) throw new ValidationError('next-sentence pairs need at least one document');
  const random = mulberry32(options.seed);
  const randint = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1)); // inclusive
  const pairs: NspPair[] = [];
  documents.forEach((document, docIndex) => {
    const target = random() < shortProbability ? randint(2, maxTokens) : maxTokens;
    let chunk: number[][] = [];
    let length = 0;
    for (let i = 0; i < document.length; i++) {
      chunk.push(document[i]);
      length += document[i].length;
      if (i !== document.length - 1 && length < target) continue;
      const aEnd = chunk.length >= 2 ? randint(1, chunk.length - 1) : 1;
      const a = chunk.slice(0, aEnd).flat();
      const b: number[] = [];
      let label: 0 | 1;
      if (chunk.length === 1 || random() < nspProbability) {
        label = 1;
        let other = docIndex;
        for (let attempt = 0; attempt < 10 && other === docIndex; attempt++) other = randint(0, documents.length - 1);
        const source = documents[other];
        // At least one sentence, then more until B reaches the room A leaves in the target.
        for (let j = randint(0, source.length - 1); j < source.length; j++) {
          b.push(...source[j]);
          if (b.length >= target - a.length) break;
        }
        i -= chunk.length - aEnd; // the unused sentences are used again
      } else {
        label = 0;
        b.push(...chunk.slice(aEnd).flat());
      }
      truncatePair(a, b, maxTokens, random);
      const row = fillTemplate(template, a, b);
      pairs.push({ inputIds: row.inputIds, tokenTypeIds: row.tokenTypeIds, nextSentenceLabel: label, document: docIndex });
      chunk = [];
      length = 0;
    }
  });
  return pairs;
}

// Google's truncate_seq_pair: while too long, drop a token from the front or the back (at random) of the longer.
function truncatePair(a: number[], b: number[], maxTokens: number, random: Random): void {
  while (a.length + b.length > maxTokens) {
    const longer = a.length > b.length ? a : b;
    if (random() < 0.5) longer.shift();
    else longer.pop();
  }
}

function probability(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new ValidationError(`${name} must be between 0 and 1, got ${value}`);
  return value;
}

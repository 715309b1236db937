// 'token-classification' (alias 'ner'): transformers' TokenClassificationPipeline with its aggregation strategies.
//   none:    one entity per token ({entity, score, index, word, start, end}; word is the word piece);
//   simple:  tokens grouped into entities by their tags (B- starts a group, I- or a bare tag continues one);
//   first / average / max: the pieces of a word first agree on one tag (the first piece's, the one of the averaged
//            probabilities, or that of the most confident piece), then words are grouped as in 'simple'.
// Labels in ignoreLabels (default ['O']) are left out. start/end are UTF-16 offsets into the text (String.slice).

import { InputError, OptionValueError } from '../errors';
import { WordPieceDecoder } from '../tokenizer/decoder';
import { checkOptions, integer, oneOf, type OptionCheck } from '../train/option-check';
import { forwardRows, softmax } from './batches';
import type { PipelineModel } from './load';
import { tokenChunks } from './token-chunks';

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

export interface TokenClassificationOptions {
  /** Default 'none'. */
  aggregationStrategy?: AggregationStrategy;
  /** Labels left out of the result (default ['O']). */
  ignoreLabels?: string[];
  /**
   * Read a text longer than the model in overlapping chunks sharing this many tokens (with an aggregation other
   * than 'none'); entities found twice keep the longer, then the more confident. Default: the text is truncated.
   */
  stride?: number;
}

export interface TokenEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number;
  end: number;
}

export interface EntityGroup {
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

interface PreEntity {
  word: string;
  scores: number[];
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

interface WordEntity {
  entity: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

const stringList: OptionCheck = (value, name) => {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new InputError(`${name} must be an array of label names`);
};
const OPTIONS = { aggregationStrategy: oneOf('none', 'simple', 'first', 'average', 'max'), ignoreLabels: stringList, stride: integer(0) };

export async function classifyTokens(loaded: PipelineModel, batchSize: number, input: string | readonly string[],
  options: TokenClassificationOptions = {}): Promise<Array<TokenEntity | EntityGroup> | Array<Array<TokenEntity | EntityGroup>>> {
  checkOptions('token-classification', options, OPTIONS);
  const { tokenizer, labels } = loaded;
  const strategy = options.aggregationStrategy ?? 'none';
  const ignore = new Set(options.ignoreLabels ?? ['O']);
  const decoder = new WordPieceDecoder(tokenizer.config.decoder);
  const unkId = tokenizer.tokenToId(tokenizer.config.unkToken);
  if (options.stride !== undefined && strategy === 'none') {
    throw new OptionValueError('stride', "needs an aggregationStrategy other than 'none' (as in transformers)");
  }
  const batched = Array.isArray(input);
  const texts = (batched ? input : [input]) as string[];
  const chunks = texts.flatMap((t, i) => {
    if (typeof t !== 'string') throw new InputError(`token-classification: input ${i} is not a string`, i);
    return tokenChunks(tokenizer, t, loaded.maxLength, options.stride).map((chunk) => ({ chunk, text: i }));
  });
  const numLabels = labels.length;
  const perChunk = await forwardRows(loaded.model, chunks.map((c) => c.chunk), batchSize, tokenizer.padTokenId(), ({ result, indexInBatch, seqLen }, r) => {
    const { chunk: enc, text: textIndex } = chunks[r];
    const text = texts[textIndex];
    const pre: PreEntity[] = [];
    enc.inputIds.forEach((id, t) => {
      if (enc.specialTokensMask[t]) return;
      const [start, end] = enc.offsets[t];
      const reference = text.slice(start, end);
      const first = (indexInBatch * seqLen + t) * numLabels;
      const scores = softmax(result.logits.subarray(first, first + numLabels));
      // A WordPiece token is a continuation when its text is not the text it covers (a '##' piece); an unknown
      // token stands for the text it covers. Lengths in code points, as Python counts them.
      if (id === unkId) pre.push({ word: reference, scores, start, end, index: t, isSubword: false });
      else pre.push({ word: enc.tokens[t], scores, start, end, index: t, isSubword: [...enc.tokens[t]].length !== [...reference].length });
    });
    const entities = aggregate(pre, strategy, labels, decoder);
    return entities.filter((e) => !ignore.has('entity' in e ? e.entity : e.entity_group));
  });
  const perText = texts.map((_, i) => {
    const own = chunks.flatMap((c, r) => (c.text === i ? [perChunk[r]] : []));
    return own.length > 1 ? overlapping(own.flat()) : own[0];
  });
  return batched ? perText : perText[0];
}

// Entities of overlapping chunks (transformers' aggregate_overlapping_entities): in start order, of two that
// overlap the longer stays, or at equal length the more confident.
function overlapping<E extends { start: number; end: number; score: number }>(entities: E[]): E[] {
  if (entities.length === 0) return entities;
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  const kept: E[] = [];
  let previous = sorted[0];
  for (const entity of sorted) {
    if (previous.start <= entity.start && entity.start < previous.end) {
      const length = entity.end - entity.start;
      const previousLength = previous.end - previous.start;
      if (length > previousLength || (length === previousLength && entity.score > previous.score)) previous = entity;
    } else {
      kept.push(previous);
      previous = entity;
    }
  }
  kept.push(previous);
  return kept;
}

function aggregate(pre: PreEntity[], strategy: AggregationStrategy, labels: readonly string[], decoder: WordPieceDecoder): Array<TokenEntity | EntityGroup> {
  if (strategy === 'none' || strategy === 'simple') {
    const entities = pre.map((p): TokenEntity => {
      const k = argmax(p.scores);
      return { entity: labels[k], score: p.scores[k], index: p.index, word: p.word, start: p.start, end: p.end };
    });
    return strategy === 'none' ? entities : groupEntities(entities, decoder);
  }
  const words: PreEntity[][] = [];
  for (const p of pre) {
    if (words.length > 0 && p.isSubword) words[words.length - 1].push(p);
    else words.push([p]);
  }
  return groupEntities(words.map((w) => aggregateWord(w, strategy, labels, decoder)), decoder);
}

function aggregateWord(pieces: PreEntity[], strategy: 'first' | 'average' | 'max', labels: readonly string[], decoder: WordPieceDecoder): WordEntity {
  let scores: number[];
  if (strategy === 'first') scores = pieces[0].scores;
  else if (strategy === 'max') scores = pieces.reduce((best, p) => (Math.max(...p.scores) > Math.max(...best.scores) ? p : best)).scores;
  else scores = pieces[0].scores.map((_, k) => pieces.reduce((s, p) => s + p.scores[k], 0) / pieces.length);
  const k = argmax(scores);
  return { entity: labels[k], score: scores[k], word: decoder.decode(pieces.map((p) => p.word)), start: pieces[0].start, end: pieces[pieces.length - 1].end };
}

// Adjacent entities of one tag form a group unless the later one is a B- tag; a tag without B-/I- continues.
function groupEntities(entities: WordEntity[], decoder: WordPieceDecoder): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let current: WordEntity[] = [];
  const close = (): void => {
    groups.push({
      entity_group: afterFirstDash(current[0].entity),
      score: current.reduce((s, e) => s + e.score, 0) / current.length,
      word: decoder.decode(current.map((e) => e.word)),
      start: current[0].start,
      end: current[current.length - 1].end,
    });
  };
  for (const entity of entities) {
    if (current.length > 0) {
      const [bi, tag] = bioTag(entity.entity);
      const [, lastTag] = bioTag(current[current.length - 1].entity);
      if (tag !== lastTag || bi === 'B') {
        close();
        current = [];
      }
    }
    current.push(entity);
  }
  if (current.length > 0) close();
  return groups;
}

// Python's label.split('-', 1)[-1].
function afterFirstDash(label: string): string {
  const dash = label.indexOf('-');
  return dash < 0 ? label : label.slice(dash + 1);
}

function bioTag(label: string): ['B' | 'I', string] {
  if (label.startsWith('B-')) return ['B', label.slice(2)];
  if (label.startsWith('I-')) return ['I', label.slice(2)];
  return ['I', label];
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < values.length; k++) if (values[k] > values[best]) best = k;
  return best;
}

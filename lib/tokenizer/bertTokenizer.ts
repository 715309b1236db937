// BertTokenizer: the pipeline assembled. Text goes through
//   added tokens (addedTokens.ts) -> normalizer (normalizer.ts) -> pre-tokenizer (preTokenizer.ts)
//   -> WordPiece (wordpiece.ts) -> truncation (truncation.ts) -> template (postProcessor.ts) -> padding,
// and back through the decoder (decoder.ts). Ids are those of Hugging Face's fast BertTokenizer (transformers 5.x,
// the Rust `tokenizers` pipeline); offsets are UTF-16 offsets into the original text, usable with String.slice.

import { existsSync } from 'fs';
import { join } from 'path';
import type { Batch } from '../data/types';
import { TokenizerFileError, TokenizerOptionsError } from '../errors';
import { AddedTokenMatcher } from './addedTokens';
import {
  booleanOption, checkOptionNames, DEFAULT_CACHE_SIZE, integerOption, type JsonTokenizerOptions, type TokenizerConfig,
  type VocabTokenizerOptions,
} from './config';
import { WordPieceDecoder } from './decoder';
import { IntBuffer } from './intBuffer';
import { BertNormalizer, type NormalizedText } from './normalizer';
import { addedTokenCount, type TemplateItem } from './postProcessor';
import { BertPreTokenizer } from './preTokenizer';
import { readTokenizerConfigJson } from './tokenizerConfigJson';
import { configFromTokenizerJson } from './tokenizerJson';
import { truncatedLengths, type TruncationStrategy } from './truncation';
import { configFromVocabFile } from './vocabFile';
import { WordPieceModel } from './wordpiece';

export interface EncodeOptions {
  /** Wrap in [CLS] ... [SEP] (default true). */
  addSpecialTokens?: boolean;
  /** Maximum length, special tokens included. */
  maxLength?: number;
  /** Truncation strategy; true = 'longest_first'. Default: 'longest_first' when maxLength is given. */
  truncation?: boolean | TruncationStrategy;
  /** encode(): true or 'max_length' pads to maxLength. encodeBatch(): 'longest' (default) or 'max_length'. */
  padding?: boolean | 'max_length' | 'longest';
}

export interface Encoding {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  /** [start, end) of each token in its own text (UTF-16 units); [0, 0] for special and padding tokens. */
  offsets: Array<[number, number]>;
  tokens: string[];
  /** 1 for tokens added by the template or padding, 0 for tokens of the texts. */
  specialTokensMask: number[];
  /** Which text each token came from: 0, 1, or null for special and padding tokens. */
  sequenceIds: Array<0 | 1 | null>;
}

export interface DecodeOptions {
  /** Leave out special tokens ([CLS], [SEP], [PAD], [UNK], [MASK] and added tokens marked special). */
  skipSpecialTokens?: boolean;
  /** Also apply transformers' clean_up_tokenization to the joined text ("do n't" -> "don't"), as the old
   *  Python BertTokenizer did; transformers 5.x's BertTokenizer does not (default false). */
  cleanUpTokenizationSpaces?: boolean;
}

/** One text or a pair of texts. */
export type TextInput = string | readonly [string, string];

const ENCODE_OPTIONS = ['addSpecialTokens', 'maxLength', 'truncation', 'padding'] as const;
const DECODE_OPTIONS = ['skipSpecialTokens', 'cleanUpTokenizationSpaces'] as const;
const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

/** encode/encodeBatch options after checking and defaults. */
export interface ResolvedEncodeOptions {
  addSpecialTokens: boolean;
  maxLength: number;
  truncation: TruncationStrategy | null;
  padToMax: boolean;
}

export class BertTokenizer {
  /** The resolved description (vocabulary, normalizer settings, added tokens, template). */
  readonly config: TokenizerConfig;
  private readonly normalizer: BertNormalizer | null;
  private readonly preTokenizer = new BertPreTokenizer();
  private readonly model: WordPieceModel;
  private readonly decoder: WordPieceDecoder;
  private readonly rawMatcher: AddedTokenMatcher;
  private readonly normalizedMatcher: AddedTokenMatcher;
  private readonly idToTokenTable: string[];
  private readonly specialIds: Set<number>;
  private readonly addedIds = new Map<string, number>();
  private readonly padId: number | null;
  private readonly bufA = new IntBuffer();
  private readonly bufB = new IntBuffer();
  private readonly offA = new IntBuffer();
  private readonly offB = new IntBuffer();

  /** Loads vocab.txt (one token per line) with transformers' BertTokenizer options. */
  static fromVocabFile(file: string, options: VocabTokenizerOptions = {}): BertTokenizer {
    return new BertTokenizer(configFromVocabFile(file, options), options.cacheSize);
  }

  /** Loads a Hugging Face tokenizer.json (BertNormalizer + BertPreTokenizer + WordPiece). */
  static fromTokenizerJson(file: string, options: JsonTokenizerOptions = {}): BertTokenizer {
    return new BertTokenizer(configFromTokenizerJson(file, options), options.cacheSize);
  }

  /**
   * Loads the tokenizer of a model folder: tokenizer.json when present, otherwise vocab.txt with the settings of
   * tokenizer_config.json (do_lower_case, strip_accents, tokenize_chinese_chars, special token names).
   */
  static fromPretrained(dir: string, options: JsonTokenizerOptions = {}): BertTokenizer {
    if (existsSync(join(dir, 'tokenizer.json'))) return BertTokenizer.fromTokenizerJson(join(dir, 'tokenizer.json'), options);
    const vocab = join(dir, 'vocab.txt');
    if (!existsSync(vocab)) {
      throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FILE', dir, 'has neither tokenizer.json nor vocab.txt');
    }
    return BertTokenizer.fromVocabFile(vocab, { ...readTokenizerConfigJson(dir), ...options });
  }

  constructor(config: TokenizerConfig, cacheSize?: number) {
    this.config = config;
    const cache = integerOption('BertTokenizer', 'cacheSize', cacheSize, DEFAULT_CACHE_SIZE);
    this.normalizer = config.normalizer === null ? null : new BertNormalizer(config.normalizer);
    this.model = new WordPieceModel(config.vocab, config.vocab.get(config.unkToken)!, {
      continuingSubwordPrefix: config.continuingSubwordPrefix,
      maxInputCharsPerWord: config.maxInputCharsPerWord,
      cacheSize: cache,
    });
    this.decoder = new WordPieceDecoder(config.decoder);
    let size = 0;
    for (const id of config.vocab.values()) size = Math.max(size, id + 1);
    for (const t of config.addedTokens) size = Math.max(size, t.id + 1);
    this.idToTokenTable = new Array<string>(size);
    for (const [token, id] of config.vocab) this.idToTokenTable[id] = token;
    for (const t of config.addedTokens) {
      this.idToTokenTable[t.id] = t.content;
      this.addedIds.set(t.content, t.id);
    }
    this.specialIds = new Set(config.addedTokens.filter((t) => t.special).map((t) => t.id));
    for (const items of [config.template.single, config.template.pair]) {
      for (const item of items) {
        if (item.kind !== 'special') continue;
        for (const id of item.ids) {
          if (this.idToTokenTable[id] === undefined) {
            throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_VOCAB', config.source,
              `the template's special token '${item.token}' has id ${id}, which is not in the vocabulary`);
          }
          this.specialIds.add(id);
        }
      }
    }
    this.rawMatcher = new AddedTokenMatcher(config.addedTokens.filter((t) => !t.normalized));
    this.normalizedMatcher = new AddedTokenMatcher(config.addedTokens.filter((t) => t.normalized).map((t) => ({
      ...t, content: this.normalizer === null ? t.content : this.normalizer.normalize(t.content).text,
    })));
    const pad = config.padToken;
    this.padId = pad === null ? null : (this.addedIds.get(pad) ?? config.vocab.get(pad) ?? null);
  }

  /** Number of ids (largest id + 1), added tokens included. */
  get vocabSize(): number {
    return this.idToTokenTable.length;
  }

  tokenToId(token: string): number | undefined {
    return this.addedIds.get(token) ?? this.config.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.idToTokenTable[id];
  }

  /** The word pieces of a text, without special tokens. */
  tokenize(text: string): string[] {
    this.bufA.clear();
    this.tokenizeSequence(text, this.bufA, null);
    return Array.from(this.bufA.data.subarray(0, this.bufA.length), (id) => this.idToTokenTable[id]);
  }

  /**
   * Encodes a text or a pair. As in transformers, an empty second text means no second text: ("a", "") is
   * encoded as "[CLS] a [SEP]".
   */
  encode(text: string, pair?: string, options?: EncodeOptions): Encoding {
    const o = this.resolveOptions('encode', options, false);
    const hasPair = pair !== undefined && pair !== '';
    this.bufA.clear();
    this.offA.clear();
    this.tokenizeSequence(text, this.bufA, this.offA);
    this.bufB.clear();
    this.offB.clear();
    if (hasPair) this.tokenizeSequence(pair, this.bufB, this.offB);
    const [keepA, keepB] = this.keptLengths(this.bufA.length, hasPair ? this.bufB.length : -1, o);

    const enc: Encoding = {
      inputIds: [], tokenTypeIds: [], attentionMask: [], offsets: [], tokens: [], specialTokensMask: [], sequenceIds: [],
    };
    const push = (id: number, typeId: number, seq: 0 | 1 | null, start: number, end: number): void => {
      enc.inputIds.push(id);
      enc.tokenTypeIds.push(typeId);
      enc.attentionMask.push(1);
      enc.offsets.push([start, end]);
      enc.specialTokensMask.push(seq === null ? 1 : 0);
      enc.sequenceIds.push(seq);
    };
    const emitSequence = (seq: 0 | 1, typeId: number): void => {
      const ids = seq === 0 ? this.bufA : this.bufB;
      const offs = seq === 0 ? this.offA : this.offB;
      const keep = seq === 0 ? keepA : keepB;
      for (let i = 0; i < keep; i++) push(ids.data[i], typeId, seq, offs.data[2 * i], offs.data[2 * i + 1]);
    };
    if (o.addSpecialTokens) {
      for (const item of hasPair ? this.config.template.pair : this.config.template.single) {
        if (item.kind === 'special') for (const id of item.ids) push(id, item.typeId, null, 0, 0);
        else emitSequence(item.sequence, item.typeId);
      }
    } else {
      emitSequence(0, 0);
      if (hasPair) emitSequence(1, 1);
    }
    if (o.padToMax) {
      const padId = this.requirePad();
      while (enc.inputIds.length < o.maxLength) {
        push(padId, 0, null, 0, 0);
        enc.attentionMask[enc.attentionMask.length - 1] = 0;
      }
    }
    enc.tokens = enc.inputIds.map((id) => this.idToTokenTable[id]);
    return enc;
  }

  /**
   * Encodes many texts or pairs into the engine's batch layout: row-major [batchSize, seqLen] Int32Arrays, padded
   * to the longest row (padding 'longest', the default) or to maxLength ('max_length').
   */
  encodeBatch(inputs: readonly TextInput[], options?: EncodeOptions): Batch {
    const o = this.resolveOptions('encodeBatch', options, true);
    const rows = this.encodeRows(inputs, o);
    return this.packRows(rows, inputs.length, o);
  }

  /** Ids and token types of every input back to back, with each row's start: the unpadded batch (the part of
   *  encodeBatch that batch workers run). */
  encodeRows(inputs: readonly TextInput[], o: ResolvedEncodeOptions): { ids: IntBuffer; types: IntBuffer; starts: Int32Array } {
    const ids = new IntBuffer(inputs.length * 64);
    const types = new IntBuffer(inputs.length * 64);
    const starts = new Int32Array(inputs.length + 1);
    for (let r = 0; r < inputs.length; r++) {
      const input = inputs[r];
      const [text, pair] = typeof input === 'string' ? [input, undefined] : [input[0], input[1]];
      if (typeof text !== 'string' || (pair !== undefined && typeof pair !== 'string')) {
        throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
          `encodeBatch: input ${r} must be a string or a [string, string] pair`);
      }
      const hasPair = pair !== undefined && pair !== '';
      this.bufA.clear();
      this.tokenizeSequence(text, this.bufA, null);
      this.bufB.clear();
      if (hasPair) this.tokenizeSequence(pair, this.bufB, null);
      const [keepA, keepB] = this.keptLengths(this.bufA.length, hasPair ? this.bufB.length : -1, o);
      const template = o.addSpecialTokens ? (hasPair ? this.config.template.pair : this.config.template.single) : null;
      ids.reserve(keepA + Math.max(keepB, 0) + 8);
      types.reserve(keepA + Math.max(keepB, 0) + 8);
      if (template === null) {
        this.copySequence(this.bufA, keepA, 0, ids, types);
        if (hasPair) this.copySequence(this.bufB, keepB, 1, ids, types);
      } else {
        for (const item of template) {
          if (item.kind === 'special') {
            for (const id of item.ids) {
              ids.push(id);
              types.push(item.typeId);
            }
          } else {
            this.copySequence(item.sequence === 0 ? this.bufA : this.bufB, item.sequence === 0 ? keepA : keepB,
              item.typeId, ids, types);
          }
        }
      }
      starts[r + 1] = ids.length;
    }
    return { ids, types, starts };
  }

  /** Pads the rows of encodeRows into a Batch. */
  packRows(rows: { ids: IntBuffer; types: IntBuffer; starts: Int32Array }, batchSize: number, o: ResolvedEncodeOptions): Batch {
    let seqLen = 0;
    for (let r = 0; r < batchSize; r++) seqLen = Math.max(seqLen, rows.starts[r + 1] - rows.starts[r]);
    if (o.padToMax) seqLen = o.maxLength;
    const inputIds = new Int32Array(batchSize * seqLen);
    const tokenTypeIds = new Int32Array(batchSize * seqLen);
    const attentionMask = new Int32Array(batchSize * seqLen);
    let padId = 0;
    for (let r = 0; r < batchSize; r++) {
      const start = rows.starts[r];
      const len = rows.starts[r + 1] - start;
      const at = r * seqLen;
      inputIds.set(rows.ids.data.subarray(start, start + len), at);
      tokenTypeIds.set(rows.types.data.subarray(start, start + len), at);
      attentionMask.fill(1, at, at + len);
      if (len < seqLen) {
        if (padId === 0) padId = this.requirePad();
        inputIds.fill(padId, at + len, at + seqLen);
      }
    }
    return { inputIds, attentionMask, tokenTypeIds, batchSize, seqLen };
  }

  /** Turns ids back into text: word pieces glued, spaces cleaned as Hugging Face's WordPiece decoder does. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    checkOptionNames('decode', options, DECODE_OPTIONS);
    const skip = booleanOption('decode', 'skipSpecialTokens', options?.skipSpecialTokens, false);
    const cleanUp = booleanOption('decode', 'cleanUpTokenizationSpaces', options?.cleanUpTokenizationSpaces, false);
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      const token = Number.isInteger(id) && id >= 0 ? this.idToTokenTable[id] : undefined;
      if (token === undefined) {
        throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_ID',
          `decode: id ${String(id)} at position ${i} is not in the vocabulary (${this.vocabSize} ids)`);
      }
      if (skip && this.specialIds.has(id)) continue;
      tokens.push(token);
    }
    return this.decoder.decode(tokens, cleanUp);
  }

  /** Checks and completes encode/encodeBatch options. */
  resolveOptions(where: string, options: EncodeOptions | undefined, batch: boolean): ResolvedEncodeOptions {
    checkOptionNames(where, options, ENCODE_OPTIONS);
    const addSpecialTokens = booleanOption(where, 'addSpecialTokens', options?.addSpecialTokens, true);
    const maxLength = integerOption(where, 'maxLength', options?.maxLength, -1, 0);
    const t = options?.truncation;
    let truncation: TruncationStrategy | null;
    if (t === undefined) truncation = maxLength >= 0 ? 'longest_first' : null;
    else if (t === true) truncation = 'longest_first';
    else if (t === false) truncation = null;
    else if (STRATEGIES.includes(t)) truncation = t;
    else {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
        `${where}: truncation must be a boolean or one of ${STRATEGIES.join(', ')}, got ${String(t)}`);
    }
    if (truncation !== null && maxLength < 0) {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION', `${where}: truncation needs maxLength`);
    }
    const p = options?.padding;
    const allowed = batch ? [undefined, 'longest', 'max_length'] : [undefined, false, true, 'max_length'];
    if (!allowed.includes(p)) {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
        `${where}: padding must be one of ${allowed.filter((a) => a !== undefined).join(', ')}, got ${String(p)}`);
    }
    const padToMax = p === 'max_length' || p === true;
    if (padToMax && maxLength < 0) {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION', `${where}: padding to max_length needs maxLength`);
    }
    return { addSpecialTokens, maxLength, truncation, padToMax };
  }

  private keptLengths(a: number, b: number, o: ResolvedEncodeOptions): [number, number] {
    if (o.truncation === null) return [a, b];
    const added = o.addSpecialTokens ? addedTokenCount(this.templateFor(b >= 0)) : 0;
    if (o.maxLength < added) {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
        `maxLength ${o.maxLength} leaves no room for the ${added} special tokens`);
    }
    return truncatedLengths(a, b, o.maxLength - added, o.truncation);
  }

  private templateFor(pair: boolean): readonly TemplateItem[] {
    return pair ? this.config.template.pair : this.config.template.single;
  }

  private copySequence(src: IntBuffer, keep: number, typeId: number, ids: IntBuffer, types: IntBuffer): void {
    ids.reserve(keep);
    types.reserve(keep);
    ids.data.set(src.data.subarray(0, keep), ids.length);
    types.data.fill(typeId, types.length, types.length + keep);
    ids.length += keep;
    types.length += keep;
  }

  private requirePad(): number {
    if (this.padId === null) {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
        `padding needs a pad token, and ${this.config.source} has none`);
    }
    return this.padId;
  }

  /** Appends the ids (and, when `offsets` is given, [start, end) pairs) of one text. */
  private tokenizeSequence(text: string, ids: IntBuffer, offsets: IntBuffer | null): void {
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
      const we = bounds[2 * w + 1];
      const pieces = this.model.tokenizeWord(s, ws, we);
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

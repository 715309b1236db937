// BertTokenizer: the public API. Text goes through the pipeline (pipeline.ts: added tokens, normalizer,
// pre-tokenizer, WordPiece), then truncation (truncation.ts), the template (postProcessor.ts) and padding
// (padding.ts); ids come back through the decoder (decoder.ts). Ids are those of Hugging Face's fast BertTokenizer (transformers 5.x,
// the Rust `tokenizers` pipeline); offsets are UTF-16 offsets into the original text, usable with String.slice.

import { existsSync } from 'fs';
import { join } from 'path';
import type { Batch } from '../data/types';
import { TokenizerFileError, TokenizerOptionsError } from '../errors';
import {
  booleanOption, checkOptionNames, DEFAULT_CACHE_SIZE, integerOption, type JsonTokenizerOptions, type TokenizerConfig,
  type VocabTokenizerOptions,
} from './config';
import { WordPieceDecoder } from './decoder';
import { resolveEncodeOptions, type EncodeOptions, type ResolvedEncodeOptions } from './encodeOptions';
import { IntBuffer } from './intBuffer';
import { padRows, type UnpaddedRows } from './padding';
import { TokenizationPipeline } from './pipeline';
import { addedTokenCount, type TemplateItem } from './postProcessor';
import { readTokenizerConfigJson } from './tokenizerConfigJson';
import { configFromTokenizerJson } from './tokenizerJson';
import { truncatedLengths } from './truncation';
import { configFromVocabFile } from './vocabFile';

export type { EncodeOptions, ResolvedEncodeOptions } from './encodeOptions';

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

const DECODE_OPTIONS = ['skipSpecialTokens', 'cleanUpTokenizationSpaces'] as const;

export class BertTokenizer {
  /** The resolved description (vocabulary, normalizer settings, added tokens, template). */
  readonly config: TokenizerConfig;
  private readonly pipeline: TokenizationPipeline;
  private readonly decoder: WordPieceDecoder;
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
    this.pipeline = new TokenizationPipeline(config,
      integerOption('BertTokenizer', 'cacheSize', cacheSize, DEFAULT_CACHE_SIZE));
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
    this.pipeline.tokenize(text, this.bufA, null);
    return Array.from(this.bufA.data.subarray(0, this.bufA.length), (id) => this.idToTokenTable[id]);
  }

  /**
   * Encodes a text or a pair. As in transformers, an empty second text means no second text: ("a", "") is
   * encoded as "[CLS] a [SEP]".
   */
  encode(text: string, pair?: string, options?: EncodeOptions): Encoding {
    const o = resolveEncodeOptions('encode', options, false);
    const hasPair = pair !== undefined && pair !== '';
    this.bufA.clear();
    this.offA.clear();
    this.pipeline.tokenize(text, this.bufA, this.offA);
    this.bufB.clear();
    this.offB.clear();
    if (hasPair) this.pipeline.tokenize(pair, this.bufB, this.offB);
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
      const padId = this.padTokenId();
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
    const o = resolveEncodeOptions('encodeBatch', options, true);
    return padRows(this.encodeRows(inputs, o), inputs.length, o.padToMax ? o.maxLength : null, () => this.padTokenId());
  }

  /** Ids and token types of every input back to back, with each row's start: the unpadded batch (the part of
   *  encodeBatch that batch workers run). */
  encodeRows(inputs: readonly TextInput[], o: ResolvedEncodeOptions): UnpaddedRows {
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
      this.pipeline.tokenize(text, this.bufA, null);
      this.bufB.clear();
      if (hasPair) this.pipeline.tokenize(pair, this.bufB, null);
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

  /** Id of the pad token; a typed error when the tokenizer has none. */
  padTokenId(): number {
    if (this.padId === null) {
      throw new TokenizerOptionsError('ERR_BERTNODE_TOKENIZER_OPTION',
        `padding needs a pad token, and ${this.config.source} has none`);
    }
    return this.padId;
  }
}

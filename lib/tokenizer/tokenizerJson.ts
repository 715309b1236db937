// Loading a tokenizer from Hugging Face's tokenizer.json: the WordPiece model, the BertNormalizer settings, the
// BertPreTokenizer, the template post-processor, the WordPiece decoder and the added tokens. Anything else (another
// model or normalizer type, a malformed field) is refused with the file and the field named, rather than guessed.
//
// The file's own "truncation" and "padding" blocks are not applied: like transformers, truncation and padding are
// chosen per call (encode / encodeBatch options).

import { TokenizerFileError } from '../errors';
import { parseJson } from '../util/json';
import type { AddedToken } from './addedTokens';
import { checkOptionNames, type JsonTokenizerOptions, type TokenizerConfig } from './config';
import type { DecoderOptions } from './decoder';
import type { NormalizerOptions } from './normalizer';
import { bertTemplate, type Template, type TemplateItem } from './postProcessor';
import { readUtf8File } from './vocabFile';

type Json = Record<string, unknown>;

class Fields {
  constructor(readonly file: string) {}

  fail(reason: string): never {
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FORMAT', this.file, reason);
  }

  object(value: unknown, path: string): Json {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${path} must be an object`);
    return value as Json;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(`${path} must be a string`);
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(`${path} must be a boolean`);
    return value;
  }

  integer(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      this.fail(`${path} must be a non-negative integer`);
    }
    return value;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(`${path} must be an array`);
    return value;
  }
}

function parseModel(f: Fields, model: Json): Pick<TokenizerConfig, 'vocab' | 'unkToken' | 'continuingSubwordPrefix' | 'maxInputCharsPerWord'> {
  if (model.type !== undefined && model.type !== 'WordPiece') {
    f.fail(`model.type '${String(model.type)}' is not supported (only WordPiece)`);
  }
  const rawVocab = f.object(model.vocab, 'model.vocab');
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(rawVocab)) vocab.set(token, f.integer(id, `model.vocab["${token}"]`));
  const unkToken = f.string(model.unk_token, 'model.unk_token');
  if (!vocab.has(unkToken)) {
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_VOCAB', f.file,
      `the unknown token '${unkToken}' (model.unk_token) is not in model.vocab (${vocab.size} tokens)`);
  }
  return {
    vocab,
    unkToken,
    continuingSubwordPrefix: model.continuing_subword_prefix === undefined
      ? '##' : f.string(model.continuing_subword_prefix, 'model.continuing_subword_prefix'),
    maxInputCharsPerWord: model.max_input_chars_per_word === undefined
      ? 100 : f.integer(model.max_input_chars_per_word, 'model.max_input_chars_per_word'),
  };
}

function parseNormalizer(f: Fields, value: unknown): NormalizerOptions | null {
  if (value === null || value === undefined) return null;
  const n = f.object(value, 'normalizer');
  if (n.type !== 'BertNormalizer') f.fail(`normalizer.type '${String(n.type)}' is not supported (only BertNormalizer)`);
  const flag = (key: string, fallback: boolean): boolean => (n[key] === undefined ? fallback : f.boolean(n[key], `normalizer.${key}`));
  return {
    cleanText: flag('clean_text', true),
    handleChineseChars: flag('handle_chinese_chars', true),
    stripAccents: n.strip_accents === null || n.strip_accents === undefined ? null : f.boolean(n.strip_accents, 'normalizer.strip_accents'),
    lowercase: flag('lowercase', true),
  };
}

function parsePreTokenizer(f: Fields, value: unknown): void {
  const p = f.object(value, 'pre_tokenizer');
  if (p.type !== 'BertPreTokenizer') f.fail(`pre_tokenizer.type '${String(p.type)}' is not supported (only BertPreTokenizer)`);
}

function parseTemplateItems(f: Fields, value: unknown, path: string, specials: Map<string, number[]>): TemplateItem[] {
  return f.array(value, path).map((raw, i) => {
    const item = f.object(raw, `${path}[${i}]`);
    if (item.SpecialToken !== undefined) {
      const s = f.object(item.SpecialToken, `${path}[${i}].SpecialToken`);
      const token = f.string(s.id, `${path}[${i}].SpecialToken.id`);
      const ids = specials.get(token);
      if (ids === undefined) f.fail(`${path}[${i}] uses special token '${token}', missing from post_processor.special_tokens`);
      return { kind: 'special', token, ids, typeId: f.integer(s.type_id, `${path}[${i}].SpecialToken.type_id`) };
    }
    const s = f.object(item.Sequence, `${path}[${i}].Sequence`);
    const id = f.string(s.id, `${path}[${i}].Sequence.id`);
    if (id !== 'A' && id !== 'B') f.fail(`${path}[${i}].Sequence.id must be "A" or "B"`);
    return { kind: 'sequence', sequence: id === 'A' ? 0 : 1, typeId: f.integer(s.type_id, `${path}[${i}].Sequence.type_id`) };
  });
}

function parsePostProcessor(f: Fields, value: unknown): Template {
  const p = f.object(value, 'post_processor');
  if (p.type === 'BertProcessing') {
    const pair = (key: string): { token: string; id: number } => {
      const t = f.array(p[key], `post_processor.${key}`);
      return { token: f.string(t[0], `post_processor.${key}[0]`), id: f.integer(t[1], `post_processor.${key}[1]`) };
    };
    return bertTemplate(pair('cls'), pair('sep'));
  }
  if (p.type !== 'TemplateProcessing') {
    f.fail(`post_processor.type '${String(p.type)}' is not supported (TemplateProcessing or BertProcessing)`);
  }
  const specials = new Map<string, number[]>();
  for (const [name, raw] of Object.entries(f.object(p.special_tokens, 'post_processor.special_tokens'))) {
    const s = f.object(raw, `post_processor.special_tokens.${name}`);
    const ids = f.array(s.ids, `post_processor.special_tokens.${name}.ids`).map((id, i) =>
      f.integer(id, `post_processor.special_tokens.${name}.ids[${i}]`));
    specials.set(name, ids);
  }
  return {
    single: parseTemplateItems(f, p.single, 'post_processor.single', specials),
    pair: parseTemplateItems(f, p.pair, 'post_processor.pair', specials),
  };
}

function parseDecoder(f: Fields, value: unknown): DecoderOptions {
  if (value === null || value === undefined) return { prefix: '##', cleanup: true };
  const d = f.object(value, 'decoder');
  if (d.type !== 'WordPiece') f.fail(`decoder.type '${String(d.type)}' is not supported (only WordPiece)`);
  return {
    prefix: d.prefix === undefined ? '##' : f.string(d.prefix, 'decoder.prefix'),
    cleanup: d.cleanup === undefined ? true : f.boolean(d.cleanup, 'decoder.cleanup'),
  };
}

function parseAddedTokens(f: Fields, value: unknown): AddedToken[] {
  if (value === undefined) return [];
  return f.array(value, 'added_tokens').map((raw, i) => {
    const t = f.object(raw, `added_tokens[${i}]`);
    const flag = (key: string, fallback: boolean): boolean =>
      (t[key] === undefined ? fallback : f.boolean(t[key], `added_tokens[${i}].${key}`));
    if (flag('single_word', false)) f.fail(`added_tokens[${i}].single_word = true is not supported`);
    const special = flag('special', false);
    return {
      id: f.integer(t.id, `added_tokens[${i}].id`),
      content: f.string(t.content, `added_tokens[${i}].content`),
      special,
      normalized: flag('normalized', !special),
      lstrip: flag('lstrip', false),
      rstrip: flag('rstrip', false),
    };
  });
}

// The tokenizer keeps an id -> token table as long as the largest id. Ids are dense in every file Hugging Face
// writes (vocabulary 0..n-1, added tokens after it or inside it), so an id at or past the number of tokens the file
// defines is refused: a 21 KB file with the id 30,000,000 would otherwise allocate a 240 MB table.
function checkIdRange(f: Fields, vocab: Map<string, number>, addedTokens: AddedToken[]): void {
  const limit = vocab.size + addedTokens.length;
  for (const [token, id] of vocab) {
    if (id >= limit) f.fail(`model.vocab["${token.slice(0, 40)}"] = ${id}: ids must be below the number of tokens (${limit})`);
  }
  addedTokens.forEach((t, i) => {
    if (t.id >= limit) f.fail(`added_tokens[${i}].id = ${t.id}: ids must be below the number of tokens (${limit})`);
  });
}

export function parseTokenizerJson(text: string, file: string): TokenizerConfig {
  const f = new Fields(file);
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch (e) {
    throw new TokenizerFileError('ERR_BERTNODE_TOKENIZER_FILE', file, `not JSON: ${(e as Error).message}`, { cause: e });
  }
  const root = f.object(parsed, 'the top level');
  const model = parseModel(f, f.object(root.model, 'model'));
  const addedTokens = parseAddedTokens(f, root.added_tokens);
  checkIdRange(f, model.vocab, addedTokens);
  // The pad token: the one the file's padding block names, else BERT's [PAD] (used only when a call pads).
  const padding = root.padding === null || root.padding === undefined ? {} : f.object(root.padding, 'padding');
  const padToken = padding.pad_token === undefined ? '[PAD]' : f.string(padding.pad_token, 'padding.pad_token');
  const hasPad = addedTokens.some((t) => t.content === padToken) || model.vocab.has(padToken);
  const sep = model.vocab.get('[SEP]');
  const cls = model.vocab.get('[CLS]');
  let template: Template;
  if (root.post_processor !== null && root.post_processor !== undefined) {
    template = parsePostProcessor(f, root.post_processor);
  } else if (cls !== undefined && sep !== undefined) {
    template = bertTemplate({ token: '[CLS]', id: cls }, { token: '[SEP]', id: sep });
  } else {
    return f.fail('post_processor is missing and the vocabulary has no [CLS]/[SEP] to build BERT\'s template from');
  }
  parsePreTokenizer(f, root.pre_tokenizer);
  return {
    source: file,
    ...model,
    padToken: hasPad ? padToken : null,
    normalizer: parseNormalizer(f, root.normalizer),
    addedTokens,
    template,
    decoder: parseDecoder(f, root.decoder),
  };
}

export function configFromTokenizerJson(file: string, options: JsonTokenizerOptions = {}): TokenizerConfig {
  checkOptionNames(`BertTokenizer.fromTokenizerJson(${file})`, options, ['cacheSize']);
  return parseTokenizerJson(readUtf8File(file), file);
}

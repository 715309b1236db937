// Token-tagging data (NER, POS, chunking): CoNLL-style files (one "token … tag" line per token, a blank line
// between sentences, -DOCSTART- lines skipped, the tag taken from a chosen column) and JSONL ({"tokens": [...],
// "tags": [...]} per line; "ner_tags" is read too). Streamed sentence by sentence; every problem names the file
// and the line.

import { DataFormatError, ValidationError } from '../errors';
import { firstIob2Violation, iob1ToIob2 } from './iob';
import { pythonSplit } from '../util/python-text';
import { readLines } from './line-reader';

export interface TaggedSentence {
  id: string;
  tokens: string[];
  tags: string[];
  // "<file>:<line>" of the sentence's first token (CoNLL) or its JSON line.
  source: string;
}

export interface TaggingOptions {
  // How the file's tags are written. 'IOB1': converted to IOB2 on reading. 'IOB2': checked (an I- that does not
  // continue an entity is an error at its line). Default: taken as they are.
  scheme?: 'IOB1' | 'IOB2';
  // The longest line in characters (default 16 Mi).
  maxLineLength?: number;
}

export interface ConllOptions extends TaggingOptions {
  // Which whitespace-separated column holds the tag: an index from 0, negative from the end. Default -1 (the last,
  // the NER column of CoNLL-2003's "token POS chunk NER").
  tagColumn?: number;
}

export interface TaggedJsonlOptions extends TaggingOptions {
  tokensField?: string; // default "tokens"
  tagsField?: string; // default "tags", else "ner_tags"
  // Names for integer tags (Hugging Face datasets store ClassLabel ids); without it tags must be strings.
  labels?: readonly string[];
}

// A CoNLL line is a few short strings, so a chunk holds many objects that live until the chunk is consumed and
// get promoted to the old generation: with the line reader's 256 KiB chunks a 120 MB file grew RSS by 108 MB
// (garbage, not retention: 14 MB with forced collections); 64 KiB chunks keep it near 20 MB.
const CONLL_CHUNK_BYTES = 1 << 16;

export async function* streamConll(file: string, options: ConllOptions = {}): AsyncGenerator<TaggedSentence> {
  const tagColumn = options.tagColumn ?? -1;
  if (!Number.isInteger(tagColumn) || tagColumn === 0) {
    throw new ValidationError(`tagColumn must be a non-zero integer (column 0 holds the token), got ${tagColumn}`);
  }
  let tokens: string[] = [];
  let tags: string[] = [];
  let lines: number[] = [];
  let count = 0;
  const finish = (): TaggedSentence => {
    const sentence = finishSentence(file, `${count}`, tokens, tags, lines, lines[0], options);
    count++;
    tokens = [];
    tags = [];
    lines = [];
    return sentence;
  };
  for await (const batch of readLines(file, { maxLineLength: options.maxLineLength ?? 1 << 24, chunkBytes: CONLL_CHUNK_BYTES })) {
    for (const { text, line } of batch) {
      // Python's str.split(): CoNLL columns are separated by spaces or tabs, and characters such as U+FEFF or
      // U+200B (not whitespace to Python) stay inside a token, as Hugging Face's loaders keep them.
      const columns = pythonSplit(text);
      if (columns.length === 0) {
        if (tokens.length > 0) yield finish();
        continue;
      }
      if (columns[0] === '-DOCSTART-') continue;
      const tag = columns.at(tagColumn);
      if (columns.length < 2 || tag === undefined) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `${columns.length} column(s); the tag column ${tagColumn} is not there`, { line });
      }
      tokens.push(columns[0]);
      tags.push(tag);
      lines.push(line);
    }
  }
  if (tokens.length > 0) yield finish();
  if (count === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file holds no sentences');
}

export async function* streamTaggedJsonl(file: string, options: TaggedJsonlOptions = {}): AsyncGenerator<TaggedSentence> {
  let count = 0;
  for await (const batch of readLines(file, { maxLineLength: options.maxLineLength ?? 1 << 24 })) {
    for (const { text, line } of batch) {
      if (text.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch (cause) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `not valid JSON: ${(cause as Error).message}`, { line, cause });
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'a line must be a JSON object', { line });
      }
      const fields = record as Record<string, unknown>;
      const tokensField = options.tokensField ?? 'tokens';
      const tagsField = options.tagsField ?? (fields.tags === undefined && fields.ner_tags !== undefined ? 'ner_tags' : 'tags');
      const tokens = fields[tokensField];
      const rawTags = fields[tagsField];
      if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `"${tokensField}" must be an array of strings`, { line });
      }
      if (!Array.isArray(rawTags)) throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `"${tagsField}" must be an array`, { line });
      const tags = rawTags.map((tag) => tagName(tag, options.labels, file, line));
      const id = typeof fields.id === 'string' || typeof fields.id === 'number' ? String(fields.id) : `${count}`;
      count++;
      yield finishSentence(file, id, tokens as string[], tags, tokens.map(() => line), line, options);
    }
  }
  if (count === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file holds no sentences');
}

export async function readConll(file: string, options: ConllOptions = {}): Promise<TaggedSentence[]> {
  return collect(streamConll(file, options));
}

export async function readTaggedJsonl(file: string, options: TaggedJsonlOptions = {}): Promise<TaggedSentence[]> {
  return collect(streamTaggedJsonl(file, options));
}

// run_ner's get_label_list: the distinct tags of the data, sorted (by code point, as Python sorts strings).
export function tagLabelList(sentences: Iterable<TaggedSentence>): string[] {
  const seen = new Set<string>();
  for (const sentence of sentences) for (const tag of sentence.tags) seen.add(tag);
  return [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function collect(sentences: AsyncGenerator<TaggedSentence>): Promise<TaggedSentence[]> {
  const all: TaggedSentence[] = [];
  for await (const sentence of sentences) all.push(sentence);
  return all;
}

function tagName(tag: unknown, labels: readonly string[] | undefined, file: string, line: number): string {
  if (typeof tag === 'string') return tag;
  if (typeof tag === 'number' && labels !== undefined) {
    if (Number.isInteger(tag) && tag >= 0 && tag < labels.length) return labels[tag];
    throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file, `tag ${tag} is not an index into [${labels.join(', ')}]`, { line });
  }
  throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file,
    `tag ${JSON.stringify(tag)} is not a string${typeof tag === 'number' ? ' (pass labels to read integer tags)' : ''}`, { line });
}

// Checks the counts and applies the scheme: IOB1 converted, IOB2 checked with the line of the offending token.
function finishSentence(file: string, id: string, tokens: string[], tags: string[], lines: number[], firstLine: number,
  options: TaggingOptions): TaggedSentence {
  if (tokens.length !== tags.length) {
    throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `${tokens.length} tokens but ${tags.length} tags`, { line: firstLine });
  }
  if (tokens.length === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'a sentence without tokens', { line: firstLine });
  let finalTags = tags;
  if (options.scheme === 'IOB1') finalTags = iob1ToIob2(tags);
  else if (options.scheme === 'IOB2') {
    const bad = firstIob2Violation(tags);
    if (bad !== -1) {
      throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file,
        `tag '${tags[bad]}' does not continue an entity of its type, as IOB2 requires (read the file with scheme 'IOB1'?)`, { line: lines[bad] });
    }
  } else if (options.scheme !== undefined) {
    throw new ValidationError(`scheme must be 'IOB1' or 'IOB2', got '${String(options.scheme)}'`);
  }
  return { id, tokens, tags: finalTags, source: `${file}:${firstLine}` };
}

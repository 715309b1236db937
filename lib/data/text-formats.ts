// The flat formats: the classic TSV (`text<TAB>label`), the Kaggle-style CSV (`review,sentiment`) and JSONL
// ({"text", "label"} per line). Files are streamed record by record (./line-reader.ts), decoded as strict UTF-8,
// and every problem is reported with the file and the line. read* collect the examples; stream* yield them one at
// a time for files too large to hold.

import { DataFormatError, ValidationError } from '../errors';
import { parseJson } from '../util/json';
import { cleanReviewText } from './clean';
import { csvRecords } from './csv-parser';
import { resolveLabel, SENTIMENT_LABELS } from './labels';
import { readLines, type TextLine } from './line-reader';
import type { Example } from './types';

export interface TextFormatOptions {
  // Class names; a label in the file is an index into this list or one of its names. Default negative/positive.
  labels?: readonly string[];
  // The classic `<br />` → space cleaning. Default false.
  clean?: boolean;
  // The longest record (a line; a CSV record with quoted line breaks) in characters; a longer one is a typed error
  // instead of unbounded memory. Default 16 Mi.
  maxRecordLength?: number;
}

export interface TsvOptions extends TextFormatOptions {
  // Whether the first line is a header. 'auto' (default): it is when its label column reads label/sentiment/class.
  header?: boolean | 'auto';
}

export interface CsvOptions extends TextFormatOptions {
  // Column names from the header row. Defaults: text from "review" (else "text", "sentence"), label from
  // "sentiment" (else "label"), optional second text from "text_pair".
  textColumn?: string;
  labelColumn?: string;
  textPairColumn?: string;
}

export interface JsonlOptions extends TextFormatOptions {
  // Field names. Defaults: "text" (else "review", "sentence"), "label" (else "sentiment"), "text_pair", "id".
  textField?: string;
  labelField?: string;
  textPairField?: string;
}

const HEADER_LABEL_NAMES = new Set(['label', 'labels', 'sentiment', 'class']);
const DEFAULT_MAX_RECORD_LENGTH = 1 << 24;

// The non-blank lines of a line-based file (TSV, JSONL) without their CRLF's CR, one read chunk at a time.
async function* contentLines(file: string, options: TextFormatOptions): AsyncGenerator<{ line: number; raw: string }[]> {
  for await (const lines of readLines(file, { maxLineLength: maxRecordLength(options) })) {
    yield lines.map((textLine) => ({ line: textLine.line, raw: withoutCr(textLine) }))
      .filter(({ raw }) => raw.trim() !== '');
  }
}

// The label is after the last tab, so a text that itself holds tabs survives.
async function* tsvBatches(file: string, options: TsvOptions): AsyncGenerator<Example[]> {
  const labels = options.labels ?? SENTIMENT_LABELS;
  for await (const lines of contentLines(file, options)) {
    const examples: Example[] = [];
    for (const { line, raw } of lines) {
      const tab = raw.lastIndexOf('\t');
      if (tab === -1) throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'no tab between text and label', { line });
      const text = raw.slice(0, tab);
      const label = raw.slice(tab + 1);
      const isHeader = options.header === true || (options.header !== false && HEADER_LABEL_NAMES.has(label.trim().toLowerCase()));
      if (line === 1 && isHeader) continue;
      examples.push(makeExample(file, line, text, undefined, resolveLabel(label, labels, file, line), options));
    }
    yield examples;
  }
}

async function* csvBatches(file: string, options: CsvOptions): AsyncGenerator<Example[]> {
  const labels = options.labels ?? SENTIMENT_LABELS;
  const limit = maxRecordLength(options);
  let columns: string[] | undefined;
  let textColumn = -1;
  let labelColumn = -1;
  let pairColumn = -1;
  for await (const records of csvRecords(readLines(file, { maxLineLength: limit }), file, limit)) {
    const examples: Example[] = [];
    for (const { fields, line } of records) {
      if (columns === undefined) {
        columns = fields.map((name) => name.trim());
        textColumn = findColumn(columns, options.textColumn, ['review', 'text', 'sentence'], true, file);
        labelColumn = findColumn(columns, options.labelColumn, ['sentiment', 'label'], true, file);
        pairColumn = findColumn(columns, options.textPairColumn, ['text_pair'], options.textPairColumn !== undefined, file);
        continue;
      }
      if (fields.length === 1 && fields[0] === '') continue;
      if (fields.length !== columns.length) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `${fields.length} fields where the header has ${columns.length}`, { line });
      }
      const pair = pairColumn === -1 ? undefined : fields[pairColumn];
      examples.push(makeExample(file, line, fields[textColumn], pair, resolveLabel(fields[labelColumn], labels, file, line), options));
    }
    yield examples;
  }
}

function findColumn(columns: string[], wanted: string | undefined, fallbacks: string[], required: boolean, file: string): number {
  const names = wanted ? [wanted] : fallbacks;
  const index = columns.findIndex((c) => names.includes(c.toLowerCase()) || names.includes(c));
  if (index === -1 && required) {
    throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `no column named ${names.join(' or ')} in the header [${columns.join(', ')}]`, { line: 1 });
  }
  return index;
}

async function* jsonlBatches(file: string, options: JsonlOptions): AsyncGenerator<Example[]> {
  const labels = options.labels ?? SENTIMENT_LABELS;
  for await (const lines of contentLines(file, options)) {
    const examples: Example[] = [];
    for (const { line, raw } of lines) {
      let record: unknown;
      try {
        record = parseJson(raw);
      } catch (cause) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `not valid JSON: ${(cause as Error).message}`, { line, cause });
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'a line must be a JSON object', { line });
      }
      const fields = record as Record<string, unknown>;
      const pick = (wanted: string | undefined, fallbacks: string[]): unknown => {
        const name = (wanted ? [wanted] : fallbacks).find((key) => key in fields);
        return name === undefined ? undefined : fields[name];
      };
      const text = pick(options.textField, ['text', 'review', 'sentence']);
      const pair = pick(options.textPairField, ['text_pair', 'textPair']);
      const label = pick(options.labelField, ['label', 'sentiment']);
      if (typeof text !== 'string') throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'no string "text" field', { line });
      if (pair !== undefined && typeof pair !== 'string') {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, '"text_pair" must be a string', { line });
      }
      const example = makeExample(file, line, text, pair, resolveLabel(label, labels, file, line), options);
      if (typeof fields.id === 'string' || typeof fields.id === 'number') example.id = String(fields.id);
      examples.push(example);
    }
    yield examples;
  }
}

// The examples of a file one at a time, read as they are needed: memory holds one chunk and one record.
export function streamTsv(file: string, options: TsvOptions = {}): AsyncGenerator<Example> {
  return flatten(tsvBatches(file, options), file);
}

export function streamCsv(file: string, options: CsvOptions = {}): AsyncGenerator<Example> {
  return flatten(csvBatches(file, options), file);
}

export function streamJsonl(file: string, options: JsonlOptions = {}): AsyncGenerator<Example> {
  return flatten(jsonlBatches(file, options), file);
}

export function readTsv(file: string, options: TsvOptions = {}): Promise<Example[]> {
  return collect(tsvBatches(file, options), file);
}

export function readCsv(file: string, options: CsvOptions = {}): Promise<Example[]> {
  return collect(csvBatches(file, options), file);
}

export function readJsonl(file: string, options: JsonlOptions = {}): Promise<Example[]> {
  return collect(jsonlBatches(file, options), file);
}

async function* flatten(batches: AsyncGenerator<Example[]>, file: string): AsyncGenerator<Example> {
  let count = 0;
  for await (const batch of batches) {
    count += batch.length;
    yield* batch;
  }
  if (count === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file holds no examples');
}

async function collect(batches: AsyncGenerator<Example[]>, file: string): Promise<Example[]> {
  const examples: Example[] = [];
  for await (const example of flatten(batches, file)) examples.push(example);
  return examples;
}

function maxRecordLength(options: TextFormatOptions): number {
  const limit = options.maxRecordLength ?? DEFAULT_MAX_RECORD_LENGTH;
  if (!Number.isInteger(limit) || limit < 1) throw new ValidationError(`maxRecordLength must be a positive integer, got ${limit}`);
  return limit;
}

// A line without the CR of its CRLF (the line reader splits at LF only). After the last line break there is none
// to remove: a CR there is part of the text, as it was when the whole file was split at /\r?\n/.
function withoutCr({ text, terminated }: TextLine): string {
  return terminated && text.endsWith('\r') ? text.slice(0, -1) : text;
}

function makeExample(file: string, line: number, text: string, pair: string | undefined, label: number, options: TextFormatOptions): Example {
  if (text.trim() === '') throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the text is empty', { line });
  const clean = options.clean ? cleanReviewText : (s: string): string => s;
  const example: Example = { id: `${line}`, text: clean(text), label, source: `${file}:${line}` };
  if (pair !== undefined) example.textPair = clean(pair);
  return example;
}

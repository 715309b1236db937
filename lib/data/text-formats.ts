// The flat formats: the classic TSV (`text<TAB>label`), the Kaggle-style CSV (`review,sentiment`) and JSONL
// ({"text", "label"} per line). Each file is read whole (it becomes an in-memory example list anyway), decoded
// as strict UTF-8, and every problem is reported with the file and the line.

import { promises as fsp } from 'node:fs';
import { DataFormatError } from '../errors';
import { cleanReviewText } from './clean';
import { parseCsv } from './csv-parser';
import { resolveLabel, SENTIMENT_LABELS } from './labels';
import type { Example } from './types';
import { decodeUtf8 } from './utf8';

export interface TextFormatOptions {
  // Class names; a label in the file is an index into this list or one of its names. Default negative/positive.
  labels?: readonly string[];
  // The classic `<br />` → space cleaning. Default false.
  clean?: boolean;
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

// The label is after the last tab, so a text that itself holds tabs survives.
export async function readTsv(file: string, options: TsvOptions = {}): Promise<Example[]> {
  const labels = options.labels ?? SENTIMENT_LABELS;
  const lines = splitLines(await readText(file));
  const examples: Example[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const tab = raw.lastIndexOf('\t');
    if (tab === -1) throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'no tab between text and label', { line });
    const text = raw.slice(0, tab);
    const label = raw.slice(tab + 1);
    const isHeader = options.header === true || (options.header !== false && HEADER_LABEL_NAMES.has(label.trim().toLowerCase()));
    if (index === 0 && isHeader) return;
    examples.push(makeExample(file, line, text, undefined, resolveLabel(label, labels, file, line), options));
  });
  return nonEmpty(examples, file);
}

export async function readCsv(file: string, options: CsvOptions = {}): Promise<Example[]> {
  const labels = options.labels ?? SENTIMENT_LABELS;
  const records = parseCsv(await readText(file), file);
  const header = records.next();
  if (header.done) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file is empty');
  const columns = header.value.fields.map((name) => name.trim());
  const column = (wanted: string | undefined, fallbacks: string[], required: boolean): number => {
    const names = wanted ? [wanted] : fallbacks;
    const index = columns.findIndex((c) => names.includes(c.toLowerCase()) || names.includes(c));
    if (index === -1 && required) {
      throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `no column named ${names.join(' or ')} in the header [${columns.join(', ')}]`, { line: 1 });
    }
    return index;
  };
  const textColumn = column(options.textColumn, ['review', 'text', 'sentence'], true);
  const labelColumn = column(options.labelColumn, ['sentiment', 'label'], true);
  const pairColumn = column(options.textPairColumn, ['text_pair'], options.textPairColumn !== undefined);
  const examples: Example[] = [];
  for (const { fields, line } of records) {
    if (fields.length === 1 && fields[0] === '') continue;
    if (fields.length !== columns.length) {
      throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `${fields.length} fields where the header has ${columns.length}`, { line });
    }
    const pair = pairColumn === -1 ? undefined : fields[pairColumn];
    examples.push(makeExample(file, line, fields[textColumn], pair, resolveLabel(fields[labelColumn], labels, file, line), options));
  }
  return nonEmpty(examples, file);
}

export async function readJsonl(file: string, options: JsonlOptions = {}): Promise<Example[]> {
  const labels = options.labels ?? SENTIMENT_LABELS;
  const examples: Example[] = [];
  splitLines(await readText(file)).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
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
  });
  return nonEmpty(examples, file);
}

async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DataFormatError('ERR_BERTNODE_DATA_NOT_FOUND', file, 'no such file', { cause: error });
    }
    throw error;
  }
  if (bytes.length === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file is empty');
  return decodeUtf8(bytes, file);
}

function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

function makeExample(file: string, line: number, text: string, pair: string | undefined, label: number, options: TextFormatOptions): Example {
  if (text.trim() === '') throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the text is empty', { line });
  const clean = options.clean ? cleanReviewText : (s: string): string => s;
  const example: Example = { id: `${line}`, text: clean(text), label, source: `${file}:${line}` };
  if (pair !== undefined) example.textPair = clean(pair);
  return example;
}

function nonEmpty(examples: Example[], file: string): Example[] {
  if (examples.length === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file holds no examples');
  return examples;
}

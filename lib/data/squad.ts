// SQuAD v1.1 and v2.0 JSON files ({"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question",
// "answers": [{"text", "answer_start"}], "is_impossible"?}]}]}]}) read into one example per question, as Hugging
// Face's squad / squad_v2 dataset loaders produce them: answers as parallel text / answer_start lists, empty for an
// unanswerable v2.0 question (its plausible_answers are not answers). The file is one JSON document, so it is read
// whole, up to maxBytes (SQuAD 2.0's train file is 40 MB); errors name the file and the line (syntax) or the JSON
// path (structure).

import { promises as fsp } from 'node:fs';
import { DataFormatError, ValidationError } from '../errors';
import { jsonErrorOffset, lineOfOffset } from './json-error-position';
import { decodeUtf8 } from './utf8';

export interface SquadExample {
  id: string;
  title: string;
  context: string;
  question: string;
  answers: { text: string[]; answerStart: number[] };
  // "<file>#<JSON path>" of the question.
  source: string;
}

export interface SquadReadOptions {
  // Largest file accepted, in bytes (default 1 GiB).
  maxBytes?: number;
}

export async function readSquad(file: string, options: SquadReadOptions = {}): Promise<SquadExample[]> {
  const maxBytes = options.maxBytes ?? 1 << 30;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) throw new ValidationError(`maxBytes must be a positive integer, got ${maxBytes}`);
  let size: number;
  try {
    size = (await fsp.stat(file)).size;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw new DataFormatError('ERR_BERTNODE_DATA_NOT_FOUND', file, 'no such file', { cause });
    throw cause;
  }
  if (size === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file is empty');
  if (size > maxBytes) throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `${size} bytes, more than maxBytes (${maxBytes})`);
  const text = decodeUtf8(await fsp.readFile(file), file);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (cause) {
    throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `not valid JSON: ${(cause as Error).message}`, { line: lineOfOffset(text, jsonErrorOffset(text)), cause });
  }
  const examples: SquadExample[] = [];
  const data = field(document, 'data', 'array', file, '');
  data.forEach((article, a) => {
    const articlePath = `data[${a}]`;
    const title = (optionalField(article, 'title', 'string', file, articlePath) ?? '') as string;
    field(article, 'paragraphs', 'array', file, articlePath).forEach((paragraph, p) => {
      const paragraphPath = `${articlePath}.paragraphs[${p}]`;
      const context = field(paragraph, 'context', 'string', file, paragraphPath);
      field(paragraph, 'qas', 'array', file, paragraphPath).forEach((qa, q) => {
        const path = `${paragraphPath}.qas[${q}]`;
        const id = field(qa, 'id', 'string', file, path);
        const question = field(qa, 'question', 'string', file, path);
        const impossible = optionalField(qa, 'is_impossible', 'boolean', file, path) === true;
        const answers = { text: [] as string[], answerStart: [] as number[] };
        if (!impossible) {
          field(qa, 'answers', 'array', file, path).forEach((answer, k) => {
            const answerPath = `${path}.answers[${k}]`;
            const start = field(answer, 'answer_start', 'number', file, answerPath);
            if (!Number.isInteger(start) || start < 0 || start > context.length) {
              throw structure(file, answerPath, `answer_start ${start} is not a position in the context (${context.length} characters)`);
            }
            answers.text.push(field(answer, 'text', 'string', file, answerPath));
            answers.answerStart.push(start);
          });
        }
        examples.push({ id, title, context, question, answers, source: `${file}#${path}` });
      });
    });
  });
  if (examples.length === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file holds no questions');
  return examples;
}

type Kind = 'array' | 'string' | 'number' | 'boolean';
type KindType<K extends Kind> = K extends 'array' ? unknown[] : K extends 'string' ? string : K extends 'number' ? number : boolean;

function field<K extends Kind>(holder: unknown, name: string, kind: K, file: string, path: string): KindType<K> {
  const value = optionalField(holder, name, kind, file, path);
  if (value === undefined) throw structure(file, path, `"${name}" is missing`);
  return value;
}

function optionalField<K extends Kind>(holder: unknown, name: string, kind: K, file: string, path: string): KindType<K> | undefined {
  if (typeof holder !== 'object' || holder === null || Array.isArray(holder)) throw structure(file, path, 'must be a JSON object');
  const value = (holder as Record<string, unknown>)[name];
  if (value === undefined || value === null) return undefined;
  const ok = kind === 'array' ? Array.isArray(value) : typeof value === kind;
  if (!ok) throw structure(file, path, `"${name}" must be ${kind === 'array' ? 'an array' : `a ${kind}`}`);
  return value as KindType<K>;
}

function structure(file: string, path: string, reason: string): DataFormatError {
  return new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `${path === '' ? 'the document' : path}: ${reason}`);
}

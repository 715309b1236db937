// Multi-label and regression examples from a JSONL file: one JSON object per line with "text", optionally
// "text_pair" (or "textPair") and "id", and "label" (an array of class names, or a number / an array of numbers).
// Streamed line by line (./line-reader.ts); a line that is not such an object is a DataFormatError naming the file
// and the line. The labels themselves are checked by the caller, which reports their line through `lines`.

import { DataFormatError } from '../errors';
import { parseJson } from '../util/json';
import { readLines } from './line-reader';

export interface TargetRecord {
  id?: string;
  text: string;
  textPair?: string;
  label: unknown;
}

// The longest line in characters: a longer one is a typed error instead of unbounded memory (as the flat formats).
const MAX_LINE_LENGTH = 1 << 24;

export async function readTargetJsonl(file: string): Promise<{ records: TargetRecord[]; lines: number[] }> {
  const records: TargetRecord[] = [];
  const lines: number[] = [];
  for await (const batch of readLines(file, { maxLineLength: MAX_LINE_LENGTH })) {
    for (const { text: rawLine, line } of batch) {
      const raw = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      if (raw.trim() === '') continue;
      const fail = (reason: string, cause?: unknown) => new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, reason, { line, cause });
      let record: unknown;
      try {
        record = parseJson(raw);
      } catch (cause) {
        throw fail(`not valid JSON: ${(cause as Error).message}`, cause);
      }
      if (typeof record !== 'object' || record === null || Array.isArray(record)) throw fail('a line must be a JSON object');
      const fields = record as Record<string, unknown>;
      const textPair = fields.text_pair ?? fields.textPair;
      if (typeof fields.text !== 'string') throw fail('no string "text" field');
      if (textPair !== undefined && typeof textPair !== 'string') throw fail('"text_pair" must be a string');
      if (!('label' in fields)) throw fail('no "label" field');
      const id = typeof fields.id === 'string' || typeof fields.id === 'number' ? String(fields.id) : undefined;
      records.push({ id, text: fields.text, textPair: textPair as string | undefined, label: fields.label });
      lines.push(line);
    }
  }
  if (records.length === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'no records');
  return { records, lines };
}

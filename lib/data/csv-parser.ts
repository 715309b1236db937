// RFC 4180 CSV: fields separated by commas, records by CRLF or LF, a field in double quotes may hold commas,
// line breaks and doubled quotes (""). A quote opening inside an unquoted field, text after a closing quote and a
// quoted field still open at the end of the file are errors with the line where the problem starts.
//
// A file is read line by line (./line-reader.ts): lines are joined into one record while a quoted field is open
// (an odd number of quotes so far, since an escaped quote counts two), and each record is parsed on its own, so
// memory holds one record, never the file.

import { DataFormatError } from '../errors';
import type { TextLine } from './line-reader';

export interface CsvRecord {
  fields: string[];
  // 1-based line where the record starts (a record with quoted line breaks spans several lines).
  line: number;
}

// Records of `text`, whose first line is line `firstLine` of the file.
export function* parseCsv(text: string, file: string, firstLine = 1): Generator<CsvRecord> {
  let pos = 0;
  let line = firstLine;
  const length = text.length;
  while (pos < length) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let field: string;
      if (text.charCodeAt(pos) === 0x22 /* " */) {
        const fieldLine = line;
        let value = '';
        let start = pos + 1;
        for (;;) {
          const quote = text.indexOf('"', start);
          if (quote === -1) {
            throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'unbalanced quote: a quoted field is still open at the end of the file', { line: fieldLine });
          }
          line += countNewlines(text, start, quote);
          value += text.slice(start, quote);
          if (text.charCodeAt(quote + 1) === 0x22) {
            value += '"';
            start = quote + 2;
            continue;
          }
          pos = quote + 1;
          break;
        }
        field = value;
        const after = text.charCodeAt(pos);
        if (pos < length && after !== 0x2c && after !== 0x0a && !(after === 0x0d && text.charCodeAt(pos + 1) === 0x0a)) {
          throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'unexpected text after a closing quote', { line });
        }
      } else {
        let end = pos;
        while (end < length) {
          const c = text.charCodeAt(end);
          if (c === 0x2c || c === 0x0a || (c === 0x0d && text.charCodeAt(end + 1) === 0x0a)) break;
          if (c === 0x22) {
            throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, 'a quote inside an unquoted field (fields with quotes must be quoted)', { line });
          }
          end++;
        }
        field = text.slice(pos, end);
        pos = end;
      }
      fields.push(field);
      if (pos >= length) break;
      const c = text.charCodeAt(pos);
      if (c === 0x2c) {
        pos++;
        continue;
      }
      pos += c === 0x0d ? 2 : 1;
      line++;
      break;
    }
    yield { fields, line: recordLine };
  }
}

function countNewlines(text: string, start: number, end: number): number {
  let count = 0;
  for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

// The records of a file's lines, one batch per batch of lines. A record is at most maxRecordLength characters: a
// longer one is a typed error (in a valid file it takes an unbalanced quote to make one that long).
export async function* csvRecords(lines: AsyncIterable<TextLine[]>, file: string, maxRecordLength: number): AsyncGenerator<CsvRecord[]> {
  let parts: string[] = [];
  let firstLine = 0;
  let quotes = 0;
  let length = 0;
  for await (const batch of lines) {
    const records: CsvRecord[] = [];
    for (const { text, line, terminated } of batch) {
      if (parts.length === 0) firstLine = line;
      parts.push(text);
      length += text.length + 1;
      quotes += countQuotes(text);
      if (quotes % 2 === 1 && terminated) {
        if (length > maxRecordLength) recordTooLong(parts.join('\n'), file, firstLine, maxRecordLength);
        continue;
      }
      // The record ends here: at a line break outside quotes (CRLF or LF), or at the end of the file, where an open
      // quote is reported by parseCsv.
      let record = parts.join('\n');
      if (terminated && record.endsWith('\r')) record = record.slice(0, -1);
      parts = [];
      quotes = 0;
      length = 0;
      if (record !== '') records.push(...parseCsv(record, file, firstLine));
      else if (terminated) records.push({ fields: [''], line: firstLine }); // an empty line, as parseCsv reads one
    }
    if (records.length > 0) yield records;
  }
}

function countQuotes(text: string): number {
  let count = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) count++;
  return count;
}

// An error found before the open quote (a stray quote in an unquoted field, text after a closing quote) is reported
// as such; otherwise the quoted field that never closes, at the line where it opened.
function recordTooLong(text: string, file: string, firstLine: number, maxRecordLength: number): never {
  let line = firstLine;
  try {
    [...parseCsv(text, file, firstLine)];
  } catch (error) {
    if (!(error instanceof DataFormatError) || !error.reason.startsWith('unbalanced quote')) throw error;
    line = error.line ?? firstLine;
  }
  throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file,
    `unbalanced quote: a quoted field runs on for more than ${maxRecordLength} characters (or raise maxRecordLength)`, { line });
}

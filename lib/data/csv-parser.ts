// RFC 4180 CSV: fields separated by commas, records by CRLF or LF, a field in double quotes may hold commas,
// line breaks and doubled quotes (""). A quote opening inside an unquoted field, text after a closing quote and a
// quoted field still open at the end of the file are errors with the line where the problem starts.

import { DataFormatError } from '../errors';

export interface CsvRecord {
  fields: string[];
  // 1-based line where the record starts (a record with quoted line breaks spans several lines).
  line: number;
}

export function* parseCsv(text: string, file: string): Generator<CsvRecord> {
  let pos = 0;
  let line = 1;
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

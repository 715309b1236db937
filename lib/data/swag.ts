// SWAG-style multiple choice (the swagaf CSV: video-id, fold-ind, startphrase, sent1, sent2, gold-source,
// ending0..ending3, label) and its features as run_swag builds them: for each of the four endings the pair
// (sent1, "<sent2> <ending>"), truncated longest-first to maxLength. Test files have no label column. Read with
// the streaming RFC 4180 reader (./csv-parser.ts); errors name the file and line.

import { DataFormatError, ValidationError } from '../errors';
import type { BertTokenizer } from '../tokenizer';
import { csvRecords } from './csv-parser';
import { readLines } from './line-reader';

export const SWAG_ENDINGS = 4;

export interface SwagExample {
  id: string;
  // run_swag's context (sent1) and question header (sent2, the start of the sentence the ending completes).
  context: string;
  questionHeader: string;
  endings: string[];
  // Index of the right ending; absent in test files.
  label?: number;
  source: string;
}

export interface SwagFeatures {
  // One row per ending.
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
  label?: number;
}

export async function* streamSwag(file: string, options: { maxRecordLength?: number } = {}): AsyncGenerator<SwagExample> {
  const limit = options.maxRecordLength ?? 1 << 20;
  let header: string[] | undefined;
  let positions: { context: number; header: number; endings: number[]; label: number; id: number } | undefined;
  let count = 0;
  for await (const records of csvRecords(readLines(file, { maxLineLength: limit }), file, limit)) {
    for (const { fields, line } of records) {
      if (header === undefined) {
        header = fields.map((name) => name.trim());
        const find = (name: string, required: boolean): number => {
          const index = header!.indexOf(name);
          if (index === -1 && required) {
            throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `no column '${name}' in the header [${header!.join(', ')}]`, { line });
          }
          return index;
        };
        positions = {
          context: find('sent1', true), header: find('sent2', true),
          endings: Array.from({ length: SWAG_ENDINGS }, (_, k) => find(`ending${k}`, true)),
          label: find('label', false), id: find('fold-ind', false),
        };
        continue;
      }
      if (fields.length === 1 && fields[0] === '') continue;
      if (fields.length !== header.length) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file, `${fields.length} fields where the header has ${header.length}`, { line });
      }
      const p = positions!;
      const example: SwagExample = {
        id: p.id === -1 ? `${line}` : fields[p.id],
        context: fields[p.context], questionHeader: fields[p.header], endings: p.endings.map((k) => fields[k]),
        source: `${file}:${line}`,
      };
      if (p.label !== -1 && fields[p.label].trim() !== '') {
        const label = Number(fields[p.label]);
        if (!Number.isInteger(label) || label < 0 || label >= SWAG_ENDINGS) {
          throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file, `label '${fields[p.label]}' is not an ending index 0..${SWAG_ENDINGS - 1}`, { line });
        }
        example.label = label;
      }
      count++;
      yield example;
    }
  }
  if (count === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file holds no examples');
}

export async function readSwag(file: string, options: { maxRecordLength?: number } = {}): Promise<SwagExample[]> {
  const examples: SwagExample[] = [];
  for await (const example of streamSwag(file, options)) examples.push(example);
  return examples;
}

// run_swag's preprocess_function for one example. maxLength: run_swag's max_seq_length (default the model's 512).
export function swagFeatures(tokenizer: BertTokenizer, example: SwagExample, options: { maxLength?: number } = {}): SwagFeatures {
  const maxLength = options.maxLength ?? 512;
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new ValidationError(`maxLength must be a positive integer, got ${maxLength}`);
  const features: SwagFeatures = { inputIds: [], tokenTypeIds: [], attentionMask: [] };
  for (const ending of example.endings) {
    const encoding = tokenizer.encode(example.context, `${example.questionHeader} ${ending}`, { maxLength, truncation: 'longest_first' });
    features.inputIds.push(encoding.inputIds);
    features.tokenTypeIds.push(encoding.tokenTypeIds);
    features.attentionMask.push(encoding.attentionMask);
  }
  if (example.label !== undefined) features.label = example.label;
  return features;
}

// One entry point for any supported source, chosen by what the path is: a folder is aclImdb, a .tar/.tar.gz/.tgz
// an aclImdb archive, .tsv/.csv/.jsonl/.ndjson the flat formats.

import { promises as fsp } from 'node:fs';
import { DataFormatError } from '../errors';
import { readImdbArchive, readImdbFolder, type ImdbOptions } from './imdb';
import { readCsv, readJsonl, readTsv, type CsvOptions, type JsonlOptions, type TsvOptions } from './text-formats';
import type { Example } from './types';

export type ReadExamplesOptions = ImdbOptions & TsvOptions & CsvOptions & JsonlOptions;

export async function readExamples(source: string, options: ReadExamplesOptions = {}): Promise<Example[]> {
  const stat = await fsp.stat(source).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new DataFormatError('ERR_BERTNODE_DATA_NOT_FOUND', source, 'no such file or directory', { cause: error });
    throw error;
  });
  if (stat.isDirectory()) return readImdbFolder(source, options);
  const lower = source.toLowerCase();
  if (/\.(tar|tar\.gz|tgz)$/.test(lower)) return readImdbArchive(source, options);
  if (lower.endsWith('.tsv')) return readTsv(source, options);
  if (lower.endsWith('.csv')) return readCsv(source, options);
  if (/\.(jsonl|ndjson)$/.test(lower)) return readJsonl(source, options);
  throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', source, 'unknown data format (expected a folder, .tar.gz, .tsv, .csv or .jsonl)');
}

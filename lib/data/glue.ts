// GLUE's TSV files as the original processors of transformers (data/processors/glue.py) read them: tab-separated
// with quoting off (the sentences hold bare quotes), a header on every file except CoLA's train/dev, the columns of
// each task at fixed positions, the label lists as those processors define them (STS-B: a float score), test files
// without labels. Files are streamed line by line (./line-reader.ts); every problem names the file and line.

import { DataFormatError, ValidationError } from '../errors';
import { readLines } from './line-reader';

export type GlueTask = 'cola' | 'sst2' | 'mrpc' | 'stsb' | 'qqp' | 'mnli' | 'qnli' | 'rte' | 'wnli';
export type GlueSplit = 'train' | 'dev' | 'test';

interface Columns {
  text: number;
  pair?: number;
  // Column of the label; -1 is the last column.
  label?: number;
}

export interface GlueLayout {
  // Class names in the order of the model's label ids, or null for a regression task (STS-B).
  labels: readonly string[] | null;
  // Whether train/dev files start with a header line (test files always do).
  header: boolean;
  columns: Columns;
  testColumns: Columns;
  // The example id the processors build: "<split>-<first column>" or "<split>-<index of the line>".
  guid: 'first-column' | 'index';
  // File names in a GLUE task folder: dev files (MNLI has a matched and a mismatched one) and test files.
  devFiles: readonly string[];
  testFiles: readonly string[];
}

const BINARY = ['0', '1'];
const ENTAILMENT = ['entailment', 'not_entailment'];
const PAIR_AT_1_2: Pick<GlueLayout, 'header' | 'columns' | 'testColumns' | 'guid' | 'devFiles' | 'testFiles'> = {
  header: true, columns: { text: 1, pair: 2, label: -1 }, testColumns: { text: 1, pair: 2 }, guid: 'first-column',
  devFiles: ['dev.tsv'], testFiles: ['test.tsv'],
};

export const GLUE_TASKS: Readonly<Record<GlueTask, GlueLayout>> = {
  cola: { labels: BINARY, header: false, columns: { text: 3, label: 1 }, testColumns: { text: 1 }, guid: 'index', devFiles: ['dev.tsv'], testFiles: ['test.tsv'] },
  sst2: { labels: BINARY, header: true, columns: { text: 0, label: 1 }, testColumns: { text: 1 }, guid: 'index', devFiles: ['dev.tsv'], testFiles: ['test.tsv'] },
  mrpc: { labels: BINARY, header: true, columns: { text: 3, pair: 4, label: 0 }, testColumns: { text: 3, pair: 4 }, guid: 'index', devFiles: ['dev.tsv'], testFiles: ['test.tsv'] },
  stsb: { labels: null, header: true, columns: { text: 7, pair: 8, label: -1 }, testColumns: { text: 7, pair: 8 }, guid: 'first-column', devFiles: ['dev.tsv'], testFiles: ['test.tsv'] },
  qqp: { labels: BINARY, header: true, columns: { text: 3, pair: 4, label: 5 }, testColumns: { text: 1, pair: 2 }, guid: 'first-column', devFiles: ['dev.tsv'], testFiles: ['test.tsv'] },
  mnli: {
    labels: ['contradiction', 'entailment', 'neutral'], header: true, columns: { text: 8, pair: 9, label: -1 },
    testColumns: { text: 8, pair: 9 }, guid: 'first-column', devFiles: ['dev_matched.tsv', 'dev_mismatched.tsv'],
    testFiles: ['test_matched.tsv', 'test_mismatched.tsv'],
  },
  qnli: { labels: ENTAILMENT, ...PAIR_AT_1_2 },
  rte: { labels: ENTAILMENT, ...PAIR_AT_1_2 },
  wnli: { labels: BINARY, ...PAIR_AT_1_2 },
};

export interface GlueExample {
  // As the processors' guid: "train-17", "dev_matched-3", ...
  id: string;
  text: string;
  textPair?: string;
  // Classification: index into GLUE_TASKS[task].labels. STS-B: the similarity score. Absent in test files.
  label?: number;
  // "<file>:<line>"
  source: string;
}

export interface GlueOptions {
  // Which kind of file this is (test files have other columns and no labels). Default 'train'.
  split?: GlueSplit;
  // The set name used in ids (default: the split; MNLI's processors use dev_matched / dev_mismatched).
  setName?: string;
  // The longest line in characters (default 1 Mi); a longer one is a typed error, not unbounded memory.
  maxLineLength?: number;
}

export function isGlueTask(name: string): name is GlueTask {
  return Object.prototype.hasOwnProperty.call(GLUE_TASKS, name);
}

// The examples of one GLUE file, one at a time.
export async function* streamGlue(file: string, task: GlueTask, options: GlueOptions = {}): AsyncGenerator<GlueExample> {
  if (!isGlueTask(task)) throw new ValidationError(`unknown GLUE task '${String(task)}' (one of ${Object.keys(GLUE_TASKS).join(', ')})`);
  const layout = GLUE_TASKS[task];
  const split = options.split ?? 'train';
  if (!['train', 'dev', 'test'].includes(split)) throw new ValidationError(`GLUE split must be train, dev or test, got '${String(split)}'`);
  const test = split === 'test';
  const columns = test ? layout.testColumns : layout.columns;
  const header = test || layout.header;
  const setName = options.setName ?? split;
  // CoLA's processor drops a test file's header before numbering lines; the others number it as line 0.
  const indexBase = task === 'cola' && test ? 2 : 1;
  const needed = Math.max(columns.text, columns.pair ?? 0, columns.label ?? 0) + 1;
  let count = 0;
  for await (const lines of readLines(file, { maxLineLength: options.maxLineLength ?? 1 << 20 })) {
    for (const { text: raw, line, terminated } of lines) {
      if (header && line === 1) continue;
      const text = terminated && raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (text === '') continue;
      const fields = text.split('\t');
      if (fields.length < needed) {
        throw new DataFormatError('ERR_BERTNODE_DATA_PARSE', file,
          `${fields.length} tab-separated columns, GLUE ${task}${test ? ' test' : ''} files have at least ${needed}`, { line });
      }
      const example: GlueExample = {
        id: `${setName}-${layout.guid === 'index' ? line - indexBase : fields[0]}`,
        text: fields[columns.text],
        source: `${file}:${line}`,
      };
      if (columns.pair !== undefined) example.textPair = fields[columns.pair];
      if (columns.label !== undefined) example.label = parseLabel(fields.at(columns.label)!, layout.labels, task, file, line);
      count++;
      yield example;
    }
  }
  if (count === 0) throw new DataFormatError('ERR_BERTNODE_DATA_EMPTY', file, 'the file holds no examples');
}

export async function readGlue(file: string, task: GlueTask, options: GlueOptions = {}): Promise<GlueExample[]> {
  const examples: GlueExample[] = [];
  for await (const example of streamGlue(file, task, options)) examples.push(example);
  return examples;
}

// A class label must be one of the task's names exactly, as the processors' label maps require; STS-B's score
// must be a finite number.
function parseLabel(raw: string, labels: readonly string[] | null, task: GlueTask, file: string, line: number): number {
  if (labels === null) {
    const score = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(score)) {
      throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file, `GLUE ${task} score '${raw}' is not a number`, { line });
    }
    return score;
  }
  const index = labels.indexOf(raw);
  if (index === -1) throw new DataFormatError('ERR_BERTNODE_DATA_LABEL', file, `label '${raw}' is not one of GLUE ${task}'s labels [${labels.join(', ')}]`, { line });
  return index;
}

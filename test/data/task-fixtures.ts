// Paths and loading of the task-data fixtures written by scripts/golden/generate_task_data_cases.py.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BertTokenizer } from '../../lib/tokenizer';

export const TASKDATA = path.join(__dirname, '..', 'fixtures', 'taskdata');

export function taskFixture<T>(name: string): T {
  return JSON.parse(readFileSync(path.join(TASKDATA, name), 'utf8')) as T;
}

// The tokenizer the generator used: bert-base-uncased's tokenizer.json.
export function fixtureTokenizer(): BertTokenizer {
  return BertTokenizer.fromTokenizerJson(path.join(__dirname, '..', 'fixtures', 'tokenizer', 'tokenizer.json'));
}

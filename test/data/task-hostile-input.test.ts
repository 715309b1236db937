// Damaged or hostile files give the task readers typed errors (BertnodeError with file and, where there is one, the
// line), never another exception or a hang: seeded random damage to the fixtures and random bytes, through every
// reader.
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { mulberry32, readConll, readGlue, readSquad, readSwag, readTaggedJsonl, streamTextLines, type Random } from '../../lib/data';
import { BertnodeError, DataError } from '../../lib/errors';
import { tempDir } from './helpers/imdb-fixture';
import { TASKDATA } from './task-fixtures';

async function drain(items: AsyncIterable<unknown>): Promise<void> {
  for await (const item of items) void item;
}

const READERS: Array<[string, string, (file: string) => Promise<unknown>]> = [
  ['glue', 'glue/mnli/train.tsv', (f) => readGlue(f, 'mnli')],
  ['conll', 'ner/train.conll', (f) => readConll(f, { scheme: 'IOB2' })],
  ['jsonl', 'ner/train.jsonl', (f) => readTaggedJsonl(f)],
  ['squad', 'squad/dev-v2.0.json', (f) => readSquad(f)],
  ['swag', 'swag/train.csv', (f) => readSwag(f)],
  ['text', 'mlm/train.txt', (f) => drain(streamTextLines(f))],
];

// One of: cut the file short, overwrite a run of bytes with random ones, insert structural characters, duplicate a
// slice; applied 1-3 times.
function damage(bytes: Buffer, random: Random): Buffer {
  let out = Buffer.from(bytes);
  const rounds = 1 + Math.floor(random() * 3);
  for (let r = 0; r < rounds; r++) {
    const at = Math.floor(random() * out.length);
    const kind = Math.floor(random() * 4);
    if (kind === 0) out = out.subarray(0, at);
    else if (kind === 1) for (let k = at; k < Math.min(out.length, at + 8); k++) out[k] = Math.floor(random() * 256);
    else if (kind === 2) out = Buffer.concat([out.subarray(0, at), Buffer.from(['"', '\t', '\n', '{', ']', ',', '\r', '\u2028'][Math.floor(random() * 8)]), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(Math.floor(random() * out.length)), out.subarray(at)]);
  }
  return out;
}

test.each(READERS)('%s: 150 damaged copies and random bytes give results or typed errors naming the file', async (_name, fixture, read) => {
  const original = readFileSync(path.join(TASKDATA, fixture));
  const random = mulberry32(1234);
  const dir = tempDir();
  let errors = 0;
  for (let i = 0; i < 160; i++) {
    const target = path.join(dir, `case-${i}`);
    const bytes = i < 150 ? damage(original, random) : Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256)));
    writeFileSync(target, bytes);
    const outcome = await read(target).then(() => null, (error: unknown) => error);
    if (outcome === null) continue;
    errors++;
    expect(outcome).toBeInstanceOf(BertnodeError);
    if (outcome instanceof DataError) expect(outcome.file).toBe(target);
  }
  // The damage must actually break files, or the test proves nothing.
  expect(errors).toBeGreaterThan(10);
});

// Inputs the fuzzer once crashed a parser with (scripts/fuzz: an error that was not a bertnode error, a hang or a
// memory overrun), kept in test/fuzz/regressions/<target>-<id> and replayed through the same target: each must now
// end in a result or a typed bertnode error.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BertnodeError } from '../../lib/errors';
const { targetForFile } = require('../../scripts/fuzz/targets.js') as { targetForFile: (file: string) => { run: (file: string, work: string) => unknown } | undefined };

const DIR = path.join(__dirname, 'regressions');
const inputs = fs.readdirSync(DIR).sort();

test.each(inputs)('%s', async (input) => {
  const target = targetForFile(input);
  expect(target).toBeDefined();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-fuzz-regression-'));
  try {
    await target!.run(path.join(DIR, input), work);
  } catch (e) {
    expect(e).toBeInstanceOf(BertnodeError);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});

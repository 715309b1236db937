// The task readers that stream (GLUE TSV, CoNLL, raw text) read files far larger than the memory they may use:
// each runs over a ~120 MB file in a fresh node process (the jest worker's RSS moves with earlier test files) and
// its peak RSS growth must stay under 64 MB, about half the file (the flat formats' streaming test measured 22-30 MB
// of short-lived strings piling up between collections for the same line reader).
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MEASURE = `
require(${JSON.stringify(path.join(__dirname, '..', 'ts-register.js'))});
const data = require(process.argv[1]);
const [reader, file] = process.argv.slice(2);
const streams = {
  glue: () => data.streamGlue(file, 'mnli'),
  conll: () => data.streamConll(file),
  text: () => data.streamTextLines(file),
};
(async () => {
  const before = process.memoryUsage().rss;
  let peak = before, count = 0;
  for await (const item of streams[reader]()) {
    count++;
    if ((count & 1023) === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  console.log(JSON.stringify({ count, growth: peak - before }));
})();`;

// [reader, header, one ~1 KB record, records per record string]
const CASES: Array<[string, string, string, number]> = [
  ['glue', `${'h\t'.repeat(11)}h\n`, `7\t1\t2\tfiction\t(b)\t(b)\t(p)\t(p)\t${'The "new" rights are nice enough '.repeat(14)}\t${'Everyone really likes them '.repeat(12)}\tneutral\tneutral\n`, 1],
  ['conll', '-DOCSTART- -X- -X- O\n\n', `${'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\nGerman JJ B-NP B-MISC\ncall NN I-NP O\n'.repeat(10)}\n`, 1],
  ['text', '', `${'a line of raw text for masked language modelling, '.repeat(20)}\n`, 1],
];

test.each(CASES)('%s: a 120 MB file streams with peak RSS growth far below its size', (reader, header, record, perRecord) => {
  const target = path.join(os.tmpdir(), `bertnode-task-${reader}-${process.pid}`);
  const block = Buffer.from(record.repeat(1024));
  const blocks = Math.ceil((120 * 2 ** 20) / block.length);
  const fd = openSync(target, 'w');
  try {
    writeSync(fd, header);
    for (let i = 0; i < blocks; i++) writeSync(fd, block);
  } finally {
    closeSync(fd);
  }
  try {
    const dataModule = path.resolve(__dirname, '..', '..', 'lib', 'data', 'index.ts');
    const run = spawnSync(process.execPath, ['-e', MEASURE, dataModule, reader, target], { encoding: 'utf8', timeout: 100000 });
    expect(run.stderr).toBe('');
    const result = JSON.parse(run.stdout) as { count: number; growth: number };
    expect(result.count).toBe(blocks * 1024 * perRecord);
    expect(result.growth).toBeLessThan(64 * 2 ** 20);
  } finally {
    rmSync(target, { force: true });
  }
}, 120000);

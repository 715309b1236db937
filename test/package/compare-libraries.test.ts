// scripts/compare-libraries.js, whose figures the README quotes, runs and finds the hand-written tar reader and CSV
// parser reading the same files and the same records as tar-stream and csv-parse (it throws when they disagree).
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

test('the comparison runs (quick size) and every line has both sides measured', () => {
  const out = execFileSync(process.execPath, ['-r', path.join(ROOT, 'test', 'ts-register.js'),
    path.join(ROOT, 'scripts', 'compare-libraries.js'), '--quick', '--source'], { encoding: 'utf8', timeout: 120_000 });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.map((l) => l.what)).toEqual(['tar.gz read (MB of review text per s)', 'CSV parse (MB per s)', 'footprint']);
  expect(lines[0]).toMatchObject({ files: 2000, peer_name: 'tar-stream' });
  expect(lines[1]).toMatchObject({ records: 2000, peer_name: 'csv-parse' });
  for (const l of lines.slice(0, 2)) expect(l.ours > 0 && l.peer > 0).toBe(true);
  expect(lines[2].tar_stream.packages).toBeGreaterThan(1);
}, 120_000);

// `npm run fuzz` in miniature, so that `npm test` fuzzes every parser a little on every run: each target for a few
// seconds must parse all of its seeds and end every mutated input in a result or a typed bertnode error, within the
// harness's memory and time bounds. Then the harness itself is checked against targets that fail on purpose.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const FUZZ_DIR = path.join(__dirname, '..', '..', 'scripts', 'fuzz');
const FUZZ = path.join(FUZZ_DIR, 'fuzz.js');
const ALL_TARGETS = ['safetensors', 'safetensors-index', 'pytorch-bin', 'pickle', 'config', 'tokenizer-json', 'vocab-txt', 'tokenizer-config', 'tar', 'imdb-archive', 'tsv', 'csv',
  'jsonl', 'checkpoint', 'checkpoint-raw', 'checkpoint-latest'];

interface TargetResult {
  target: string;
  inputs: number;
  crashes: { kind: string; signature: string; file?: string }[];
  seedFailures: string[];
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-fuzz-smoke-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function fuzz(args: string[], env: Record<string, string> = {}): { status: number | null; output: string; results: TargetResult[] } {
  const json = path.join(tmp, `run-${Date.now()}.json`);
  const run = spawnSync(process.execPath, [FUZZ, ...args, '--json', json, '--crashes', path.join(tmp, 'crashes')],
    { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 170_000 });
  const results = fs.existsSync(json) ? (JSON.parse(fs.readFileSync(json, 'utf8')) as { results: TargetResult[] }).results : [];
  return { status: run.status, output: `${run.stdout}${run.stderr}`, results };
}

test('every parser target survives a short fuzzing run', () => {
  // A new seed each run, so that CI keeps exploring; a failure names it (replay: npm run fuzz -- --seed N --targets T).
  const seed = Date.now() % 100000;
  const { status, output, results } = fuzz(['--seconds', '2', '--jobs', '3', '--seed', String(seed)]);
  expect(results.map((r) => r.target)).toEqual(ALL_TARGETS);
  for (const r of results) {
    expect({ seed, target: r.target, crashes: r.crashes, seedFailures: r.seedFailures }).toEqual({ seed, target: r.target, crashes: [], seedFailures: [] });
    expect(r.inputs).toBeGreaterThan(0);
  }
  expect(status).toBe(0);
  expect(output).not.toMatch(/FAILED/);
}, 180_000);

test('the harness reports an untyped error, a hang and a memory overrun, keeping each input; typed errors pass', () => {
  const extra = path.join(__dirname, 'broken-targets.js');
  const { status, results } = fuzz(['--seconds', '2', '--jobs', '2', '--input-timeout', '5', '--rss-mib', '400',
    '--targets', 'broken-untyped,broken-typed,broken-hang,broken-memory'], { BERTNODE_FUZZ_EXTRA_TARGETS: extra });
  const byTarget = new Map(results.map((r) => [r.target, r]));
  const kinds = Object.fromEntries(results.map((r) => [r.target, r.crashes.map((c) => c.kind)]));
  expect({ status, kinds }).toEqual({
    status: 1,
    kinds: { 'broken-untyped': ['untyped'], 'broken-typed': [], 'broken-hang': ['hang'], 'broken-memory': [expect.stringMatching(/^(rss|died)$/)] },
  });
  expect(byTarget.get('broken-untyped')!.crashes[0].signature).toMatch(/^TypeError: not a bertnode error/);
  for (const name of ['broken-untyped', 'broken-hang', 'broken-memory']) {
    const { file } = byTarget.get(name)!.crashes[0];
    expect(fs.existsSync(file!)).toBe(true);
    expect(fs.readFileSync(`${file}.txt`, 'utf8')).not.toBe('');
  }
}, 120_000);

test('the committed seed corpus is exactly what make-seeds.js writes', () => {
  const out = path.join(tmp, 'seeds');
  const run = spawnSync(process.execPath, [path.join(FUZZ_DIR, 'make-seeds.js'), out], { encoding: 'utf8' });
  expect(run.status).toBe(0);
  const files = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
  const committed = path.join(FUZZ_DIR, 'seeds');
  expect(files(out)).toEqual(files(committed));
  for (const f of files(committed)) expect([f, fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(committed, f)))]).toEqual([f, true]);
});

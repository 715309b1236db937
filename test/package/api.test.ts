// The public API: the root exports exactly the names the README's "API" section lists, and the API reference
// (TypeDoc, `npm run docs`) builds from the JSDoc with no warning: every type a public signature uses is reachable.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bertnode from '../../lib';

const ROOT = path.resolve(__dirname, '..', '..');

test('the root exports the names the README documents, and no others', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n### API\n'), readme.indexOf('\n## ', readme.indexOf('\n### API\n')));
  const documented = new Set([...section.matchAll(/^- `(\w+)`/gm)].map((m) => m[1]));
  // Error classes are listed as one group: every class the errors module exports is documented by the error table.
  const errors = Object.keys(bertnode).filter((k) => k.endsWith('Error'));
  expect(section).toContain('every error class');
  expect(Object.keys(bertnode).filter((k) => !k.endsWith('Error')).sort()).toEqual([...documented].sort());
  expect(errors.length).toBeGreaterThan(5);
});

test('npm run docs: TypeDoc builds the API reference with warnings treated as errors', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-docs-'));
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out, '--treatWarningsAsErrors'],
      { cwd: ROOT, stdio: 'pipe' });
    const classifier = fs.readFileSync(path.join(out, 'classes', 'BertClassifier.html'), 'utf8');
    expect(classifier).toContain('exportOnnx');
    expect(fs.existsSync(path.join(out, 'classes', 'TokenizerPool.html'))).toBe(true);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120_000);

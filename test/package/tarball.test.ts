// The package as a user gets it: `npm pack`, then `npm install <tarball>` into a fresh project on a PATH with only
// node, npm and sh (no compiler, make or python), then CommonJS, ES module, strict TypeScript and the `bertnode`
// command line against the installed copy. The tarball is packed from a staging copy of exactly the package's
// `files` (dist/ compiled there, the prebuild laid out there by the prepack script), so the repository's own dist/
// and prebuilds/ are never rewritten under other tests. npm resolves the dependencies from its cache first
// (--prefer-offline; the repository's `npm install` filled it), and nothing else is downloaded: no Node headers, no
// compiler, no binary.
import { execFileSync, spawnSync, SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BertClassifier } from '../../lib';
import { writeTinyModel } from '../classifier/tiny-model';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
let tmp: string;
let tarball: string;
let bareBin: string;
let modelDir: string;

// Runs `command` with PATH = bareBin only: whatever it needs beyond node, npm, npx and sh is missing.
function bare(command: string, args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, {
    cwd, encoding: 'utf8', timeout: 120_000,
    env: { HOME: os.homedir(), PATH: bareBin, npm_config_cache: npmCache(), npm_config_update_notifier: 'false', ...env },
  });
}

function npmCache(): string {
  return execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
}

function ok(result: SpawnSyncReturns<string>): string {
  if (result.status !== 0) throw new Error(`exit ${result.status}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function stagePackage(stage: string): void {
  for (const entry of [...pkg.files, 'package.json', 'README.md', 'scripts/prebuild.js']) {
    if (entry === 'dist' || entry === 'prebuilds') continue;
    fs.cpSync(path.join(ROOT, entry), path.join(stage, entry), { recursive: true });
  }
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'),
    '--outDir', path.join(stage, 'dist')], { stdio: 'pipe' });
  // The prepack step of a release, on the addon this checkout built (npm install / npm run build).
  fs.mkdirSync(path.join(stage, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'build', 'Release', 'bertnode.node'), path.join(stage, 'build', 'Release', 'bertnode.node'));
  execFileSync(process.execPath, [path.join(stage, 'scripts', 'prebuild.js')], { stdio: 'pipe' });
}

function freshProject(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
  return dir;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-package-'));
  bareBin = path.join(tmp, 'bin');
  fs.mkdirSync(bareBin);
  const npmCli = fs.realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  fs.symlinkSync(process.execPath, path.join(bareBin, 'node'));
  fs.symlinkSync(npmCli, path.join(bareBin, 'npm'));
  fs.symlinkSync(path.join(path.dirname(npmCli), 'npx-cli.js'), path.join(bareBin, 'npx'));
  fs.symlinkSync('/bin/sh', path.join(bareBin, 'sh'));

  const stage = path.join(tmp, 'stage');
  stagePackage(stage);
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp],
    { cwd: stage, encoding: 'utf8' }));
  tarball = path.join(tmp, packed[0].filename);
  modelDir = path.join(tmp, 'tiny-model');
  await writeTinyModel(modelDir);
}, 300_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('a release packs its prebuild: prepack runs scripts/prebuild.js', () => {
  expect(pkg.scripts.prepack).toBe('node scripts/prebuild.js');
  const listing = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  expect(listing).toContain(`package/prebuilds/${process.platform}-${process.arch}/bertnode.napi.glibc.node`);
  expect(listing).toEqual(expect.arrayContaining(['package/LICENSE', 'package/bin/bertnode.js', 'package/esm/index.mjs',
    'package/dist/index.d.ts']));
  expect(listing.some((f) => f.startsWith('package/test/') || f.startsWith('package/build/'))).toBe(false);
});

describe('installed from the tarball without a compiler', () => {
  let project: string;
  beforeAll(() => {
    project = freshProject('consumer');
    ok(bare('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], project));
  }, 240_000);

  test('the PATH really has no compiler, make or python', () => {
    const found = bare('sh', ['-c', 'command -v g++ gcc cc c++ make cmake python3 python'], project);
    expect(found.stdout).toBe('');
  });

  test('CommonJS: the prebuild loads and predicts what this checkout predicts', async () => {
    const script = `const { BertClassifier } = require('bertnode');
      (async () => {
        const clf = await BertClassifier.fromPretrained(process.argv[2], { device: 'cpu', seed: 7 });
        console.log(JSON.stringify(await clf.predict(['A great film.', 'Dull and boring.'])));
        clf.dispose();
      })();`;
    fs.writeFileSync(path.join(project, 'predict.cjs'), script);
    const predictions = JSON.parse(ok(bare('node', ['predict.cjs', modelDir], project)).trim().split('\n').pop()!);
    const here = await BertClassifier.fromPretrained(modelDir, { device: 'cpu', seed: 7 });
    try {
      expect(predictions).toEqual(await here.predict(['A great film.', 'Dull and boring.']));
    } finally {
      here.dispose();
    }
    expect(fs.existsSync(path.join(project, 'node_modules', 'bertnode', 'build'))).toBe(false);
    expect(fs.existsSync(path.join(project, 'node_modules', 'bertnode', 'LICENSE'))).toBe(true);
  });

  test('ES module: every CommonJS export is importable by name, from one shared module instance', () => {
    fs.writeFileSync(path.join(project, 'names.mjs'), `import * as esm from 'bertnode';
      import { createRequire } from 'node:module';
      const cjs = createRequire(import.meta.url)('bertnode');
      const missing = Object.keys(cjs).filter((k) => !(k in esm));
      console.log(JSON.stringify({ missing, same: esm.default === cjs && esm.BertClassifier === cjs.BertClassifier,
        pool: typeof esm.TokenizerPool }));`);
    expect(JSON.parse(ok(bare('node', ['names.mjs'], project)))).toEqual({ missing: [], same: true, pool: 'function' });
  });

  test('strict TypeScript type-checks a consumer against the packed .d.ts, with no @types/node of its own', () => {
    const consumer = `import { BertClassifier, TokenizerPool, type Prediction, type ClassifierOptions } from 'bertnode';
      export async function run(dir: string): Promise<string> {
        const options: ClassifierOptions = { maxLength: 64, device: 'cpu' };
        const clf = await BertClassifier.fromPretrained(dir, options);
        const predictions: Prediction[] = await clf.predict(['A great film.']);
        // @ts-expect-error predict takes texts, not a number: fails to compile if the types were \`any\`
        await clf.predict(42);
        clf.dispose();
        const pool: typeof TokenizerPool = TokenizerPool;
        return predictions[0].label + pool.name;
      }\n`;
    fs.writeFileSync(path.join(project, 'consumer.ts'), consumer);
    fs.writeFileSync(path.join(project, 'consumer.mts'), consumer);
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, module: 'node16', moduleResolution: 'node16',
        target: 'es2022', types: [] },
      files: ['consumer.ts', 'consumer.mts'],
    }));
    const consumerPackage = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8'));
    expect(Object.keys(consumerPackage.dependencies)).toEqual(['bertnode']);
    ok(bare('node', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], project));
  });

  test('npx bertnode lists its commands and runs finetune-imdb', () => {
    expect(ok(bare('npx', ['--offline', 'bertnode', '--help'], project))).toContain('finetune-imdb');
    expect(ok(bare('npx', ['--offline', 'bertnode', 'finetune-imdb', '--help'], project))).toContain('--limit');
    expect(ok(bare('npx', ['--offline', 'bertnode', 'finetune-ner', '--help'], project))).toContain('--train');
    const unknown = bare('npx', ['--offline', 'bertnode', 'finetune-imbd'], project);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'finetune-imbd'");
  });
});

test('installed with --ignore-scripts where no prebuild fits: the error says `npm rebuild bertnode`', () => {
  const project = freshProject('no-scripts');
  ok(bare('npm', ['install', tarball, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], project));
  fs.writeFileSync(path.join(project, 'load.cjs'), `require('bertnode').BertClassifier.fromPretrained(process.argv[2], { device: 'cpu' })
    .then(() => console.log('loaded'), (e) => console.log(JSON.stringify({ code: e.code, message: e.message })));`);
  // node-gyp-build reads LIBC: a musl machine finds no prebuild that fits (the one shipped is glibc).
  const result = JSON.parse(ok(bare('node', ['load.cjs', modelDir], project, { LIBC: 'musl' })));
  expect(result.code).toBe('ERR_BERTNODE_ADDON_MISSING');
  expect(result.message).toContain('npm rebuild bertnode');
  // And `npm rebuild bertnode` there tries to compile, and says what it needs when there is no compiler.
  const rebuild = bare('npm', ['rebuild', 'bertnode', '--foreground-scripts'], project, { LIBC: 'musl' });
  expect(rebuild.status).not.toBe(0);
  expect(rebuild.stderr + rebuild.stdout).toContain('install a C++17 compiler and CMake');
}, 120_000);

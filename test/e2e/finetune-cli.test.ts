// The whole product with no network: `node scripts/finetune-imdb.js` downloads a tiny random BERT and an
// aclImdb-shaped archive from a local server in the hub's layout, trains, reports and saves; the saved model
// reloads with identical results; kill -9 mid-training then --resume ends with the same parameters (and a resume with
// another numeric flag is refused).
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BertClassifier, readImdbArchive } from '../../lib';
import { MODEL_ID, Site, startSite } from './site';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'scripts', 'finetune-imdb.js');

// The CLI imports ../dist; rebuild it when a source under lib/ is newer (npm install builds it in CI).
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0);
  }
  return newest;
}

let tmp: string;
let site: Site;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  const built = path.join(ROOT, 'dist', 'index.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestMtime(path.join(ROOT, 'lib'))) {
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'pipe' });
    } catch (e) {
      // tsc still emits JavaScript when it reports type errors; the CLI runs below will tell whether it works.
      console.warn(`tsc reported errors while rebuilding dist/: ${String((e as { stdout?: Buffer }).stdout ?? e).slice(0, 2000)}`);
    }
  }
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-e2e-'));
  site = await startSite(tmp);
  env = {
    ...process.env,
    BERTNODE_HF_ENDPOINT: site.url,
    BERTNODE_CACHE: path.join(tmp, 'cache'),
    BERTNODE_IMDB_URL: `${site.url}/datasets/aclImdb_v1.tar.gz`,
  };
  // Nothing from the developer's environment may send the run elsewhere or authenticate it.
  for (const k of ['HF_TOKEN', 'HF_ENDPOINT', 'BERTNODE_OFFLINE', 'HF_HUB_OFFLINE']) delete env[k];
}, 120000);
afterAll(async () => {
  await site?.close();
  await fsp.rm(tmp, { recursive: true, force: true });
});

// Small model, learnable signal: a full fine-tune at a high constant learning rate learns it in a few epochs.
const TRAIN_FLAGS = ['--model', MODEL_ID, '--max-length', '64', '--batch-size', '16', '--lr', '1e-2', '--schedule', 'constant',
  '--trainable-layers', 'all', '--device', 'cpu', '--no-progress'];

interface Run { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function runCli(args: string[], onStdout?: (text: string, child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => {
      stdout += b.toString();
      onStdout?.(stdout, child);
    });
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const accuracy = (out: string, which: string) => Number(new RegExp(`${which} accuracy: ([0-9.]+)`).exec(out)?.[1]);

test('--help lists every flag', async () => {
  const r = await runCli(['--help']);
  expect(r.code).toBe(0);
  for (const flag of ['--model', '--data', '--test-data', '--epochs', '--max-length', '--batch-size', '--lr', '--trainable-layers',
    '--device', '--output', '--resume', '--limit', '--seed']) {
    expect(r.stdout).toContain(flag);
  }
  const bad = await runCli(['--epochs', 'two']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--epochs must be an integer');
});

test('downloads, trains above chance, prints validation and test accuracy, writes model and reports; the model reloads', async () => {
  const out = path.join(tmp, 'run');
  const r = await runCli([...TRAIN_FLAGS, '--epochs', '4', '--output', out, '--explain', '3']);
  if (r.code !== 0) throw new Error(`CLI failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  expect(site.requests).toEqual(expect.arrayContaining([`GET /${MODEL_ID}/resolve/main/config.json`, 'GET /datasets/aclImdb_v1.tar.gz']));
  expect(r.stdout).toMatch(/data: 320 training, 80 validation, 120 test reviews/);
  expect(r.stdout).toMatch(/step 1\/80 loss/);
  expect(accuracy(r.stdout, 'validation')).toBeGreaterThan(0.8); // chance is 0.5
  expect(accuracy(r.stdout, 'test')).toBeGreaterThan(0.8);
  for (const f of ['model/config.json', 'model/model.safetensors', 'model/vocab.txt', 'attention-report.html', 'run-report.html', 'metrics.json']) {
    expect(existsSync(path.join(out, f))).toBe(true);
  }
  const report = await fsp.readFile(path.join(out, 'attention-report.html'), 'utf8');
  expect((report.match(/<h2>Text \d+<\/h2>/g) ?? []).length).toBe(3);
  expect(await fsp.readFile(path.join(out, 'run-report.html'), 'utf8')).toContain('<svg');

  // The saved model, reloaded here, scores the test set exactly as the CLI's in-memory model did.
  const metrics = JSON.parse(await fsp.readFile(path.join(out, 'metrics.json'), 'utf8'));
  const archive = path.join(tmp, 'test-archive.tar.gz');
  await fsp.writeFile(archive, Buffer.from(await (await fetch(`${site.url}/datasets/aclImdb_v1.tar.gz`)).arrayBuffer()));
  const test = (await readImdbArchive(archive, { splits: ['test'], clean: true }));
  await using clf = await BertClassifier.fromPretrained(path.join(out, 'model'), { device: 'cpu', maxLength: 64, batchSize: 16 });
  const again = await clf.evaluate(test);
  expect(again.confusionMatrix).toEqual(metrics.results.test.confusionMatrix);
  expect(again.loss).toBe(metrics.results.test.loss);
}, 120000);

test('a train-only archive with the test reviews given separately (--test-data)', async () => {
  const testArchive = path.join(tmp, 'full-archive.tar.gz');
  await fsp.writeFile(testArchive, Buffer.from(await (await fetch(`${site.url}/datasets/aclImdb_v1.tar.gz`)).arrayBuffer()));
  const r = await runCli([...TRAIN_FLAGS, '--data-url', `${site.url}/datasets/aclImdb-train.tar.gz`, '--test-data', testArchive,
    '--max-steps', '2', '--output', path.join(tmp, 'separate-test'), '--explain', '0', '--export-onnx']);
  if (r.code !== 0) throw new Error(`CLI failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toMatch(/data: 320 training, 80 validation, 120 test reviews/);
  // --export-onnx: the ONNX files beside the saved model (their numbers are test/onnx's).
  for (const f of ['model.onnx', 'model_quantized.onnx']) {
    expect(existsSync(path.join(tmp, 'separate-test', 'model', 'onnx', f))).toBe(true);
  }
  expect(r.stdout).not.toContain('has no test/ split');
  expect(r.stdout).toMatch(/test accuracy: [0-9.]+ \(F1 [0-9.]+, 120 reviews\)/);
}, 60000);

test('a train-only archive: says there is no test split and evaluates on validation; kill -9 then --resume gives the same parameters', async () => {
  const flags = [...TRAIN_FLAGS, '--data-url', `${site.url}/datasets/aclImdb-train.tar.gz`, '--max-steps', '30', '--checkpoint-every', '4', '--explain', '1'];
  const reference = path.join(tmp, 'uninterrupted');
  const ref = await runCli([...flags, '--output', reference]);
  if (ref.code !== 0) throw new Error(`CLI failed (${ref.code}):\n${ref.stdout}\n${ref.stderr}`);
  expect(ref.stdout).toContain('has no test/ split');
  expect(ref.stdout).toContain('test accuracy: not measured');

  const interrupted = path.join(tmp, 'interrupted');
  let killed = false;
  const first = await runCli([...flags, '--output', interrupted], (text, child) => {
    if (!killed && /step 1[3-9]\/30/.test(text)) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  expect(first.signal).toBe('SIGKILL');
  expect(existsSync(path.join(interrupted, 'checkpoints', 'latest.json'))).toBe(true);
  // A flag that changes the numbers is refused on resume, naming it with both values, before any step is taken.
  const changed = await runCli([...flags, '--weight-decay', '0', '--output', interrupted, '--resume']);
  expect(changed.code).toBe(1);
  expect(changed.stderr).toMatch(/\[ERR_BERTNODE_CHECKPOINT_MISMATCH\] --resume refused: --weight-decay was 0\.01 in the interrupted run, now 0/);
  expect(changed.stdout).not.toMatch(/step \d+\/30 loss/);
  // The refusal names the flag the user typed, not the library's setting name.
  const shorter = await runCli([...flags, '--max-length', '32', '--output', interrupted, '--resume']); // the last value counts
  expect(shorter.code).toBe(1);
  expect(shorter.stderr).toMatch(/--resume refused: --max-length was 64 in the interrupted run, now 32/);
  expect(shorter.stderr).not.toMatch(/paddedLength|examplesSha256/);
  const resumed = await runCli([...flags, '--output', interrupted, '--resume']);
  if (resumed.code !== 0) throw new Error(`resume failed (${resumed.code}):\n${resumed.stdout}\n${resumed.stderr}`);
  expect(resumed.stdout).not.toMatch(/step 1\/30 loss/); // it did not start over
  const [a, b] = await Promise.all([reference, interrupted].map((d) => fsp.readFile(path.join(d, 'model', 'model.safetensors'))));
  expect(Buffer.compare(a, b)).toBe(0);
  const [ma, mb] = await Promise.all([reference, interrupted].map(async (d) => JSON.parse(await fsp.readFile(path.join(d, 'metrics.json'), 'utf8'))));
  expect(mb.history.steps).toHaveLength(30);
  expect(mb).toEqual(ma); // every step's loss, every evaluation, the final metrics: bit for bit

  // Ctrl-C: the step in flight finishes, a checkpoint is written, exit 130; --resume then ends identically.
  const stoppedDir = path.join(tmp, 'ctrl-c');
  let interruptedAt = 0;
  const stopped = await runCli([...flags, '--output', stoppedDir], (text, child) => {
    if (!interruptedAt && /step 9\/30/.test(text)) {
      interruptedAt = 9;
      child.kill('SIGINT');
    }
  });
  expect(stopped.code).toBe(130);
  expect(stopped.stdout).toMatch(/stopped at step \d+\/30; checkpoint in/);
  const afterStop = await runCli([...flags, '--output', stoppedDir, '--resume']);
  expect(afterStop.code).toBe(0);
  const c = await fsp.readFile(path.join(stoppedDir, 'model', 'model.safetensors'));
  expect(Buffer.compare(a, c)).toBe(0);
}, 120000);

test('--limit: seeded samples keeping the class shares (said per set); --device auto falls back quietly; --output with checkpoints needs --resume or --overwrite', async () => {
  const out = path.join(tmp, 'limited');
  const flags = [...TRAIN_FLAGS.filter((f) => f !== 'cpu' && f !== '--device'), '--device', 'auto', '--limit', '40', '--max-steps', '2',
    '--checkpoint-every', '1', '--explain', '0', '--output', out];
  const r = await runCli(flags);
  if (r.code !== 0) throw new Error(`CLI failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toMatch(/data: 40 training, 10 validation, 10 test reviews \(limited: seeded samples keeping the class shares\)/);
  expect(r.stdout).toMatch(/ {2}training: neg 20, pos 20/);
  expect(r.stdout).toMatch(/ {2}test: neg 5, pos 5/); // the first 10 test reviews would all be negative
  expect(r.stdout).not.toContain('note: the');
  expect(r.stderr).not.toMatch(/CUDA|BERTNODE_CUDA_FALLBACK/);
  expect(r.stderr).toContain('[BERTNODE_CLS_HEAD]'); // saved with the classic head: the card says how transformers matches it
  expect(await fsp.readFile(path.join(out, 'model', 'README.md'), 'utf8')).toContain('model.classifier(model.bert(**enc).last_hidden_state[:, 0])');

  const again = await runCli(flags);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/holds another run's checkpoints .*--resume .*--overwrite/);
  const over = await runCli([...flags, '--overwrite']);
  if (over.code !== 0) throw new Error(`CLI failed (${over.code}):\n${over.stdout}\n${over.stderr}`);
  expect(over.stdout).toMatch(/step 1\/2 loss/); // started over

  const swapped = await runCli([...flags, '--labels', 'pos,neg', '--overwrite', '--max-steps', '1']);
  if (swapped.code !== 0) throw new Error(`CLI failed (${swapped.code}):\n${swapped.stdout}\n${swapped.stderr}`);
  expect(swapped.stdout).toMatch(/ {2}training: pos 20, neg 20/);
  const threeClasses = await runCli([...flags, '--labels', 'a,b,c', '--overwrite']);
  expect(threeClasses.code).toBe(1);
  expect(threeClasses.stderr).toMatch(/ERR_BERTNODE_LABEL_MISMATCH.*\[neg, pos\].*\[a, b, c\]/);
}, 120000);

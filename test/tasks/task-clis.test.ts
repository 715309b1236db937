// The task CLIs end to end with no network: a tiny random BERT folder and generated files with a learnable signal;
// each CLI trains, writes metrics.json under Hugging Face's names with above-chance validation metrics, and the
// model it saved reloads and evaluates to exactly those metrics.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, promises as fsp, readdirSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { BertMaskedLM, BertMultipleChoice, BertQuestionAnswerer, BertSequenceClassifier, BertTokenClassifier } from '../../lib/tasks';
import { syntheticReviews, writeTinyModel } from '../classifier/tiny-model';
import { repetitiveLines, squadExamples, swagExamples, taggedSentences } from './task-data';

const ROOT = path.resolve(__dirname, '..', '..');

function newestTs(dir: string): number {
  return Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? newestTs(p) : e.name.endsWith('.ts') ? statSync(p).mtimeMs : 0;
  }));
}

let tmp: string;
let model: string;
beforeAll(async () => {
  // The CLIs load ../dist: rebuild it when a source is newer.
  const built = path.join(ROOT, 'dist', 'tasks', 'index.js');
  if (!existsSync(built) || statSync(built).mtimeMs < newestTs(path.join(ROOT, 'lib'))) {
    execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'pipe' });
  }
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'bertnode-task-cli-'));
  model = path.join(tmp, 'tiny');
  await writeTinyModel(model);
}, 120_000);
afterAll(() => fsp.rm(tmp, { recursive: true, force: true }));

const COMMON = ['--device', 'cpu', '--no-progress', '--batch-size', '16', '--schedule', 'constant'];

async function run(script: string, args: string[], name = script): Promise<{ output: string; metrics: Record<string, Record<string, number>> }> {
  const output = path.join(tmp, name);
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', script), '--model', model, '--output', output, ...COMMON, ...args]);
  expect(stdout).toContain('validation: ');
  return { output, metrics: JSON.parse(await fsp.readFile(path.join(output, 'metrics.json'), 'utf8')) };
}

async function write(name: string, text: string): Promise<string> {
  const file = path.join(tmp, name);
  await fsp.writeFile(file, text);
  return file;
}

const conll = (sentences: { tokens: string[]; tags: string[] }[]) => sentences.map((s) => s.tokens.map((t, i) => `${t} ${s.tags[i]}`).join('\n')).join('\n\n') + '\n';
const squadJson = (examples: ReturnType<typeof squadExamples>) => JSON.stringify({
  version: '1.1',
  data: [{ title: 't', paragraphs: examples.map((e) => ({ context: e.context, qas: [{ id: e.id, question: e.question, answers: e.answers.text.map((text, i) => ({ text, answer_start: e.answers.answerStart[i] })) }] })) }],
});
const swagCsv = (examples: ReturnType<typeof swagExamples>) => ['video-id,fold-ind,startphrase,sent1,sent2,gold-source,ending0,ending1,ending2,ending3,label',
  ...examples.map((e, i) => `v${i},${i},x,${e.context},${e.questionHeader},gold,${e.endings.join(',')},${e.label}`)].join('\n') + '\n';

test('finetune-ner.js: seqeval metrics, reload evaluates to the same numbers', async () => {
  const train = await write('ner-train.txt', conll(taggedSentences(160)));
  const validation = await write('ner-dev.txt', conll(taggedSentences(40, 99)));
  const { output, metrics } = await run('finetune-ner.js', ['--train', train, '--validation', validation, '--test', validation, '--max-length', '24', '--lr', '3e-3', '--epochs', '4']);
  expect(Object.keys(metrics.validation).sort()).toEqual(['accuracy', 'f1', 'loss', 'precision', 'recall']);
  expect(metrics.validation.f1).toBeGreaterThan(0.8);
  const reloaded = await BertTokenClassifier.fromPretrained(path.join(output, 'model'), { batchSize: 16 });
  expect(await reloaded.evaluate(validation)).toEqual(metrics.test);
  reloaded.dispose();
}, 120_000);

test('finetune-squad.js: exact_match and f1 above chance, reload evaluates to the same numbers', async () => {
  const train = await write('squad-train.json', squadJson(squadExamples(200)));
  const validation = await write('squad-dev.json', squadJson(squadExamples(40, 99)));
  const { output, metrics } = await run('finetune-squad.js', ['--train', train, '--validation', validation, '--max-length', '32', '--doc-stride', '8', '--lr', '3e-3', '--epochs', '5']);
  expect(Object.keys(metrics.validation).sort()).toEqual(['exact_match', 'f1', 'loss']);
  expect(metrics.validation.exact_match).toBeGreaterThan(70);
  const reloaded = await BertQuestionAnswerer.fromPretrained(path.join(output, 'model'), { batchSize: 16, stride: 8 });
  expect(await reloaded.evaluate(validation)).toEqual(metrics.validation);
  reloaded.dispose();
}, 120_000);

test('finetune-swag.js: accuracy above chance (0.25), reload evaluates to the same numbers', async () => {
  const train = await write('swag-train.csv', swagCsv(swagExamples(240)));
  const validation = await write('swag-dev.csv', swagCsv(swagExamples(60, 99)));
  const { output, metrics } = await run('finetune-swag.js', ['--train', train, '--validation', validation, '--max-length', '16', '--lr', '2e-3', '--epochs', '4', '--batch-size', '8']);
  expect(metrics.validation.accuracy).toBeGreaterThan(0.6);
  const reloaded = await BertMultipleChoice.fromPretrained(path.join(output, 'model'), { batchSize: 8 });
  expect(await reloaded.evaluate(validation)).toEqual(metrics.validation);
  reloaded.dispose();
}, 120_000);

test('pretrain-mlm.js: perplexity falls; --limit keeps a sample; reload evaluates to the same numbers', async () => {
  const train = await write('mlm-train.txt', repetitiveLines(300).join('\n') + '\n');
  const validation = await write('mlm-dev.txt', repetitiveLines(48, 99).join('\n') + '\n');
  const { output, metrics } = await run('pretrain-mlm.js', ['--train', train, '--validation', validation, '--max-length', '16', '--lr', '3e-3', '--epochs', '6', '--limit', '240']);
  expect(Object.keys(metrics.validation).sort()).toEqual(['loss', 'perplexity']);
  expect(metrics.validation.perplexity).toBeLessThan(10); // a uniform guess over the 50-word vocabulary is ~50
  const reloaded = await BertMaskedLM.fromPretrained(path.join(output, 'model'), { batchSize: 16, seed: 42 });
  expect(await reloaded.evaluate(validation)).toEqual(metrics.validation);
  reloaded.dispose();
}, 120_000);

test('finetune-glue.js: SST-2 accuracy and STS-B pearson/spearmanr above chance, reload evaluates to the same numbers', async () => {
  for (const [task, row, header] of [
    ['sst2', (r: { text: string; label: number }) => `${r.text}\t${r.label}`, 'sentence\tlabel'],
    ['stsb', (r: { text: string; label: number }, i: number) => `${i}\tg\tf\t2012\t${i}\ts\tx\t${r.text}\tthe film\t${r.label ? 4.5 : 0.5}`, 'index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore'],
  ] as const) {
    const folder = path.join(tmp, `glue-${task}`);
    await fsp.mkdir(folder, { recursive: true });
    await fsp.writeFile(path.join(folder, 'train.tsv'), [header, ...syntheticReviews(200, 1).map(row)].join('\n') + '\n');
    await fsp.writeFile(path.join(folder, 'dev.tsv'), [header, ...syntheticReviews(40, 2).map(row)].join('\n') + '\n');
    const { output, metrics } = await run('finetune-glue.js', ['--task', task, '--data', folder, '--max-length', '24', '--lr', '2e-3', '--epochs', '10'], `glue-${task}-run`);
    if (task === 'sst2') expect(metrics.validation.accuracy).toBeGreaterThan(0.7);
    else expect(metrics.validation.pearson).toBeGreaterThan(0.5);
    const reloaded = await BertSequenceClassifier.fromPretrained(path.join(output, 'model'), { batchSize: 16, glueTask: task, problemType: task === 'stsb' ? 'regression' : 'single_label' });
    const dev = syntheticReviews(40, 2).map((r) => ({ text: r.text, textPair: task === 'stsb' ? 'the film' : undefined, label: task === 'stsb' ? (r.label ? 4.5 : 0.5) : String(r.label) }));
    expect(await reloaded.evaluate(dev)).toEqual(metrics.validation);
    reloaded.dispose();
  }
}, 120_000);

test('usage errors exit 2 and say what is missing', async () => {
  const failure = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'finetune-ner.js'), '--output', path.join(tmp, 'usage')]).catch((e) => e);
  expect(failure.code).toBe(2);
  expect(failure.stderr).toContain('--train and --validation are required (see --help)');
});

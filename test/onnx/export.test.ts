// clf.exportOnnx(dir): the files onnxruntime and transformers.js load, checked by running them. The reference is our
// own engine's logits (itself checked against PyTorch + transformers by test/native's golden fixtures).
// Tolerances: fp32 within 1e-4 absolute (the graph computes what the engine computes in float32; only the order of
// the sums differs, ~1e-7 here); int8 within 10 % of the largest |logit|, every predicted label the same (dynamic
// quantisation rounds each weight to 1/128 of its column's range and each activation to 1/255 of its tensor's;
// measured here 7.4 % (cls head) and 1.2 % (pooler head); onnxruntime's own quantize_dynamic with the same settings,
// run on the same fp32 file, is further off: 0.27 against our 0.18 on a random batch, scripts/onnx-reference-check.py).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { BertClassifier, BertnodeError, exportOnnx, Prediction } from '../../lib';
import { BertTokenizer } from '../../lib/tokenizer';
import { loadModel, writeSafetensors } from '../../lib/weights';
import { canonicalShapes } from '../../lib/weights/names';
import { writeTinyModel } from '../classifier/tiny-model';

const TEXTS: Array<string | [string, string]> = [
  'A great film, really moving.', 'dull', 'The plot was boring and the acting awful!',
  ['Is the music superb?', 'it is wonderful'], 'unwatchable unforgettable scenes with the cast',
];
let tmp: string;
const exported: Record<'cls' | 'pooler', { dir: string; predictions: Prediction[] }> = {} as never;

// A classifier folder with decisive logits, as a trained model has (a few units apart, not the ~0.01 of a fresh
// head): the tiny random model with its new head's weights scaled up.
async function writeClassifierFolder(dir: string, head: 'cls' | 'pooler'): Promise<void> {
  const clf = await BertClassifier.fromPretrained(path.join(tmp, 'base'), { device: 'cpu', head, seed: 5 });
  await clf.save(dir);
  clf.dispose();
  const { config, tensors } = await loadModel(dir);
  const weight = tensors.get('classifier.weight')!;
  weight.forEach((v, i) => { weight[i] = v * (head === 'pooler' ? 400 : 40); });
  const shapes = canonicalShapes(config);
  await writeSafetensors(path.join(dir, 'model.safetensors'), [...tensors].map(([name, data]) => ({ name, shape: shapes.get(name)!, data })));
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertnode-onnx-'));
  await writeTinyModel(path.join(tmp, 'base'), { layers: 2, hidden: 32, heads: 4 });
  for (const head of ['cls', 'pooler'] as const) {
    await writeClassifierFolder(path.join(tmp, `${head}-source`), head);
    const clf = await BertClassifier.fromPretrained(path.join(tmp, `${head}-source`), { device: 'cpu', maxLength: 32 });
    try {
      const dir = path.join(tmp, head);
      await clf.exportOnnx(dir);
      exported[head] = { dir, predictions: await clf.predict(TEXTS) };
    } finally {
      clf.dispose();
    }
  }
}, 120_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// onnxruntime and transformers.js run in a child process (./runtime-child.js says why).
function inChild(args: string[], input: unknown): unknown {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'runtime-child.js'), ...args],
    { input: JSON.stringify(input), encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(out);
}

function feeds(dir: string, texts: typeof TEXTS): Record<string, { data: number[]; dims: number[] }> {
  const tok = BertTokenizer.fromPretrained(dir);
  const encodings = texts.map((t) => (typeof t === 'string' ? tok.encode(t) : tok.encode(t[0], t[1])));
  const B = texts.length;
  const T = Math.max(...encodings.map((e) => e.inputIds.length));
  const tensor = (pick: (e: (typeof encodings)[0]) => ArrayLike<number>) => {
    const data = new Array<number>(B * T).fill(0);
    encodings.forEach((e, b) => Array.from(pick(e)).forEach((v, t) => { data[b * T + t] = v; }));
    return { data, dims: [B, T] };
  };
  return { input_ids: tensor((e) => e.inputIds), attention_mask: tensor((e) => e.attentionMask), token_type_ids: tensor((e) => e.tokenTypeIds) };
}

function onnxLogits(file: string, texts: typeof TEXTS): number[][] {
  return inChild(['ort', file], feeds(path.dirname(path.dirname(file)), texts)) as number[][];
}

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

describe.each(['cls', 'pooler'] as const)('head %s', (head) => {
  test('the folder has the layout transformers.js loads', () => {
    const files = fs.readdirSync(exported[head].dir);
    expect(files).toEqual(expect.arrayContaining(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx']));
    expect(fs.readdirSync(path.join(exported[head].dir, 'onnx')).sort()).toEqual(['model.onnx', 'model_quantized.onnx']);
  });

  test('onnxruntime runs model.onnx (padded batch, a sentence pair) and matches our logits within 1e-4', () => {
    const want = exported[head].predictions.map((p) => p.logits);
    const got = onnxLogits(path.join(exported[head].dir, 'onnx', 'model.onnx'), TEXTS);
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-4);
    // Dynamic axes: another batch size and sequence length through the same file.
    const one = onnxLogits(path.join(exported[head].dir, 'onnx', 'model.onnx'), [TEXTS[1]]);
    expect(maxAbsDiff(one, [want[1]])).toBeLessThanOrEqual(1e-4);
  });

  test('model_quantized.onnx is int8 (MatMulInteger) and agrees: same labels, logits within 10 % of the largest', () => {
    const file = path.join(exported[head].dir, 'onnx', 'model_quantized.onnx');
    const bytes = fs.readFileSync(file);
    expect(bytes.includes('MatMulInteger')).toBe(true);
    expect(bytes.includes('DynamicQuantizeLinear')).toBe(true);
    const want = exported[head].predictions.map((p) => p.logits);
    const got = onnxLogits(file, TEXTS);
    const scale = Math.max(...want.flat().map(Math.abs));
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(0.1 * scale);
    expect(got.map((row) => row.indexOf(Math.max(...row)))).toEqual(exported[head].predictions.map((p) => p.labelIndex));
  });
});

test('transformers.js pipeline("text-classification") loads the folder offline and gives our probabilities', () => {
  const texts = TEXTS.filter((t): t is string => typeof t === 'string');
  const ours = exported.pooler.predictions.filter((_, i) => typeof TEXTS[i] === 'string');
  for (const dtype of ['fp32', 'q8'] as const) {
    // env.allowRemoteModels = false, env.localModelPath = tmp: the model is 'pooler' under tmp, read from disk only.
    const results = inChild(['pipeline', tmp, 'pooler', dtype], texts) as Array<Array<{ label: string; score: number }>>;
    // fp32: the same model, so the same probabilities; q8: within the int8 model's own error.
    const tolerance = dtype === 'fp32' ? 1e-4 : 2e-2;
    results.forEach((scores, i) => {
      for (const { label, score } of scores) expect(Math.abs(score - ours[i].probabilities[label])).toBeLessThanOrEqual(tolerance);
    });
  }
}, 60_000);

test('the generated tokenizer.json splits text into the same ids as vocab.txt', () => {
  const dir = exported.cls.dir;
  const fromJson = BertTokenizer.fromTokenizerJson(path.join(dir, 'tokenizer.json'));
  const fromVocab = BertTokenizer.fromPretrained(path.join(tmp, 'base'));
  for (const text of ['Unwatchable, UNFORGETTABLE film!', 'Café naïve 映画 <br /> zzz', 'the\u200bplot\tis dull']) {
    expect(fromJson.encode(text, 'a pair').inputIds).toEqual(fromVocab.encode(text, 'a pair').inputIds);
  }
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
  expect(config).toMatchObject({ tokenizer_class: 'BertTokenizer', pad_token: '[PAD]', do_lower_case: true });
});

test('a folder without a classification head is refused with a typed error', async () => {
  const err = await exportOnnx(path.join(tmp, 'base')).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BertnodeError);
  expect((err as BertnodeError).code).toBe('ERR_BERTNODE_ONNX_NO_HEAD');
});

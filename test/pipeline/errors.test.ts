// pipeline()'s typed errors, hub loading, topK shapes and dispose.
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BertnodeError, DisposedError, InputError, OptionTypeError, OptionValueError, TensorMismatchError, UnknownOptionError } from '../../lib/errors';
import { pipeline, PipelineArchitectureError } from '../../lib/pipeline';
import { startHubServer } from '../hub/hub-server';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'pipeline');
const model = (name: string): string => path.join(FIXTURES, name);

describe('pipeline: bad input', () => {
  test('an unknown task names the closest one', async () => {
    const err = await pipeline('text-clasification' as 'ner', model('token-classification')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionValueError);
    expect((err as OptionValueError).suggestion).toBe('text-classification');
    expect((err as Error).message).toMatch(/did you mean 'text-classification'/);
  });

  test('a missing model folder is ERR_BERTNODE_MODEL_NOT_FOUND', async () => {
    await expect(pipeline('fill-mask', path.join(FIXTURES, 'no-such-model'))).rejects.toMatchObject({ code: 'ERR_BERTNODE_MODEL_NOT_FOUND' });
  });

  test.each([
    ['fill-mask', 'text-classification', 'BertForSequenceClassification'],
    ['question-answering', 'token-classification', 'BertForTokenClassification'],
    ['token-classification', 'fill-mask', 'BertForMaskedLM'],
    ['zero-shot-classification', 'feature-extraction', 'BertModel'],
  ] as const)('%s refuses a %s model (%s)', async (task, fixture, architecture) => {
    const err = await pipeline(task, model(fixture)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineArchitectureError);
    expect(err).toMatchObject({ code: 'ERR_BERTNODE_PIPELINE_ARCHITECTURE', architecture });
  });

  test('feature extraction runs the encoder of any BERT checkpoint', async () => {
    const extract = await pipeline('embeddings', model('token-classification'));
    const features = await extract('john smith', { pooling: 'mean' });
    expect(features.dims).toEqual([1, 32]);
    extract.dispose();
  });

  test('zero-shot needs an entailment label', async () => {
    const zs = await pipeline('zero-shot-classification', model('text-classification'));
    await expect(zs('a text', ['a', 'b'])).rejects.toThrow(/no label starting with 'entail'/);
    zs.dispose();
  });

  test('unknown call options name the camelCase option; wrong inputs are InputErrors', async () => {
    const fm = await pipeline('fill-mask', model('fill-mask'));
    const unknown = await fm('the [MASK]', { top_k: 2 } as never).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(UnknownOptionError);
    expect((unknown as UnknownOptionError).suggestion).toBe('topK');
    await expect(fm('no mask here')).rejects.toBeInstanceOf(InputError);
    await expect(fm(42 as never)).rejects.toBeInstanceOf(InputError);
    await expect(fm('the [MASK]', { targets: ['', ' '] })).rejects.toThrow(/none of the targets/);
    await expect(fm('the [MASK]', { targets: [3] as never })).rejects.toBeInstanceOf(OptionTypeError);
    fm.dispose();
    const zs = await pipeline('zero-shot-classification', model('nli'));
    await expect(zs('x', ['a'], { hypothesisTemplate: 'no slot' })).rejects.toBeInstanceOf(OptionValueError);
    await expect(zs('x', [])).rejects.toBeInstanceOf(InputError);
    zs.dispose();
    const qa = await pipeline('question-answering', model('question-answering'));
    await expect(qa(['a?', 'b?'], ['one context'])).rejects.toBeInstanceOf(InputError);
    await expect(qa('a?', '')).rejects.toThrow(/must not be empty/);
    await expect(qa('a?', 'ctx', { maxSeqLength: 4096 })).rejects.toThrow(/exceeds the model's 128 positions/);
    await expect(qa('a?', 'ctx', { topK: 0 })).rejects.toBeInstanceOf(OptionValueError);
    qa.dispose();
  });

  test('token classification: a stride needs an aggregation and must leave room', async () => {
    const ner = await pipeline('ner', model('token-classification'));
    await expect(ner('john smith', { stride: 8 })).rejects.toThrow(/stride needs an aggregationStrategy other than 'none'/);
    await expect(ner('john smith', { stride: 126, aggregationStrategy: 'simple' })).rejects.toThrow(/must be below the 126 tokens/);
    ner.dispose();
  });

  test('pipeline options are checked', async () => {
    await expect(pipeline('ner', model('token-classification'), { batchsize: 2 } as never)).rejects.toBeInstanceOf(UnknownOptionError);
    await expect(pipeline('ner', model('token-classification'), { batchSize: 0 })).rejects.toBeInstanceOf(OptionValueError);
    const device = await pipeline('ner', model('token-classification'), { device: 'gpu' as 'cuda' }).catch((e: unknown) => e);
    expect(device).toBeInstanceOf(OptionValueError);
    expect((device as OptionValueError).suggestion).toBe('cuda');
  });

  // A copy of a fixture with config.json fields replaced.
  async function withConfig(fixture: string, fields: Record<string, unknown>, fn: (dir: string) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(path.join(tmpdir(), 'bertnode-pipeline-'));
    try {
      for (const f of readdirSync(model(fixture))) copyFileSync(path.join(model(fixture), f), path.join(dir, f));
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...fields }));
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test('a checkpoint without the head the architecture declares is a TensorMismatchError', async () => {
    // The fill-mask fixture's weights under a config that claims a QA head: qa_outputs.* are missing.
    await withConfig('fill-mask', { architectures: ['BertForQuestionAnswering'] }, async (dir) => {
      await expect(pipeline('question-answering', dir)).rejects.toBeInstanceOf(TensorMismatchError);
    });
  });

  test('an unknown problem_type is a config error', async () => {
    await withConfig('text-classification', { problem_type: 'ranking' }, async (dir) => {
      await expect(pipeline('text-classification', dir)).rejects.toMatchObject({ code: 'ERR_BERTNODE_CONFIG' });
    });
  });

  test('feature extraction reads the encoder of a BERT class it has no head for', async () => {
    await withConfig('text-classification', { architectures: ['BertForMultipleChoice'] }, async (dir) => {
      const extract = await pipeline('feature-extraction', dir);
      expect((await extract('john')).dims).toEqual([1, 3, 32]);
      extract.dispose();
    });
  });
});

describe('pipeline: shapes and lifetime', () => {
  test('text-classification returns transformers.js shapes for topK', async () => {
    const classify = await pipeline('sentiment-analysis', model('text-classification'));
    const one = await classify('the movie was great!');
    expect(one).toHaveLength(1);
    const all = await classify('the movie was great!', { topK: null });
    expect((all as Array<{ label: string }>).map((s) => s.label).sort()).toEqual(['NEGATIVE', 'NEUTRAL', 'POSITIVE']);
    // Several texts with topK 1: one flat list with each text's best label; with topK 2: a list per text.
    expect(await classify(['a', 'b', 'c'])).toHaveLength(3);
    const two = await classify(['a', 'b', 'c'], { topK: 2 }) as unknown[][];
    expect(two.map((r) => r.length)).toEqual([2, 2, 2]);
    expect(classify.labels).toEqual(['NEGATIVE', 'NEUTRAL', 'POSITIVE']);
    classify.dispose();
    classify.dispose();
    await expect(classify('again')).rejects.toBeInstanceOf(DisposedError);
  });

  test('a hub id is fetched through lib/hub and loads like its folder', async () => {
    const hub = await startHubServer();
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'bertnode-pipeline-cache-'));
    try {
      for (const f of readdirSync(model('nli'))) hub.files.set(`tiny/nli/main/${f}`, { body: readFileSync(path.join(model('nli'), f)) });
      const fromHub = await pipeline('zero-shot-classification', 'tiny/nli', { hub: { endpoint: hub.endpoint, cacheDir } });
      const fromFolder = await pipeline('zero-shot-classification', model('nli'));
      expect(await fromHub('john lives in paris', ['city', 'music'])).toEqual(await fromFolder('john lives in paris', ['city', 'music']));
      expect(hub.requests.some((r) => r.path === '/tiny/nli/resolve/main/model.safetensors')).toBe(true);
      fromHub.dispose();
      fromFolder.dispose();
    } finally {
      await hub.close();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('BertnodeError is the base of every pipeline error', () => {
    expect(new PipelineArchitectureError('fill-mask', 'BertModel', ['BertForMaskedLM'], '/m')).toBeInstanceOf(BertnodeError);
  });
});

// Our pipelines against transformers' Python pipeline() on the golden cases of
// scripts/golden/generate_pipeline_cases.py (tiny random BERTs in test/fixtures/pipeline). Labels, words, tokens,
// texts and offsets must be equal; scores and vectors agree within SCORE_TOLERANCE.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from '../../lib/pipeline';

// The engine and PyTorch sum the same float32 products in different orders (blocked GEMMs, fused attention): on
// these 2-layer, 32-wide models logits differ by ~1e-6, and a probability by at most about as much. 1e-4 leaves
// room for that and still fails on any real difference (a wrong mask, offset or softmax axis moves scores by >1e-2).
const SCORE_TOLERANCE = 1e-4;

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'pipeline');

interface Case {
  task: string;
  model: string;
  input: unknown;
  options: Record<string, unknown>;
  output: unknown;
}

const cases: Case[] = ['cases-main.json', 'cases-qa.json'].flatMap((f) => JSON.parse(readFileSync(path.join(FIXTURES, f), 'utf8')).cases);

// Deep equality with numbers under `score` (or in a vector) compared within the tolerance.
function expectClose(actual: unknown, expected: unknown, where = '$'): void {
  if (typeof expected === 'number') {
    expect(typeof actual).toBe('number');
    if (Number.isInteger(expected) && !where.endsWith('score') && !where.includes('scores') && !where.includes('vector')) {
      expect({ where, value: actual }).toEqual({ where, value: expected });
    } else if (Math.abs((actual as number) - expected) > SCORE_TOLERANCE) {
      throw new Error(`${where}: ${actual} differs from ${expected} by more than ${SCORE_TOLERANCE}`);
    }
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    expect({ where, length: (actual as unknown[]).length }).toEqual({ where, length: expected.length });
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, `${where}[${i}]`));
  } else if (expected !== null && typeof expected === 'object') {
    expect({ where, keys: Object.keys(actual as object).sort() }).toEqual({ where, keys: Object.keys(expected).sort() });
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, `${where}.${k}`);
  } else {
    expect({ where, value: actual }).toEqual({ where, value: expected });
  }
}

const asList = (x: unknown): unknown[] => (Array.isArray(x) ? x : [x]);

describe.each([...new Set(cases.map((c) => `${c.task} ${c.model}`))])('%s matches transformers', (key) => {
  const [task, model] = key.split(' ');
  const mine = cases.filter((c) => c.task === task && c.model === model);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let pipe: any;
  beforeAll(async () => {
    pipe = await pipeline(task as 'fill-mask', path.join(FIXTURES, model), { batchSize: 2 });
  });
  afterAll(() => pipe?.dispose());

  test.each(mine.map((c, i) => [i, JSON.stringify(c.input).slice(0, 50), JSON.stringify(c.options), c] as const))('case %i: %s %s', async (_i, _t, _o, c) => {
    if (task === 'question-answering') {
      const { question, context } = c.input as { question: string; context: string };
      // Python returns a bare answer when one answer is left; ours a bare answer exactly when topK is 1.
      expectClose(asList(await pipe(question, context, c.options)), asList(c.output));
    } else if (task === 'zero-shot-classification') {
      const { candidateLabels, ...options } = c.options;
      expectClose(await pipe(c.input, candidateLabels, options), c.output);
    } else if (task === 'feature-extraction') {
      const features = await pipe(c.input, c.options);
      expectClose(features.tolist()[0], c.output, '$.vector');
    } else {
      const options = { ...c.options };
      if (options.topK === null && task === 'text-classification') options.topK = 'all';
      expectClose(await pipe(c.input, options), c.output);
    }
  });

  // The same inputs in one call, batchSize 2: padded rows in a batch give the results of unpadded single calls.
  test('a batched call equals the single calls', async () => {
    const single = mine.filter((c) => Object.keys(c.options).length === 0 || task === 'token-classification' || task === 'feature-extraction');
    if (task === 'question-answering') {
      const questions = mine.filter((c) => Object.keys(c.options).length === 0).map((c) => (c.input as { question: string }).question);
      const context = (mine[0].input as { context: string }).context;
      const batched = await pipe([...questions, ...questions], context);
      for (const [i, q] of [...questions, ...questions].entries()) expectClose(batched[i], await pipe(q, context));
    } else if (task === 'zero-shot-classification') {
      const labels = ['sports', 'music', 'science'];
      const texts = mine.map((c) => c.input as string);
      const batched = await pipe(texts, labels);
      for (const [i, t] of texts.entries()) expectClose(batched[i], await pipe(t, labels));
    } else if (task === 'feature-extraction') {
      const texts = [...new Set(single.map((c) => c.input as string))];
      const batched = (await pipe(texts, { pooling: 'none' })).tolist();
      for (const [i, t] of texts.entries()) {
        const alone = (await pipe(t, { pooling: 'none' })).tolist()[0];
        expectClose(batched[i].slice(0, alone.length), alone, '$.vector');
      }
    } else {
      const texts = [...new Set(single.map((c) => c.input as string))];
      const options = task === 'text-classification' ? { topK: 2 } : {};
      const batched = await pipe(texts, options);
      for (const [i, t] of texts.entries()) expectClose(batched[i], await pipe(t, options));
    }
  });
});

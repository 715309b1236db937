// Bad head options and labels in the wrong layout are refused with a ValidationError that says what is wrong,
// before anything runs, and leave the model unchanged; and every head resumes exactly from its saved state.
import { NativeBert, Batch, BertConfig, Labels, NativeBertOptions } from '../../lib/native';
import { ValidationError } from '../../lib/errors';

const config: BertConfig = {
  vocabSize: 30, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
  maxPositionEmbeddings: 16, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 3,
};
const hyper = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 3 };

// B = 6 rows of T = 4 tokens (for multiple choice with 3 choices: 2 examples).
const batch: Batch = {
  inputIds: Int32Array.from({ length: 24 }, (_, i) => 1 + ((i * 7) % 29)),
  attentionMask: Int32Array.from({ length: 24 }, (_, i) => (i % 4 === 3 && i > 12 ? 0 : 1)),
  tokenTypeIds: Int32Array.from({ length: 24 }, (_, i) => (i % 4 >= 2 ? 1 : 0)),
  batchSize: 6, seqLen: 4,
};

function model(options: NativeBertOptions, overrides: Partial<BertConfig> = {}): NativeBert {
  const m = NativeBert.create({ ...config, ...overrides }, options);
  let k = 1;
  for (const name of m.parameterNames()) {
    const n = m.parameterShape(name).reduce((a, b) => a * b, 1);
    m.setParameter(name, Float32Array.from({ length: n },
      () => Math.sin(k++ * 0.37) * 0.2 + (name.includes('LayerNorm.weight') ? 1 : 0)));
  }
  return m;
}

function expectCreateRefused(options: NativeBertOptions, pattern: RegExp, overrides: Partial<BertConfig> = {}): void {
  let thrown: unknown;
  try {
    NativeBert.create({ ...config, ...overrides }, options).dispose();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  expect((thrown as Error).message).toMatch(pattern);
}

test.each([
  ['unknown head', { head: 'ner' as never }, /options.head must be one of/, {}],
  ['single-label with one label', { head: 'pooler' as const }, /numLabels must be >= 2.*regression/, { numLabels: 1 }],
  ['unknown problem type', { head: 'pooler' as const, problemType: 'ordinal' as never }, /problemType must be/, {}],
  ['problem type on a token head', { head: 'token-classification' as const, problemType: 'regression' as const },
    /problemType applies to sequence classification only/, {}],
  ['multiple choice without numChoices', { head: 'multiple-choice' as const }, /numChoices must be an integer/, {}],
  ['one choice', { head: 'multiple-choice' as const, numChoices: 1 }, /numChoices = 1 is outside \[2/, {}],
  ['embedding pooling', { head: 'embedding' as const, pooling: 'max' as never }, /pooling must be 'mean' or 'cls'/, {}],
  ['training an embedding head', { head: 'embedding' as const, trainableLayers: 1 }, /inference-only/, {}],
  ['pad token outside the vocabulary', { head: 'pooler' as const }, /padTokenId/, { padTokenId: 30 }],
])('create refuses %s', (_label, options, pattern, overrides) => {
  expectCreateRefused(options, pattern, overrides);
});

describe.each([
  ['multi-label', { head: 'pooler', problemType: 'multi_label_classification' } as NativeBertOptions,
    Int32Array.from({ length: 18 }), /labels must be a Float32Array/],
  ['multi-label length', { head: 'pooler', problemType: 'multi_label_classification' } as NativeBertOptions,
    new Float32Array(6), /labels has 6 elements, expected 18/],
  ['regression NaN', { head: 'pooler', problemType: 'regression' } as NativeBertOptions,
    Float32Array.from({ length: 18 }, (_, i) => (i === 4 ? NaN : 0)), /labels\[4\] is not finite/],
  ['token class', { head: 'token-classification' } as NativeBertOptions,
    Int32Array.from({ length: 24 }, (_, i) => (i === 5 ? 3 : -100)), /labels\[5\] = 3 is outside \[0, numLabels = 3\)/],
  ['token ignore value', { head: 'token-classification' } as NativeBertOptions,
    Int32Array.from({ length: 24 }, (_, i) => (i === 2 ? -1 : 0)), /labels\[2\] = -1 .*ignored value -100/],
  ['QA shape', { head: 'question-answering' } as NativeBertOptions, new Int32Array(6), /expected 12/],
  ['choice index', { head: 'multiple-choice', numChoices: 3 } as NativeBertOptions,
    Int32Array.from([0, 3]), /labels\[1\] = 3 is outside \[0, numChoices = 3\)/],
  ['masked-LM token id', { head: 'masked-lm' } as NativeBertOptions,
    Int32Array.from({ length: 24 }, (_, i) => (i === 7 ? 30 : -100)), /labels\[7\] = 30 is outside \[0, vocabSize = 30\)/],
  ['next-sentence label', { head: 'pretraining' } as NativeBertOptions,
    Int32Array.from({ length: 30 }, (_, i) => (i === 27 ? 2 : i < 24 ? -100 : 0)), /labels\[27\] = 2 .*next-sentence/],
])('%s labels in the wrong layout', (_label, options, labels, pattern) => {
  test('are refused by forward, trainStep and accumulateGradients, leaving the model unchanged', async () => {
    const m = model(options);
    try {
      const before = m.parameterNames().map((n) => m.getParameter(n));
      for (const call of [
        () => m.forward(batch, { labels: labels as Labels }),
        () => m.trainStep(batch, labels as Labels, { ...hyper, step: 0 }),
        () => m.accumulateGradients(batch, labels as Labels, { scale: 1 }),
      ]) {
        const e = await call().then(() => undefined, (err: unknown) => err);
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as Error).message).toMatch(pattern);
      }
      expect(m.parameterNames().map((n) => m.getParameter(n))).toEqual(before);
    } finally {
      m.dispose();
    }
  });
});

test('a multiple-choice batch must hold whole examples', async () => {
  const m = model({ head: 'multiple-choice', numChoices: 4 });
  try {
    await expect(m.forward(batch)).rejects.toThrow(/numChoices = 4 rows per example; batchSize 6 is not a multiple/);
  } finally {
    m.dispose();
  }
});

// Exact resume under every head: parameters and optimizer state saved after one step and restored into a fresh
// model continue bit for bit like the model that never stopped (dropout on, keyed by seed and step).
const labelsFor: [NativeBertOptions, Labels][] = [
  [{ head: 'pooler', problemType: 'multi_label_classification' }, Float32Array.from({ length: 18 }, (_, i) => i % 2)],
  [{ head: 'pooler', problemType: 'regression' }, Float32Array.from({ length: 18 }, (_, i) => Math.cos(i))],
  [{ head: 'token-classification' }, Int32Array.from({ length: 24 }, (_, i) => (i % 5 === 0 ? -100 : i % 3))],
  [{ head: 'question-answering' }, Int32Array.from([1, 2, 0, 3, 2, 2, 9, 1, 1, -4, 3, 3])],
  [{ head: 'multiple-choice', numChoices: 3 }, Int32Array.from([2, 0])],
  [{ head: 'masked-lm' }, Int32Array.from({ length: 24 }, (_, i) => (i % 3 === 1 ? (i * 5) % 30 : -100))],
  [{ head: 'pretraining' }, Int32Array.from({ length: 30 }, (_, i) => (i >= 24 ? i % 2 : i % 3 === 1 ? i : -100))],
];
test.each(labelsFor.map(([o, l]) => [o.head + (o.problemType ? `/${o.problemType}` : ''), o, l] as const))(
  '%s resumes exactly from saved parameters and optimizer state', async (_name, options, labels) => {
    const running = model(options);
    const resumed = NativeBert.create(config, options);
    try {
      await running.trainStep(batch, labels, { ...hyper, step: 0 });
      for (const name of running.parameterNames()) resumed.setParameter(name, running.getParameter(name));
      resumed.setOptimizerState(running.getOptimizerState());
      const a = await running.trainStep(batch, labels, { ...hyper, step: 1 });
      const b = await resumed.trainStep(batch, labels, { ...hyper, step: 1 });
      expect(b).toEqual(a);
      for (const name of running.parameterNames()) {
        expect([name, resumed.getParameter(name)]).toEqual([name, running.getParameter(name)]);
      }
    } finally {
      running.dispose();
      resumed.dispose();
    }
  });

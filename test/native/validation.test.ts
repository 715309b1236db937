// Every kind of bad input that can cross N-API is refused with a typed error (ValidationError, DisposedError),
// never a crash, and leaves the model unchanged.
import { NativeBert, Batch, BertConfig, loadBackend } from '../../lib/native';
import { BertnodeError, DisposedError, NativeError, ValidationError } from '../../lib/errors';

const config: BertConfig = {
  vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
  maxPositionEmbeddings: 16, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 3,
};
const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 1, step: 1 };

function goodBatch(): Batch {
  return {
    inputIds: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 0]), attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]),
    tokenTypeIds: Int32Array.from([0, 0, 1, 1, 0, 0, 1, 0]), batchSize: 2, seqLen: 4,
  };
}
const goodLabels = Int32Array.from([0, 2]);

function expectValidation(fn: () => unknown, pattern: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  expect((thrown as ValidationError).code).toBe('ERR_BERTNODE_INVALID_ARGUMENT');
  expect((thrown as Error).message).toMatch(pattern);
}

async function expectRejectedValidation(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const e = await promise.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ValidationError);
  expect((e as Error).message).toMatch(pattern);
}

// Deterministic non-zero parameters, so a wrongly accepted input would change the outputs visibly.
function initialise(model: NativeBert): void {
  let k = 1;
  for (const name of model.parameterNames()) {
    const n = model.parameterShape(name).reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = Math.sin(k++ * 0.37) * 0.1 + (name.includes('LayerNorm.weight') ? 1 : 0);
    model.setParameter(name, data);
  }
}

describe('config and options', () => {
  const cases: [string, Partial<Record<keyof BertConfig, unknown>>, RegExp][] = [
    ['heads do not divide hidden', { numAttentionHeads: 3 }, /does not divide/],
    ['zero vocab', { vocabSize: 0 }, /vocabSize/],
    ['negative layers', { numHiddenLayers: -1 }, /numHiddenLayers/],
    ['fractional hidden size', { hiddenSize: 16.5 }, /hiddenSize must be an integer/],
    ['string intermediate size', { intermediateSize: '32' }, /intermediateSize must be an integer/],
    ['missing max positions', { maxPositionEmbeddings: undefined }, /maxPositionEmbeddings/],
    ['absurd vocab', { vocabSize: 1e9 }, /vocabSize/],
    ['absurd total size', { vocabSize: 4_000_000, hiddenSize: 16384, numAttentionHeads: 16 }, /parameters/],
    ['NaN eps', { layerNormEps: NaN }, /layerNormEps/],
    ['dropout of 1', { hiddenDropoutProb: 1 }, /hiddenDropoutProb/],
    ['negative classifier dropout', { classifierDropout: -0.1 }, /classifierDropout/],
    ['zero labels', { numLabels: 0 }, /numLabels/],
  ];
  test.each(cases)('%s', (_label, patch, pattern) => {
    expectValidation(() => NativeBert.create({ ...config, ...patch } as BertConfig), pattern);
  });

  test('bad options', () => {
    expectValidation(() => NativeBert.create(config, { head: 'mean' as 'cls' }), /options.head/);
    expectValidation(() => NativeBert.create(config, { trainableLayers: 3 }), /trainableLayers/);
    expectValidation(() => NativeBert.create(config, { trainableLayers: -1 }), /trainableLayers/);
    expectValidation(() => NativeBert.create(config, { trainEmbeddings: 'yes' as unknown as boolean }),
      /trainEmbeddings/);
  });

  test('unknown devices and precisions are refused; tf32 is refused on the CPU', () => {
    expectValidation(() => NativeBert.create(config, { precision: 'fp16' as 'fp32' }), /unknown precision 'fp16'/);
    // bf16 on the CPU (AVX-512 BF16 or a typed refusal) is test/native/bf16.test.ts's.
    expectValidation(() => NativeBert.create(config, { precision: 'tf32' }), /only available on CUDA/);
    const raw = loadBackend('cpu');
    const options = { head: 'cls' as const, trainableLayers: 1, trainEmbeddings: true, precision: 'fp32' as const };
    expect(() => new raw.BertModel(config, { ...options, device: 'tpu' as 'cpu' }))
      .toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_INVALID_ARGUMENT' }));
    // The CPU addon itself answers a CUDA request with ERR_BERTNODE_NO_CUDA (the loader normally stops it earlier).
    expect(() => new raw.BertModel(config, { ...options, device: 'cuda' }))
      .toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_NO_CUDA' }));
  });
});

describe('calls on a model', () => {
  let model: NativeBert;
  let reference: Float32Array;
  beforeAll(async () => {
    model = NativeBert.create(config, { head: 'cls', trainableLayers: 1, trainEmbeddings: false });
    initialise(model);
    reference = (await model.forward(goodBatch())).logits;
  });
  afterAll(() => {
    model.dispose();
  });
  afterEach(async () => {
    // A refused call changed nothing: the same batch gives bit-identical logits.
    expect(Array.from((await model.forward(goodBatch())).logits)).toEqual(Array.from(reference));
  });

  const batchCases: [string, (b: Batch) => unknown, RegExp][] = [
    ['Float32Array ids', (b) => ({ ...b, inputIds: Float32Array.from(b.inputIds) }), /inputIds must be an Int32Array, got a Float32Array/],
    ['Uint32Array mask', (b) => ({ ...b, attentionMask: Uint32Array.from(b.attentionMask) }), /attentionMask must be an Int32Array/],
    ['plain array types', (b) => ({ ...b, tokenTypeIds: Array.from(b.tokenTypeIds) }), /tokenTypeIds must be an Int32Array, got an Array/],
    ['short ids', (b) => ({ ...b, inputIds: b.inputIds.subarray(0, 7) }), /inputIds has 7 elements, expected 8/],
    ['long mask', (b) => ({ ...b, attentionMask: new Int32Array(9).fill(1) }), /attentionMask has 9 elements/],
    ['batch size 0', (b) => ({ ...b, batchSize: 0 }), /batchSize/],
    ['sequence length 0', (b) => ({ ...b, seqLen: 0 }), /seqLen/],
    ['fractional batch size', (b) => ({ ...b, batchSize: 1.5 }), /batchSize must be an integer/],
    ['sequence longer than max positions', () => ({
      inputIds: new Int32Array(17), attentionMask: new Int32Array(17).fill(1), tokenTypeIds: new Int32Array(17),
      batchSize: 1, seqLen: 17,
    }), /seqLen = 17 is outside \[1, 16\]/],
    ['id = vocab size', (b) => ({ ...b, inputIds: Int32Array.from(b.inputIds, (v, i) => (i === 5 ? 50 : v)) }), /inputIds\[5\] = 50 is outside \[0, vocabSize = 50\)/],
    ['negative id', (b) => ({ ...b, inputIds: Int32Array.from(b.inputIds, (v, i) => (i === 0 ? -1 : v)) }), /inputIds\[0\] = -1/],
    ['token type = type vocab', (b) => ({ ...b, tokenTypeIds: Int32Array.from(b.tokenTypeIds, (v, i) => (i === 2 ? 2 : v)) }), /tokenTypeIds\[2\] = 2 is outside/],
    ['mask value 2', (b) => ({ ...b, attentionMask: Int32Array.from(b.attentionMask, (v, i) => (i === 3 ? 2 : v)) }), /attentionMask\[3\] = 2 is outside \{0, 1\}/],
    ['not an object', () => 42, /batch must be an object/],
  ];
  test.each(batchCases)('forward refuses %s', async (_label, mutate, pattern) => {
    await expectRejectedValidation(model.forward(mutate(goodBatch()) as Batch), pattern);
  });

  test('labels are checked for dtype, length and range', async () => {
    const b = goodBatch();
    await expectRejectedValidation(model.forward(b, { labels: Int32Array.from([0, 3]) }), /labels\[1\] = 3 is outside \[0, numLabels = 3\)/);
    await expectRejectedValidation(model.forward(b, { labels: Int32Array.from([-1, 0]) }), /labels\[0\] = -1/);
    await expectRejectedValidation(model.forward(b, { labels: Int32Array.from([0]) }), /labels has 1 elements, expected 2/);
    await expectRejectedValidation(model.forward(b, { labels: Float32Array.from([0, 1]) as unknown as Int32Array }), /labels must be an Int32Array/);
    await expectRejectedValidation(model.trainStep(b, Int32Array.from([0, 5]), hyper), /labels\[1\] = 5/);
    await expectRejectedValidation(model.accumulateGradients(b, Int32Array.from([9, 0]), { scale: 1 }), /labels\[0\] = 9/);
  });

  test('attention layers, flags, seeds and steps are checked', async () => {
    const b = goodBatch();
    await expectRejectedValidation(model.forward(b, { attentionLayers: [2] }), /attentionLayers\[0\] = 2 is outside \[0, numHiddenLayers = 2\)/);
    await expectRejectedValidation(model.forward(b, { attentionLayers: [-1] }), /attentionLayers\[0\] = -1/);
    await expectRejectedValidation(model.forward(b, { attentionLayers: [0, 0] }), /listed twice/);
    await expectRejectedValidation(model.forward(b, { attentionLayers: [0.5] }), /must be an integer/);
    await expectRejectedValidation(model.forward(b, { attentionLayers: 'all' as unknown as number[] }), /must be an array/);
    await expectRejectedValidation(model.forward(b, { training: 1 as unknown as boolean }), /training must be a boolean/);
    await expectRejectedValidation(model.forward(b, { seed: -1 }), /seed must be a non-negative safe integer/);
    await expectRejectedValidation(model.forward(b, { step: 2 ** 60 }), /step must be a non-negative safe integer/);
  });

  test('hyper-parameters must be finite and in range', async () => {
    const b = goodBatch();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ lr: NaN }, /hyper.lr must be finite/],
      [{ lr: Infinity }, /hyper.lr must be finite/],
      [{ lr: -1 }, /hyper.lr = -1 must be >= 0/],
      [{ beta1: 1 }, /hyper.beta1 = 1 must be in \[0, 1\)/],
      [{ beta2: -0.1 }, /hyper.beta2/],
      [{ eps: 0 }, /hyper.eps = 0 must be > 0/],
      [{ weightDecay: '0.01' }, /hyper.weightDecay must be a number, got a string/],
      [{ maxGradNorm: NaN }, /hyper.maxGradNorm/],
      [{ maxGradNorm: -1 }, /hyper.maxGradNorm/],
      [{ lr: undefined }, /hyper.lr must be a number, got undefined/],
      [{ seed: 0.5 }, /hyper.seed/],
    ];
    for (const [patch, pattern] of bad) {
      await expectRejectedValidation(model.trainStep(b, goodLabels, { ...hyper, ...patch } as typeof hyper), pattern);
      if (!('seed' in patch)) {
        await expectRejectedValidation(model.applyOptimizer({ ...hyper, ...patch } as typeof hyper), pattern);
      }
    }
    await expectRejectedValidation(model.accumulateGradients(b, goodLabels, { scale: 0 }), /options.scale = 0 must be > 0/);
    await expectRejectedValidation(model.accumulateGradients(b, goodLabels, { scale: NaN }), /scale must be finite/);
  });

  test('edge values that are valid are accepted', async () => {
    const b = goodBatch();
    const other = NativeBert.create(config, { head: 'cls', trainableLayers: 1, trainEmbeddings: false });
    try {
      initialise(other);
      // lr 0 leaves the parameters as they are (no decay either: it is lr * weightDecay).
      const before = other.getParameter('classifier.weight');
      await other.trainStep(b, goodLabels, { ...hyper, lr: 0, maxGradNorm: Infinity, seed: Number.MAX_SAFE_INTEGER });
      await other.trainStep(b, goodLabels, { ...hyper, lr: 0, maxGradNorm: 0, step: 0 });
      expect(Array.from(other.getParameter('classifier.weight'))).toEqual(Array.from(before));
      const oneToken: Batch = { inputIds: Int32Array.of(49), attentionMask: Int32Array.of(1), tokenTypeIds: Int32Array.of(1),
        batchSize: 1, seqLen: 1 };
      expect((await other.forward(oneToken)).logits).toHaveLength(3);
      const full: Batch = { inputIds: new Int32Array(16), attentionMask: new Int32Array(16), tokenTypeIds: new Int32Array(16),
        batchSize: 1, seqLen: 16 }; // seqLen = maxPositionEmbeddings, every token masked
      expect((await other.forward(full, { attentionLayers: [] })).attentions).toEqual([]);
    } finally {
      other.dispose();
    }
  });

  test('parameters: unknown names, wrong dtype, wrong length, non-finite values', () => {
    const name = 'bert.encoder.layer.0.attention.self.query.weight';
    expectValidation(() => model.getParameter('bert.encoder.layer.2.attention.self.query.weight'), /unknown parameter/);
    expectValidation(() => model.parameterShape('classifier.weights'), /unknown parameter 'classifier.weights'/);
    expectValidation(() => model.isTrainable(42 as unknown as string), /name must be a string/);
    expectValidation(() => model.setParameter(name, new Float32Array(255)), /has 255 elements, expected 256/);
    expectValidation(() => model.setParameter(name, new Float64Array(256) as unknown as Float32Array), /must be a Float32Array, got a Float64Array/);
    const nan = new Float32Array(256);
    nan[7] = NaN;
    expectValidation(() => model.setParameter(name, nan), /\[7\] is not finite/);
    expect(model.getGradient('bert.embeddings.word_embeddings.weight')).toBeNull(); // frozen: no gradient memory
  });

  test('optimizer state: every trainable moment, right length, no strangers', () => {
    const state = model.getOptimizerState();
    const name = Object.keys(state.m)[0];
    expectValidation(() => model.setOptimizerState({ ...state, step: -1 }), /state.step/);
    expectValidation(() => model.setOptimizerState({ ...state, m: { ...state.m, [name]: new Float32Array(1) } }), /elements, expected/);
    expectValidation(() => model.setOptimizerState({ ...state, v: { ...state.v, 'bert.embeddings.LayerNorm.bias': new Float32Array(16) } }), /not a trainable parameter/);
    const { [name]: _dropped, ...rest } = state.m;
    expectValidation(() => model.setOptimizerState({ ...state, m: rest }), /must be a Float32Array, got undefined/);
    const negative = new Float32Array(state.v[name].length);
    negative[0] = -1;
    expectValidation(() => model.setOptimizerState({ ...state, v: { ...state.v, [name]: negative } }), /negative/);
    expect(model.getOptimizerState().step).toBe(state.step);
  });
});

describe('lifecycle', () => {
  test('dispose twice is safe; every later call is a DisposedError', async () => {
    const model = NativeBert.create(config);
    expect(model.nativeBytes()).toBeGreaterThan(0);
    model.dispose();
    model.dispose();
    expect(model.nativeBytes()).toBe(0);
    expect(() => model.parameterNames()).toThrow(DisposedError);
    expect(() => model.getParameter('classifier.bias')).toThrow(DisposedError);
    await expect(model.forward(goodBatch())).rejects.toBeInstanceOf(DisposedError);
    await expect(model.trainStep(goodBatch(), goodLabels, hyper)).rejects.toBeInstanceOf(DisposedError);
    const e = await model.applyOptimizer(hyper).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BertnodeError);
    expect((e as BertnodeError).code).toBe('ERR_BERTNODE_DISPOSED');
  });

  test('Symbol.dispose disposes (for `using`)', () => {
    const model = NativeBert.create(config);
    model[Symbol.dispose]();
    expect(model.isDisposed).toBe(true);
    expect(() => model.parameterNames()).toThrow(DisposedError);
  });

  test('dispose during a running call frees the model after it; queued calls are refused', async () => {
    const model = NativeBert.create(config);
    const running = model.forward(goodBatch());
    const queued = model.forward(goodBatch());
    model.dispose();
    await expect(running).resolves.toHaveProperty('logits');
    await expect(queued).rejects.toBeInstanceOf(DisposedError);
  });

  test('synchronous calls are refused while an asynchronous call is in flight', async () => {
    const model = NativeBert.create(config);
    const running = model.forward(goodBatch());
    let busy: unknown;
    try {
      model.getParameter('classifier.bias');
    } catch (e) {
      busy = e;
    }
    expect(busy).toBeInstanceOf(NativeError);
    expect((busy as NativeError).code).toBe('ERR_BERTNODE_BUSY');
    await running;
    expect(model.getParameter('classifier.bias')).toHaveLength(3);
    model.dispose();
  });

  test('the raw addon refuses a second call while one runs (the wrapper queues instead)', async () => {
    const raw = new (loadBackend('cpu').BertModel)(config, { head: 'pooler', trainableLayers: 2, trainEmbeddings: true,
      device: 'cpu', precision: 'fp32' });
    const first = raw.forward(goodBatch(), {});
    expect(() => raw.forward(goodBatch(), {})).toThrow(expect.objectContaining({ code: 'ERR_BERTNODE_BUSY' }));
    await first;
    raw.dispose();
    raw.dispose();
  });
});

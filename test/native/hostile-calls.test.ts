// Hostile callers of the addon's model API (issue 12): user JavaScript that runs in the middle of a native call —
// getters on the arguments, setters on Object.prototype reached while a result is filled in — and tries to dispose
// the model under the call or to start a second call on it; and hyper-parameters that are valid doubles but not
// valid float32 values, the precision the engine computes in. Each case crashed, read freed memory or trained to
// NaN before the boundary held the model (busy + its own share) for the whole call and read every value as float32.
import { NativeBert, Batch, BertConfig, loadBackend } from '../../lib/native';
import { DisposedError, ValidationError } from '../../lib/errors';
import type { RawModel, RawOptimizerState } from '../../lib/native/addon';

const config: BertConfig = {
  vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
  maxPositionEmbeddings: 16, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 3,
};
const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, seed: 1, step: 1 };
const labels = Int32Array.from([0, 2]);

function batch(): Batch {
  return {
    inputIds: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 0]), attentionMask: Int32Array.from([1, 1, 1, 1, 1, 1, 1, 0]),
    tokenTypeIds: Int32Array.from([0, 0, 1, 1, 0, 0, 1, 0]), batchSize: 2, seqLen: 4,
  };
}

// The batch with a getter on inputIds that runs `sideEffect` the first time the addon reads it.
function batchWithGetter(sideEffect: () => void): Batch {
  const b = batch();
  const ids = b.inputIds;
  let ran = false;
  Object.defineProperty(b, 'inputIds', {
    enumerable: true,
    get() {
      if (!ran) {
        ran = true;
        sideEffect();
      }
      return ids;
    },
  });
  return b;
}

function rawModel(): RawModel {
  return new (loadBackend('cpu').BertModel)(config, { head: 'pooler', trainableLayers: 2, trainEmbeddings: true,
    device: 'cpu', precision: 'fp32' });
}

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('user JavaScript that disposes the model in the middle of a call', () => {
  test('setOptimizerState: a getter on state.m that disposes → ERR_BERTNODE_DISPOSED, nothing read from freed memory',
    () => {
      const raw = rawModel();
      const good = raw.getOptimizerState();
      const state = { step: 3, v: good.v } as RawOptimizerState;
      Object.defineProperty(state, 'm', { enumerable: true, get: () => { raw.dispose(); return good.m; } });
      expect(thrownBy(() => raw.setOptimizerState(state))).toMatchObject({ code: 'ERR_BERTNODE_DISPOSED' });
      expect(raw.nativeBytes()).toBe(0);
    });

  test('setOptimizerState: a getter on one moment that disposes → ERR_BERTNODE_DISPOSED', () => {
    const raw = rawModel();
    const good = raw.getOptimizerState();
    const [first] = Object.keys(good.m);
    const m = { ...good.m };
    Object.defineProperty(m, first, { enumerable: true, get: () => { raw.dispose(); return good.m[first]; } });
    expect(thrownBy(() => raw.setOptimizerState({ step: 1, m, v: good.v }))).toMatchObject(
      { code: 'ERR_BERTNODE_DISPOSED' });
  });

  test('getOptimizerState: a setter on Object.prototype that disposes while the result is filled in', () => {
    const raw = rawModel();
    const names = raw.parameterNames();
    const target = names[names.length - 1];
    let disposedInSetter = 0;
    // The addon builds its objects in the realm it was loaded in, not in this test's (jest's vm context): the setter
    // goes on that realm's Object.prototype.
    const addonObjectPrototype = Object.getPrototypeOf(raw.getOptimizerState()) as Record<string, unknown>;
    Object.defineProperty(addonObjectPrototype, target, {
      configurable: true,
      set(this: Record<string, unknown>, value: unknown) {
        disposedInSetter++;
        raw.dispose();
        Object.defineProperty(this, target, { value, enumerable: true, configurable: true, writable: true });
      },
    });
    let state: RawOptimizerState;
    try {
      state = raw.getOptimizerState();
    } finally {
      delete addonObjectPrototype[target];
    }
    expect(disposedInSetter).toBeGreaterThan(0);
    // Every moment was copied before any JS ran: the state is whole although the model is gone.
    expect(Object.keys(state.m).sort()).toEqual([...names].sort());
    expect(state.m[target].length).toBeGreaterThan(0);
    expect(state.v[target].length).toBe(state.m[target].length);
    expect(thrownBy(() => raw.parameterNames())).toMatchObject({ code: 'ERR_BERTNODE_DISPOSED' });
  });

  test('forward: a getter on the batch that disposes → ERR_BERTNODE_DISPOSED, nothing queued', () => {
    const raw = rawModel();
    expect(thrownBy(() => raw.forward(batchWithGetter(() => raw.dispose()), {}))).toMatchObject(
      { code: 'ERR_BERTNODE_DISPOSED' });
  });
});

describe('user JavaScript that starts a second call while the first reads its arguments', () => {
  test('raw addon: the second call is refused with ERR_BERTNODE_BUSY and the first completes', async () => {
    const raw = rawModel();
    let inner: unknown;
    const first = raw.forward(batchWithGetter(() => {
      inner = thrownBy(() => raw.trainStep(batch(), labels, hyper));
    }), {});
    expect(inner).toMatchObject({ code: 'ERR_BERTNODE_BUSY' });
    await expect(first).resolves.toHaveProperty('logits');
    // The mark is released: the model takes calls again.
    await expect(raw.trainStep(batch(), labels, hyper)).resolves.toHaveProperty('loss');
    raw.dispose();
  });

  test('raw addon: a synchronous call from a getter is refused too', async () => {
    const raw = rawModel();
    let inner: unknown;
    const first = raw.forward(batchWithGetter(() => {
      inner = thrownBy(() => raw.setParameter('classifier.bias', new Float32Array(3)));
    }), {});
    expect(inner).toMatchObject({ code: 'ERR_BERTNODE_BUSY' });
    await first;
    raw.dispose();
  });

  test('a failed argument read releases the busy mark', async () => {
    const raw = rawModel();
    expect(thrownBy(() => raw.forward({ ...batch(), seqLen: 0 }, {}))).toMatchObject(
      { code: 'ERR_BERTNODE_INVALID_ARGUMENT' });
    await expect(raw.forward(batch(), {})).resolves.toHaveProperty('logits');
    raw.dispose();
  });

  test('NativeBert queues the second call (its contract) instead of failing', async () => {
    const model = NativeBert.create(config);
    const order: string[] = [];
    let second: Promise<unknown> | undefined;
    const first = model.forward(batchWithGetter(() => {
      second = model.trainStep(batch(), labels, hyper).then((r) => { order.push('trainStep'); return r; });
    })).then((r) => { order.push('forward'); return r; });
    await expect(first).resolves.toHaveProperty('logits');
    await expect(second).resolves.toHaveProperty('loss');
    expect(order).toEqual(['forward', 'trainStep']);
    model.dispose();
  });

  test('NativeBert: a getter that disposes rejects the call with DisposedError', async () => {
    const model = NativeBert.create(config);
    await expect(model.forward(batchWithGetter(() => model.dispose()))).rejects.toBeInstanceOf(DisposedError);
  });
});

describe('hyper-parameters are checked as the float32 values the engine uses', () => {
  let model: NativeBert;
  beforeAll(() => {
    model = NativeBert.create(config);
  });
  afterAll(() => model.dispose());

  const cases: [string, Record<string, number>, RegExp][] = [
    ['eps = 1e-50 (0 in float32)', { eps: 1e-50 }, /hyper.eps = 1.*e-50 must be > 0 \(it is 0 as the float32/],
    ['beta2 = 1 - 1e-9 (1 in float32)', { beta2: 1 - 1e-9 }, /hyper.beta2 .* must be in \[0, 1\) \(it is 1 as the float32/],
    ['lr = 1e39 (Infinity in float32)', { lr: 1e39 }, /hyper.lr = 9\.9+4e\+38 overflows float32/],
    ['weightDecay = 1e300', { weightDecay: 1e300 }, /hyper.weightDecay .* overflows float32/],
    ['maxGradNorm = 1e39', { maxGradNorm: 1e39 }, /hyper.maxGradNorm .* overflows float32/],
  ];
  test.each(cases)('trainStep refuses %s', async (_label, patch, pattern) => {
    const e = await model.trainStep(batch(), labels, { ...hyper, ...patch }).then(() => undefined, (err) => err);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as Error).message).toMatch(pattern);
  });

  test('applyOptimizer and accumulateGradients read the same way', async () => {
    await expect(model.applyOptimizer({ ...hyper, eps: 1e-50 })).rejects.toThrow(/hyper.eps .* must be > 0/);
    await expect(model.accumulateGradients(batch(), labels, { scale: 1e-50 })).rejects.toThrow(
      /options.scale = 1.*e-50 must be > 0 \(it is 0 as the float32/);
  });

  test('the config: layerNormEps = 1e-50 and a dropout of 1 - 1e-9 are refused', () => {
    expect(() => NativeBert.create({ ...config, layerNormEps: 1e-50 })).toThrow(
      /config.layerNormEps .* must be in \(0, 1\) \(it is 0 as the float32/);
    expect(() => NativeBert.create({ ...config, hiddenDropoutProb: 1 - 1e-9 })).toThrow(
      /config.hiddenDropoutProb .* must be a probability in \[0, 1\)/);
  });

  test('a tiny but representable eps and Infinity as maxGradNorm still train to finite parameters', async () => {
    const r = await model.trainStep(batch(), labels, { ...hyper, eps: 1e-30, maxGradNorm: Infinity });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(model.getParameter('classifier.weight').every(Number.isFinite)).toBe(true);
  });
});

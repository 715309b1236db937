// One training step and an eval forward of a small, deterministic model, for first-token-layer.test.ts, which runs it
// in its own process (the first-token layer, the default) and in a child process with BERTNODE_FIRST_TOKEN_LAYER=0
// (the full last layer; first-token-child.js): jest gives a test a copy of process.env, which native code never sees,
// so the switch needs a process of its own.
import { Batch, BertConfig, NativeBert, NativeBertOptions } from '../../../lib/native';

export const CONFIG: BertConfig = {
  vocabSize: 40, hiddenSize: 32, numHiddenLayers: 3, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 32,
  typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, classifierDropout: null,
  numLabels: 3,
};

export interface RunSpec {
  options: NativeBertOptions;
  config?: Partial<BertConfig>;
  B: number;
  T: number;
  labels: number[];
  floatLabels?: boolean;  // multi-label and regression targets
  fromPrefix?: boolean;   // train from frozenPrefix's hidden state (the classic recipe's cache)
  inferenceOnly?: boolean;  // one forward only (an inference head or precision): its primary output as `logits`
}

export interface RunResult {
  loss: number;
  gradients: Record<string, number[]>;
  updated: Record<string, number[]>;  // the trainable parameters after one AdamW step
  logits: number[];                   // eval-mode forward after the step
  nativeBytes: number;                // after the training call, before the step
}

const HYPER = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

export function makeModel(options: NativeBertOptions, config: Partial<BertConfig> = {}): NativeBert {
  const m = NativeBert.create({ ...CONFIG, ...config }, { device: 'cpu', ...options });
  for (const name of m.parameterNames()) {
    const n = m.parameterShape(name).reduce((a, b) => a * b, 1);
    const ln = name.includes('LayerNorm.weight');
    m.setParameter(name, Float32Array.from({ length: n }, (_, i) => (ln ? 1 : 0) + Math.sin(i * 1.3 + name.length * 0.71) * 0.4));
  }
  return m;
}

// Padded rows (one of full length, one with [CLS] alone unmasked) and both token types.
export function makeBatch(B: number, T: number, vocabSize = CONFIG.vocabSize): Batch {
  const inputIds = new Int32Array(B * T), attentionMask = new Int32Array(B * T), tokenTypeIds = new Int32Array(B * T);
  for (let r = 0; r < B; r++) {
    const length = r === 0 || T < 3 ? T : r === 1 ? 1 : 2 + ((r * 5) % (T - 2));
    for (let t = 0; t < T; t++) inputIds[r * T + t] = (r * 11 + t * 7 + 1) % vocabSize;
    for (let t = 0; t < length; t++) {
      attentionMask[r * T + t] = 1;
      tokenTypeIds[r * T + t] = t >= length / 2 ? 1 : 0;
    }
  }
  return { inputIds, attentionMask, tokenTypeIds, batchSize: B, seqLen: T };
}

export async function runSpec(spec: RunSpec): Promise<RunResult> {
  const m = makeModel(spec.options, spec.config);
  try {
    const batch = makeBatch(spec.B, spec.T);
    if (spec.inferenceOnly) {
      const out = await m.forward(batch);
      return { loss: 0, gradients: {}, updated: {}, logits: Array.from(out.embeddings ?? out.logits), nativeBytes: m.nativeBytes() };
    }
    const labels = spec.floatLabels ? Float32Array.from(spec.labels) : Int32Array.from(spec.labels);
    const key = { scale: 0.7, seed: 9, step: 4 };
    const { loss } = spec.fromPrefix
      ? await m.accumulateGradients({ attentionMask: batch.attentionMask, batchSize: batch.batchSize, seqLen: batch.seqLen },
        labels, { ...key, prefixHidden: await m.frozenPrefix(batch) })
      : await m.accumulateGradients(batch, labels, key);
    const nativeBytes = m.nativeBytes();
    const trainable = m.parameterNames().filter((n) => m.isTrainable(n));
    const gradients: Record<string, number[]> = {};
    for (const name of trainable) gradients[name] = Array.from(m.getGradient(name)!);
    await m.applyOptimizer(HYPER);
    const updated: Record<string, number[]> = {};
    for (const name of trainable) updated[name] = Array.from(m.getParameter(name));
    const logits = Array.from((await m.forward(batch)).logits);
    return { loss, gradients, updated, logits, nativeBytes };
  } finally {
    m.dispose();
  }
}

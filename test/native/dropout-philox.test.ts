// The CPU dropout mask is exactly core/philox.h's contract, bit for bit: the attention-probability dropout of layer 0
// zeroes precisely the elements whose Philox4x32-10 uniform (computed here independently, in TypeScript) is below
// p. The tensor is large enough (18,432 Philox blocks) that the vectorised path (16 blocks at a time) and its scalar
// remainder both run, so a lane or transpose mistake in either shows up as a wrong element.
import { NativeBert, BertConfig } from '../../lib/native';

const M32 = 0xffffffffn;

// philox4x32_10(counter, key)[lane] for counter {lo32(block), hi32(block), site, lo32(step)}, key = seed.
function philoxBlock(block: number, site: number, step: number, seed: bigint): number[] {
  let v = [BigInt(block >>> 0), BigInt(Math.floor(block / 2 ** 32)), BigInt(site), BigInt(step >>> 0)];
  let k0 = seed & M32;
  let k1 = (seed >> 32n) & M32;
  for (let round = 0; round < 10; round++) {
    const p0 = 0xd2511f53n * v[0];
    const p1 = 0xcd9e8d57n * v[2];
    v = [((p1 >> 32n) ^ v[1] ^ k0) & M32, p1 & M32, ((p0 >> 32n) ^ v[3] ^ k1) & M32, p0 & M32];
    k0 = (k0 + 0x9e3779b9n) & M32;
    k1 = (k1 + 0xbb67ae85n) & M32;
  }
  return v.map(Number);
}

test('attention dropout zeroes exactly the elements whose Philox uniform is below p', async () => {
  const p = 0.3;
  const seed = 12345;
  const step = 7;
  const config: BertConfig = {
    vocabSize: 50, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 4, intermediateSize: 64,
    maxPositionEmbeddings: 64, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0,
    attentionProbsDropoutProb: p, classifierDropout: null, numLabels: 2,
  };
  const model = NativeBert.create(config, { head: 'cls' });
  try {
    for (const name of model.parameterNames()) {
      const n = model.parameterShape(name).reduce((a, b) => a * b, 1);
      // Zero weights: every probability is a uniform 1/T, never 0 before dropout, so a 0 afterwards is a drop.
      model.setParameter(name, new Float32Array(n).fill(name.includes('LayerNorm.weight') ? 1 : 0));
    }
    const B = 8, T = 48;
    const batch = { inputIds: new Int32Array(B * T).fill(1), attentionMask: new Int32Array(B * T).fill(1),
      tokenTypeIds: new Int32Array(B * T), batchSize: B, seqLen: T };
    const probs = (await model.forward(batch, { attentionLayers: [0], training: true, seed, step })).attentions[0];
    const site = 1; // model/dropout_sites.h: layer 0's attention probabilities
    let wrong = 0;
    for (let block = 0; block < probs.length / 4; block++) {
      const bits = philoxBlock(block, site, step, BigInt(seed));
      for (let lane = 0; lane < 4; lane++) {
        const uniform = (bits[lane] >>> 8) / 16777216;
        const dropped = probs[block * 4 + lane] === 0;
        if (dropped !== (uniform < p)) wrong++;
      }
    }
    expect(probs.length).toBe(B * 4 * T * T);
    expect(wrong).toBe(0);
  } finally {
    model.dispose();
  }
});

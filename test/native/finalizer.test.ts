// Models that are never disposed are freed by their finalizer once garbage-collected, and models that are disposed
// give their memory back at once. Run in a child process with --expose-gc, where collection can be forced and the
// resident set size measured without jest's own allocations in the way.
import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadBackend } from '../../lib/native';

// The binary the CPU loader resolves (node-gyp-build's rule); the child requires it directly.
const addonPath = (require('node-gyp-build') as { path(dir: string): string }).path(path.resolve(__dirname, '..', '..'));

// 12 models of ~31 MB of parameters each (vocab 30000 x hidden 256, embeddings frozen): ~370 MB if nothing were
// freed (570 MB measured when the models are kept alive). Finalized or disposed, the process stays near one model's
// worth; 120 MB of growth is the bound, far above allocator slack and far below a leak.
const script = `
  const addon = require(${JSON.stringify(addonPath)});
  const config = { vocabSize: 30000, hiddenSize: 256, numHiddenLayers: 1, numAttentionHeads: 4, intermediateSize: 512,
    maxPositionEmbeddings: 64, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0, classifierDropout: null, numLabels: 2 };
  const options = { head: 'cls', trainableLayers: 1, trainEmbeddings: false, device: 'cpu', precision: 'fp32' };
  const settle = () => new Promise((r) => setImmediate(r));
  (async () => {
    const make = () => {
      const m = new addon.BertModel(config, options);
      m.setParameter('bert.embeddings.word_embeddings.weight', new Float32Array(30000 * 256).fill(0.01));
      return m;
    };
    make().dispose();
    global.gc(); await settle();
    const base = process.memoryUsage().rss;
    let peak = base;
    for (let i = 0; i < 12; i++) {
      const m = make();
      if (i % 2 === 0) m.dispose();  // half disposed, half left to the finalizer
      global.gc(); await settle(); global.gc(); await settle();
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    console.log(JSON.stringify({ growthMb: (peak - base) / 2 ** 20 }));
  })();
`;

test('undisposed models are freed by the finalizer; disposed ones at once', () => {
  expect(loadBackend('cpu')).toBeDefined();
  const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(child.status).toBe(0);
  const { growthMb } = JSON.parse(child.stdout.trim().split('\n').pop() as string) as { growthMb: number };
  expect(growthMb).toBeLessThan(120);
});

test('process.exit while a forward runs ends the process cleanly (the worker keeps its share of the model)', () => {
  const exitScript = `
    const addon = require(${JSON.stringify(addonPath)});
    const config = { vocabSize: 100, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 1024,
      maxPositionEmbeddings: 128, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0,
      attentionProbsDropoutProb: 0, classifierDropout: null, numLabels: 2 };
    const m = new addon.BertModel(config, { head: 'cls', trainableLayers: 4, trainEmbeddings: true, device: 'cpu',
      precision: 'fp32' });
    const n = 8 * 128;
    m.forward({ inputIds: new Int32Array(n), attentionMask: new Int32Array(n).fill(1), tokenTypeIds: new Int32Array(n),
      batchSize: 8, seqLen: 128 }, {});
    setTimeout(() => process.exit(0), 5);
  `;
  const child = spawnSync(process.execPath, ['-e', exitScript], { encoding: 'utf8', timeout: 60_000 });
  expect([child.status, child.signal, child.stderr]).toEqual([0, null, '']);
});

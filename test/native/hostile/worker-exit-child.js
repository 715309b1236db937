// Run by hostile-worker-exit.test.ts as `node worker-exit-child.js <addon> <api> <ending>`: starts a worker_threads Worker
// that creates a model and starts trainStep without awaiting it, then ends with the call in flight — by
// process.exit(0) inside the worker (<ending> = exit) or by worker.terminate() from this thread (terminate).
// <api> = raw (the addon's BertModel) or native-bert (lib/native's NativeBert), both on the addon binary <addon>
// (the one the test's own loader resolves: the sanitizer build under npm run test:asan). This process must live on and print
// what happened; before the fix it died of SIGABRT ("terminate called after throwing an instance of 'Napi::Error'").
'use strict';
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const root = path.resolve(__dirname, '..', '..', '..');

if (isMainThread) {
  const [addon, api, ending] = process.argv.slice(2);
  const worker = new Worker(__filename, { workerData: { addon, api, ending } });
  worker.on('error', (e) => console.log(`worker error: ${e.message}`));
  worker.on('message', () => worker.terminate());
  worker.on('exit', (code) => {
    console.log(`worker exited with ${code}`);
    // A turn of the event loop later the process still runs JS: nothing was left half torn down.
    setTimeout(() => console.log('main thread alive'), 200);
  });
} else {
  const config = {
    vocabSize: 100, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 128,
    maxPositionEmbeddings: 64, typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0.1,
    attentionProbsDropoutProb: 0.1, classifierDropout: null, numLabels: 2,
  };
  const options = { head: 'pooler', trainableLayers: 2, trainEmbeddings: true, device: 'cpu', precision: 'fp32' };
  const B = 8;
  const T = 64;
  const batch = { inputIds: new Int32Array(B * T).fill(5), attentionMask: new Int32Array(B * T).fill(1),
    tokenTypeIds: new Int32Array(B * T), batchSize: B, seqLen: T };
  const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, maxGradNorm: 1, seed: 1, step: 1 };
  let model;
  if (workerData.api === 'raw') {
    model = new (require(workerData.addon).BertModel)(config, options);
  } else {
    // lib/native finds its addon through node-gyp-build: answer that lookup with <addon>.
    const loader = Object.assign(() => require(workerData.addon), { path: () => workerData.addon });
    require.cache[require.resolve('node-gyp-build', { paths: [root] })] = { loaded: true, exports: loader };
    require(path.join(root, 'test', 'ts-register.js'));
    const { NativeBert } = require(path.join(root, 'lib', 'native'));
    model = NativeBert.create(config, options);
  }
  model.trainStep(batch, new Int32Array(B), hyper);
  if (workerData.ending === 'exit') process.exit(0);
  parentPort.postMessage('terminate me');
}

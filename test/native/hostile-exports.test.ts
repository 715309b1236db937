// The production addons export the model API and nothing a test or a benchmark alone needs (issue 10): the
// engine's gradchecks and the raw GEMM kernels, which take pointers-and-strides arguments that a model call never
// does, live in the test-only addon (native/test-addon), which `npm install` does not build; the CUDA addon's
// per-op runner lives in the test-only CUDA addon (test/cuda/exports.test.ts checks the CUDA build under test).
import * as fs from 'fs';
import { loadBackend } from '../../lib/native';
import { cudaAddonPath } from '../../lib/native/cuda';
import { loadTestAddon } from '../test-addon/load';
import { CUDA_PRODUCTION_EXPORTS, PRODUCTION_EXPORTS, exportedNames, exportedNamesInChild } from './exported-names';

test('the production addon exports the model API only', () => {
  expect(exportedNames(loadBackend('cpu'))).toEqual(PRODUCTION_EXPORTS);
});

test('the test addon has the test entry points, on the same kernel family', () => {
  const testAddon = loadTestAddon();
  expect(exportedNames(testAddon)).toEqual(['attentionPaths', 'gradcheckOps', 'int8.activeFamily', 'int8.families',
    'int8.linear', 'kernels.gemmActiveIsa', 'kernels.gemmBf16Available', 'kernels.gemmBf16Isas', 'kernels.gemmIsas',
    'kernels.sgemm',
    'kernels.sgemmStridedBatched', 'linearBf16.run', 'linearBf16.supported']);
  expect(testAddon.kernels.gemmActiveIsa()).toBe(loadBackend('cpu').kernels.gemmActiveIsa());
  expect(testAddon.int8.activeFamily()).toBe(loadBackend('cpu').kernels.gemmActiveIsa('int8'));
});

// The real CUDA build (nvcc, `node scripts/build-cuda.js`) loads without a GPU, so its exports are checked wherever
// it has been built; where it has not, the emulated build's are (test/cuda/exports.test.ts, project cuda-emulated).
const cudaAddon = cudaAddonPath();
(fs.existsSync(cudaAddon) ? test : test.skip)(`the CUDA addon ${cudaAddon} exports the model API and its probe only`,
  () => {
    expect(exportedNamesInChild(cudaAddon)).toEqual(CUDA_PRODUCTION_EXPORTS);
  });

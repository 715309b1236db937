// The CUDA addon this suite runs against (the real build on a GPU, the emulated one in project cuda-emulated)
// exports the model API and its probe, nothing test-only; runBackendOp is in the test-only CUDA addon of the same
// build. test/native/hostile-exports.test.ts checks a real build's exports on machines without a GPU.
import { exportedNames, CUDA_PRODUCTION_EXPORTS } from '../native/exported-names';
import { loadCudaTestAddon } from './backend-ops';
import { describeCuda } from './cuda-env';

describeCuda('the CUDA addons export', (addon) => {
  test('the production one: the model API and the probe only', () => {
    expect(exportedNames(addon)).toEqual(CUDA_PRODUCTION_EXPORTS);
  });

  test('the test-only one: runBackendOp', () => {
    expect(exportedNames(loadCudaTestAddon())).toEqual(['runBackendOp']);
  });
});

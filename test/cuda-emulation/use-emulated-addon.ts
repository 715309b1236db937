export {};  // a module, so its names stay local
// setupFiles of the jest project 'cuda-emulated': points lib/native/cuda.ts (BERTNODE_CUDA_ADDON) at the emulated
// CUDA addon that global-setup.ts built, and test/cuda/backend-ops.ts (BERTNODE_CUDA_TEST_ADDON) at the emulated
// test-only one, inside this test file's environment only. Without one, the test file fails
// with the build's error instead of skipping as if there were no GPU.
const addon = process.env.BERTNODE_EMULATED_CUDA_ADDON;
if (!addon) {
  throw new Error(`the emulated CUDA addon was not built: ${process.env.BERTNODE_EMULATED_CUDA_BUILD_ERROR ??
    'global-setup.ts did not run'}`);
}
process.env.BERTNODE_CUDA_ADDON = addon;
process.env.BERTNODE_CUDA_TEST_ADDON = process.env.BERTNODE_EMULATED_CUDA_TEST_ADDON;

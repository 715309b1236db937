// globalSetup of the jest project 'cuda-emulated' (jest.config.js): builds the emulated CUDA addon and the test-only
// one (build.ts) once per jest run and hands their paths to the test processes through BERTNODE_EMULATED_CUDA_ADDON
// and BERTNODE_EMULATED_CUDA_TEST_ADDON, variables only use-emulated-addon.ts reads, so the real 'cuda' project of the same run never sees the emulation.
//
// The suite runs under the alternating schedule (shim/cuda_runtime.h: each kernel's launches take turns between
// forward and reverse thread order) unless BERTNODE_EMULATION_SCHEDULE says otherwise, so a missing barrier shows
// whichever order exposes it. Kernels without atomics give the same bits in both orders, so the suite's
// determinism tests are unaffected. A failed build does not stop the other projects: it is reported by every test
// file of this one.
import { buildEmulatedCudaAddons } from './build';

export default async function globalSetup(): Promise<void> {
  process.env.BERTNODE_EMULATION_SCHEDULE ??= 'alternate';
  try {
    const addons = await buildEmulatedCudaAddons();
    process.env.BERTNODE_EMULATED_CUDA_ADDON = addons.production;
    process.env.BERTNODE_EMULATED_CUDA_TEST_ADDON = addons.test;
  } catch (e) {
    process.env.BERTNODE_EMULATED_CUDA_BUILD_ERROR = (e as Error).message.slice(0, 8000);
  }
}

// globalSetup of the jest project 'cuda-emulated' (jest.config.js): builds the emulated CUDA addon (build.ts) once
// per jest run and hands its path to the test processes through BERTNODE_EMULATED_CUDA_ADDON, a variable only
// use-emulated-addon.ts reads, so the real 'cuda' project of the same run never sees the emulation.
//
// The suite runs under the reverse schedule (shim/cuda_runtime.h) unless BERTNODE_EMULATION_SCHEDULE says
// otherwise: kernels.test.ts already runs every kernel in both orders, so the whole-addon suite takes the order in
// which a missing barrier is least likely to go unseen (thread 0, which often writes shared memory, runs last).
// A failed build does not stop the other projects: it is reported by every test file of this one.
import { buildEmulatedCudaAddon } from './build';

export default async function globalSetup(): Promise<void> {
  process.env.BERTNODE_EMULATION_SCHEDULE ??= 'reverse';
  try {
    process.env.BERTNODE_EMULATED_CUDA_ADDON = await buildEmulatedCudaAddon();
  } catch (e) {
    process.env.BERTNODE_EMULATED_CUDA_BUILD_ERROR = (e as Error).message.slice(0, 8000);
  }
}

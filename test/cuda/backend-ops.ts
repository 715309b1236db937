// The test-only CUDA addon (bertnode_cuda_test.node: native/test-addon/cuda_backend_ops.cpp), typed as it exports.
// Its runBackendOp runs one Backend op (native/model/backend.h) on the device asked, with raw sizes nobody checks,
// which is why the production CUDA addon does not have it. Load it only inside describeCuda (cuda-env.ts): the
// production addon of the same build has then been probed in a child process and loaded.
export type BackendTensors = Record<string, Float32Array | Int32Array>;

export interface CudaTestAddon {
  runBackendOp(device: string, precision: string, op: string, tensors: BackendTensors,
    params: Record<string, number>): BackendTensors;
}

// Plain JS shared with the GPU scripts (no npm there), so it is required rather than imported. It finds the addon
// (BERTNODE_CUDA_TEST_ADDON, or where `node scripts/build-cuda.js --tests` writes it) and throws, saying how to
// build it, when it is absent: a CUDA suite that runs must not pass without its op tests.
const { loadCudaTestAddon: load } = require('../../scripts/gpu-check/load-cuda.js') as {
  loadCudaTestAddon(): CudaTestAddon;
};

export const loadCudaTestAddon = load;

// Proof that the emulation's bug detectors fire (shim/emulated_device.h, shim/cuda_runtime.h, shim/cublas_v2.h):
// each mode below commits one GPU bug on purpose; shim.test.ts runs the modes and checks the emulation reports it.
// Written like a .cu file and rewritten by build.ts like native/cuda's; built with
// BERTNODE_EMULATION_DEVICE_POINTERS_ONLY, like the emulated addon.
//
//   host-read      host code reads device memory: must abort, naming a host dereference;
//   overrun        a kernel writes one element past a buffer of 64 floats: must abort, naming a write past the end;
//   shuffle-exited half a warp returns before a full-mask warp shuffle: must abort, naming the exited lane;
//   barrier        prints, as JSON, what a kernel that reads its neighbour's shared-memory slot returns without and
//                  with __syncthreads (the test runs it in both schedules: without the barrier they must differ, and
//                  a slot read before it is written is NaN, printed as null: shared memory starts undefined);
//   statuses       prints, as JSON, the status of each misuse the API must reject, and a few facts about device
//                  memory (new memory is not zero, cudaMemGetInfo counts what is held, TF32 rounds).
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

__global__ void fill(float* out, int n) {
  for (int i = threadIdx.x; i <= n; i += blockDim.x) out[i] = 1.0f;  // `<= n`: one past the end
}

__global__ void neighbourWithoutBarrier(float* out) {
  __shared__ float slots[32];
  slots[threadIdx.x] = static_cast<float>(threadIdx.x + 1);
  out[threadIdx.x] = slots[(threadIdx.x + 1) % 32];
}

__global__ void neighbourWithBarrier(float* out) {
  __shared__ float slots[32];
  slots[threadIdx.x] = static_cast<float>(threadIdx.x + 1);
  __syncthreads();
  out[threadIdx.x] = slots[(threadIdx.x + 1) % 32];
}

__global__ void touch(float* out) { out[threadIdx.x] = 0.0f; }

// Half the warp leaves before a full-mask shuffle.
__global__ void shuffleAfterExit(float* out) {
  if (threadIdx.x >= 16) return;
  out[threadIdx.x] = __shfl_xor_sync(0xffffffffu, static_cast<float>(threadIdx.x), 1);
}

void* deviceBuffer(size_t bytes) {
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) std::abort();
  return p;
}

std::string neighbours(void (*kernel)(float*)) {
  float* device = static_cast<float*>(deviceBuffer(32 * sizeof(float)));
  kernel<<<1, 32, 0, nullptr>>>(device);
  std::vector<float> host(32);
  cudaMemcpy(host.data(), device, 32 * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(device);
  std::string json = "[";
  for (int i = 0; i < 32; ++i)
    json += (i ? "," : "") + (std::isnan(host[i]) ? std::string("null") : std::to_string(static_cast<int>(host[i])));
  return json + "]";
}

float gemm1x1(cublasHandle_t handle, float a, cublasComputeType_t compute) {
  float* d = static_cast<float*>(deviceBuffer(3 * sizeof(float)));
  const float host[3] = {a, 1.0f, 0.0f}, one = 1.0f, zero = 0.0f;
  cudaMemcpy(d, host, sizeof host, cudaMemcpyHostToDevice);
  cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, &one, d, CUDA_R_32F, 1, d + 1, CUDA_R_32F, 1, &zero, d + 2,
               CUDA_R_32F, 1, compute, CUBLAS_GEMM_DEFAULT);
  float c = 0;
  cudaMemcpy(&c, d + 2, sizeof c, cudaMemcpyDeviceToHost);
  cudaFree(d);
  return c;
}

void statuses() {
  std::vector<std::pair<std::string, long long>> out;
  auto add = [&](const char* name, long long value) { out.emplace_back(name, value); };
  size_t free0 = 0, free1 = 0, free2 = 0, total = 0;
  cudaMemGetInfo(&free0, &total);
  float* d = static_cast<float*>(deviceBuffer(1 << 20));
  cudaMemGetInfo(&free1, &total);
  float first = 0;
  cudaMemcpy(&first, d, sizeof first, cudaMemcpyDeviceToHost);
  add("newMemoryIsNaN", std::isnan(first));
  add("memGetInfoDropBytes", static_cast<long long>(free0 - free1));

  float host[4] = {};
  add("copyWrongKind", cudaMemcpy(d, host, sizeof host, cudaMemcpyDeviceToHost));
  add("copyPastEnd", cudaMemcpy(d + (1 << 18) - 2, host, sizeof host, cudaMemcpyHostToDevice));
  add("memsetHostMemory", cudaMemsetAsync(host, 0, sizeof host, nullptr));
  add("freeInterior", cudaFree(d + 1));
  cudaGetLastError();

  touch<<<1, 2048, 0, nullptr>>>(d);
  add("launchTooManyThreads", cudaGetLastError());
  touch<<<1, 4, 0, nullptr>>>(host);
  add("launchHostPointer", cudaGetLastError());
  cudaStream_t stream = nullptr;
  cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  cudaStreamDestroy(stream);
  touch<<<1, 4, 0, stream>>>(d);
  add("launchDestroyedStream", cudaGetLastError());

  cublasHandle_t handle = nullptr;
  cublasCreate(&handle);
  const float one = 1.0f, zero = 0.0f;
  add("cublasHostOperand", cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, host, CUDA_R_32F, 2, d,
                                        CUDA_R_32F, 2, &zero, d, CUDA_R_32F, 2, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  add("cublasOperandPastEnd", cublasGemmEx(handle, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, d + (1 << 18) - 3,
                                           CUDA_R_32F, 2, d, CUDA_R_32F, 2, &zero, d, CUDA_R_32F, 2,
                                           CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  add("cublasNoHandle", cublasGemmEx(nullptr, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, d, CUDA_R_32F, 2, d,
                                     CUDA_R_32F, 2, &zero, d, CUDA_R_32F, 2, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  const float a = 1.0f + std::ldexp(1.0f, -12);  // below TF32's 10-bit mantissa
  add("gemmFp32KeepsLowBits", gemm1x1(handle, a, CUBLAS_COMPUTE_32F) == a);
  add("gemmTf32RoundsLowBits", gemm1x1(handle, a, CUBLAS_COMPUTE_32F_FAST_TF32) == 1.0f);
  cublasDestroy(handle);

  add("free", cudaFree(d));
  add("doubleFree", cudaFree(d));
  cudaGetLastError();
  cudaMemGetInfo(&free2, &total);
  add("memGetInfoRestored", free2 == free0);
  void* huge = nullptr;
  add("mallocBeyondCapacity", cudaMalloc(&huge, total + 1));

  std::printf("{");
  for (size_t i = 0; i < out.size(); ++i) std::printf("%s\"%s\":%lld", i ? "," : "", out[i].first.c_str(), out[i].second);
  std::printf("}\n");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "host-read") {
    float* d = static_cast<float*>(deviceBuffer(64));
    std::printf("%f\n", static_cast<double>(*static_cast<volatile float*>(d)));
  } else if (mode == "overrun") {
    float* d = static_cast<float*>(deviceBuffer(64 * sizeof(float)));
    fill<<<1, 32, 0, nullptr>>>(d, 64);
  } else if (mode == "shuffle-exited") {
    float* d = static_cast<float*>(deviceBuffer(32 * sizeof(float)));
    shuffleAfterExit<<<1, 32, 0, nullptr>>>(d);
  } else if (mode == "barrier") {
    std::printf("{\"without\":%s,\"with\":%s}\n", neighbours(neighbourWithoutBarrier).c_str(),
                neighbours(neighbourWithBarrier).c_str());
  } else if (mode == "statuses") {
    statuses();
  } else {
    std::fprintf(stderr, "usage: shim_checks host-read|overrun|shuffle-exited|barrier|statuses\n");
    return 2;
  }
  return 0;
}

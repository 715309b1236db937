// A host emulation of the CUDA execution model, just enough to run bertnode's kernels (native/cuda/*.cu, launch syntax
// rewritten to emulateLaunch by kernels.test.ts) on a machine without a GPU: every thread of a block is a std::thread,
// __syncthreads and warp shuffles are real barriers and exchanges between them, blocks run one after another, and
// __shared__ becomes static storage. What it proves: indexing, bounds, warp and block reductions, the two-pass
// column sums, in-place aliasing and the Philox mask mapping, against the CPU ops. What it cannot: the GPU's memory
// model and scheduling, CUDA's own erff/expf/tanhf (host libm is used), cuBLAS, performance.
#pragma once
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>
#include <algorithm>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct dim3 { unsigned x = 1, y = 1, z = 1; dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
using uint3 = dim3;
inline thread_local dim3 threadIdx, blockIdx, blockDim, gridDim;
typedef struct CUstream_st* cudaStream_t;
typedef int cudaError_t;
constexpr cudaError_t cudaSuccess = 0;
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorName(cudaError_t) { return "emulated"; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated"; }
inline int min(int a, int b) { return a < b ? a : b; }

namespace emu {
inline thread_local std::barrier<>* blockBarrier;
inline thread_local std::barrier<>* warpBarrier;
inline thread_local double* warpExchange;  // 32 slots of the current warp
}
inline void __syncthreads() { emu::blockBarrier->arrive_and_wait(); }
template <typename T> T __shfl_xor_sync(unsigned, T v, int offset) {
  int lane = threadIdx.x % 32;
  emu::warpExchange[lane] = static_cast<double>(v);
  emu::warpBarrier->arrive_and_wait();
  T other = static_cast<T>(emu::warpExchange[lane ^ offset]);
  emu::warpBarrier->arrive_and_wait();
  return other;
}
inline float atomicAdd(float* p, float v) { return std::atomic_ref<float>(*p).fetch_add(v); }

// One std::thread per thread of a block, reused for every block of the launch (blocks run one after another, which
// is one legal CUDA schedule); a barrier separates blocks so __shared__ (static here) is never used by two at once.
template <typename... KArgs, typename... Args>
void emulateLaunch(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t, cudaStream_t, Args... args) {
  unsigned threads = block.x * block.y;
  std::barrier<> blockBar(threads);
  std::barrier<> betweenBlocks(threads);
  unsigned warps = (threads + 31) / 32;
  std::vector<std::unique_ptr<std::barrier<>>> warpBars;
  for (unsigned w = 0; w < warps; ++w) warpBars.emplace_back(new std::barrier<>(std::min(32u, threads - 32 * w)));
  std::vector<double> exchange(warps * 32);
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      threadIdx = dim3(t % block.x, t / block.x);
      blockDim = block;
      gridDim = grid;
      emu::blockBarrier = &blockBar;
      emu::warpBarrier = warpBars[t / 32].get();
      emu::warpExchange = exchange.data() + (t / 32) * 32;
      for (unsigned by = 0; by < grid.y; ++by)
        for (unsigned bx = 0; bx < grid.x; ++bx) {
          blockIdx = dim3(bx, by);
          kernel(args...);
          betweenBlocks.arrive_and_wait();
        }
    });
  for (auto& th : pool) th.join();
}

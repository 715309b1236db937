// A host emulation of the CUDA execution model, just enough to run bertnode's kernels (native/cuda/*.cu, launch syntax
// rewritten to emulateLaunch by kernels.test.ts) on a machine without a GPU. Every thread of a block is a fiber
// (ucontext) on the calling thread; __syncthreads and warp shuffles suspend a fiber until every live thread of its
// block (or warp) has reached the same point, then release them together; blocks run one after another and
// __shared__ becomes static storage. Fibers make the run deterministic and independent of the machine's load (OS
// threads with barriers slowed down a hundredfold on two busy cores). What it proves: indexing, bounds, warp and
// block reductions, the two-pass column sums, in-place aliasing and the Philox mask mapping, against the CPU ops.
// What it cannot: the GPU's memory model and scheduling, CUDA's own erff/expf/tanhf (host libm is used), cuBLAS
// (shim/cublas_v2.h writes out its documented semantics), performance.
#pragma once
#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
using uint3 = dim3;
// Set by the scheduler each time it resumes a fiber, so a kernel always sees its own thread's values.
inline dim3 threadIdx, blockIdx, blockDim, gridDim;

typedef struct CUstream_st* cudaStream_t;
typedef int cudaError_t;
constexpr cudaError_t cudaSuccess = 0;
constexpr cudaError_t cudaErrorMemoryAllocation = 2;
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline const char* cudaGetErrorName(cudaError_t) { return "emulated"; }
inline const char* cudaGetErrorString(cudaError_t) { return "emulated"; }
// Only referenced by cuda_check.h's deviceMalloc (the emulated launchers get host memory from the test).
inline cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  *ptr = std::malloc(bytes);
  return *ptr ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline int min(int a, int b) { return a < b ? a : b; }

namespace emu {

enum class Wait { None, Warp, Block };

struct Fiber {
  ucontext_t context;
  std::vector<char> stack;
  dim3 thread;
  unsigned linear = 0;  // x + y * blockDim.x: lanes are numbered this way, warps are runs of 32
  Wait wait = Wait::None;
  bool done = false;
};

inline ucontext_t scheduler;
inline Fiber* current = nullptr;
inline std::function<void()> kernelCall;
inline std::vector<double> exchange;  // shuffle slots, 32 per warp

inline void trampoline() {
  kernelCall();
  current->done = true;
  swapcontext(&current->context, &scheduler);
}

inline void suspend(Wait kind) {
  current->wait = kind;
  swapcontext(&current->context, &scheduler);
}

// Releases the threads waiting at a barrier that all live threads of its scope have reached; false if none can go.
inline bool release(std::vector<Fiber>& fibers) {
  bool anyLive = false, allAtBlock = true;
  for (Fiber& f : fibers)
    if (!f.done) {
      anyLive = true;
      allAtBlock = allAtBlock && f.wait == Wait::Block;
    }
  if (anyLive && allAtBlock) {
    for (Fiber& f : fibers) f.wait = Wait::None;
    return true;
  }
  bool released = false;
  for (size_t w = 0; w * 32 < fibers.size(); ++w) {
    size_t end = std::min(fibers.size(), w * 32 + 32);
    bool live = false, allAtWarp = true;
    for (size_t i = w * 32; i < end; ++i)
      if (!fibers[i].done) {
        live = true;
        allAtWarp = allAtWarp && fibers[i].wait == Wait::Warp;
      }
    if (live && allAtWarp) {
      for (size_t i = w * 32; i < end; ++i) fibers[i].wait = Wait::None;
      released = true;
    }
  }
  return released;
}

}  // namespace emu

inline void __syncthreads() { emu::suspend(emu::Wait::Block); }

template <typename T>
T __shfl_xor_sync(unsigned, T value, int offset) {
  unsigned lane = emu::current->linear % 32;
  double* slots = emu::exchange.data() + emu::current->linear / 32 * 32;
  slots[lane] = static_cast<double>(value);
  emu::suspend(emu::Wait::Warp);
  T other = static_cast<T>(slots[lane ^ static_cast<unsigned>(offset)]);
  emu::suspend(emu::Wait::Warp);  // nobody overwrites a slot before every lane has read
  return other;
}

inline float atomicAdd(float* address, float value) {
  float old = *address;
  *address = old + value;
  return old;
}

// Runs every block of the grid in turn, each as blockDim fibers scheduled round-robin between barriers.
template <typename... KArgs, typename... Args>
void emulateLaunch(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t, cudaStream_t, Args... args) {
  const unsigned threads = block.x * block.y;
  std::vector<emu::Fiber> fibers(threads);
  emu::exchange.assign((threads + 31) / 32 * 32, 0.0);
  emu::kernelCall = [&] { kernel(args...); };
  blockDim = block;
  gridDim = grid;
  for (unsigned by = 0; by < grid.y; ++by)
    for (unsigned bx = 0; bx < grid.x; ++bx) {
      blockIdx = dim3(bx, by);
      for (unsigned t = 0; t < threads; ++t) {
        emu::Fiber& f = fibers[t];
        f.stack.resize(1 << 16);
        f.thread = dim3(t % block.x, t / block.x);
        f.linear = t;
        f.wait = emu::Wait::None;
        f.done = false;
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = f.stack.data();
        f.context.uc_stack.ss_size = f.stack.size();
        f.context.uc_link = nullptr;
        makecontext(&f.context, emu::trampoline, 0);
      }
      for (;;) {
        for (emu::Fiber& f : fibers) {
          if (f.done || f.wait != emu::Wait::None) continue;
          emu::current = &f;
          threadIdx = f.thread;
          swapcontext(&emu::scheduler, &f.context);  // runs f to its next barrier or to its end
        }
        bool live = false;
        for (const emu::Fiber& f : fibers) live = live || !f.done;
        if (!live) break;
        if (!emu::release(fibers)) {
          std::fprintf(stderr, "emulated kernel deadlocked: threads wait at barriers that cannot all be reached\n");
          std::abort();
        }
      }
    }
}

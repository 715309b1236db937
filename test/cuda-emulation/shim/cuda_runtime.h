// A host emulation of the CUDA execution model, enough to run bertnode's kernels (native/cuda/*.cu, rewritten by
// ../build.ts: launches become emulateLaunch, __shared__ declarations register themselves) and, with
// emulated_device.h (device memory, streams, device queries) and cublas_v2.h, the whole CUDA addon on a machine
// without a GPU. Used by kernels.test.ts (each kernel against the CPU op), shim.test.ts (the detectors below fire)
// and the jest project 'cuda-emulated' (test/cuda against the emulated addon).
//
// Every thread of a block is a fiber on the calling host thread (a stack of its own; switched by a few instructions
// on x86-64, by ucontext elsewhere); __syncthreads and warp shuffles suspend a fiber until every live thread of its
// block (or warp) has reached the same point, then release them together; blocks run one after another. Fibers make
// a run deterministic and independent of the machine's load (OS threads with barriers slowed down a hundredfold on
// two busy cores).
//
// Checked, as a GPU would fail or misbehave:
//   - missing barriers: between two barriers the fibers run one after another, each to its next barrier, in the
//     order BERTNODE_EMULATION_SCHEDULE selects: "forward" (default: thread 0 first, block 0 first), "reverse"
//     (last thread and last block first) or "alternate" (each kernel's launches take turns). A thread reading
//     shared memory another has not yet written, or a kernel depending on the order of blocks, gives a different
//     result in one of the orders: kernels.test.ts runs both, the emulated test/cuda suite alternates;
//   - undefined shared memory: each block starts with its __shared__ variables filled with NaN bytes;
//   - warp shuffles whose mask names an exited or missing lane, and barriers that can never all be reached (abort);
//   - launch limits (cudaErrorInvalidConfiguration), stream handles, and with BERTNODE_EMULATION_DEVICE_POINTERS_ONLY
//     pointer arguments that are not device memory (cudaErrorIllegalAddress, from the launch's cudaGetLastError);
//   - with emulated_device.h: host dereferences of device memory, accesses past a buffer, use after free,
//     reliance on zeroed memory, memory not returned (see there).
// Atomics are not provided: no kernel uses them (every reduction has a fixed order, so runs repeat bit for bit),
// and a kernel that starts to would have to meet kernels.test.ts's check that both schedules agree exactly.
// Not proven: the GPU's memory model and its real scheduling (interleavings inside a barrier interval, warps in
// lockstep, concurrent blocks, several streams — work runs in order at enqueue time), CUDA's own erff/expf/tanhf
// (host libm stands in), cuBLAS itself (cublas_v2.h writes out its documented semantics in a plain fp32 loop), the
// nvcc build's code generation (--fmad=false, sm_80/sm_90), performance. Those need test/cuda on a real GPU.
#pragma once
#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "emulated_device.h"

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

inline int min(int a, int b) { return a < b ? a : b; }

namespace emu {

// A fiber's saved state and the switch between two of them. On x86-64 the switch saves the callee-saved registers
// on the old stack and swaps stack pointers (the kernels never change the FPU control words, so they are not
// saved): ucontext's swapcontext makes a signal-mask system call per switch, which made the emulated training
// tests spend most of their time in the kernel. Elsewhere ucontext does the same job, slower.
#if defined(__x86_64__)
struct FiberContext {
  void* sp = nullptr;
};

// Saves the running fiber's callee-saved registers on its stack and its stack pointer in *from, then resumes the
// fiber whose stack pointer is `to`.
__attribute__((naked, noinline)) static void switchStack(void** /*from*/, void* /*to*/) {
  asm volatile(
      "pushq %rbp\n\t"
      "pushq %rbx\n\t"
      "pushq %r12\n\t"
      "pushq %r13\n\t"
      "pushq %r14\n\t"
      "pushq %r15\n\t"
      "movq %rsp, (%rdi)\n\t"
      "movq %rsi, %rsp\n\t"
      "popq %r15\n\t"
      "popq %r14\n\t"
      "popq %r13\n\t"
      "popq %r12\n\t"
      "popq %rbx\n\t"
      "popq %rbp\n\t"
      "ret\n\t");
}

inline void switchFiber(FiberContext* from, FiberContext* to) { switchStack(&from->sp, to->sp); }

// A fresh stack whose first switch "returns" into entry, with the stack aligned as at a function's entry.
inline void prepareFiber(FiberContext* context, char* stack, size_t bytes, void (*entry)()) {
  auto top = reinterpret_cast<uintptr_t>(stack + bytes) & ~uintptr_t{15};
  auto* sp = reinterpret_cast<void**>(top);
  *--sp = nullptr;                               // entry never returns: no return address
  *--sp = reinterpret_cast<void*>(entry);        // popped by the switch's ret
  for (int i = 0; i < 6; ++i) *--sp = nullptr;  // rbp rbx r12 r13 r14 r15
  context->sp = sp;
}
#else
struct FiberContext {
  ucontext_t context;
};

inline void switchFiber(FiberContext* from, FiberContext* to) { swapcontext(&from->context, &to->context); }

inline void prepareFiber(FiberContext* context, char* stack, size_t bytes, void (*entry)()) {
  getcontext(&context->context);
  context->context.uc_stack.ss_sp = stack;
  context->context.uc_stack.ss_size = bytes;
  context->context.uc_link = nullptr;
  makecontext(&context->context, entry, 0);
}
#endif

enum class Wait { None, Warp, Block };

constexpr size_t kFiberStackBytes = 1 << 16;

struct Fiber {
  FiberContext context;
  std::unique_ptr<char[]> stack;  // allocated once, reused by every launch (pages are touched only as used)
  dim3 thread;
  unsigned linear = 0;  // x + y * blockDim.x + z * blockDim.x * blockDim.y: lanes are numbered this way
  Wait wait = Wait::None;
  unsigned shuffleMask = 0;  // the mask of the warp shuffle this fiber waits at
  unsigned shuffles = 0;     // warp shuffles done in this block: their parity picks the exchange buffer
  bool done = false;
};

// How many threads of the running block are live and how many wait at each barrier, kept as they suspend and
// finish, so releasing a barrier costs O(warps) rather than a scan of every thread.
struct BlockCounts {
  unsigned live = 0;
  unsigned atBlock = 0;
  std::vector<unsigned> warpLive, atWarp;
};

inline FiberContext scheduler;
inline Fiber* current = nullptr;
inline std::function<void()> kernelCall;
// Shuffle slots: two buffers of 32 per warp, used alternately, so a lane can write its next value while a slower
// lane still reads the previous one (the shuffle in between is a warp barrier, so a buffer is never overwritten
// before every lane has read it).
inline std::vector<double> exchange;
inline size_t exchangeStride = 0;  // slots per buffer
inline std::vector<Fiber> fiberPool;
inline BlockCounts counts;

enum class Schedule { Forward, Reverse, Alternate };

inline Schedule schedule() {
  static const Schedule chosen = [] {
    const char* value = std::getenv("BERTNODE_EMULATION_SCHEDULE");
    if (value == nullptr || *value == '\0' || std::strcmp(value, "forward") == 0) return Schedule::Forward;
    if (std::strcmp(value, "reverse") == 0) return Schedule::Reverse;
    if (std::strcmp(value, "alternate") == 0) return Schedule::Alternate;
    std::fprintf(stderr, "BERTNODE_EMULATION_SCHEDULE must be 'forward', 'reverse' or 'alternate', not '%s'\n", value);
    std::abort();
  }();
  return chosen;
}

// Whether this launch of `kernel` runs in reverse: under "alternate" each kernel's own launches take turns (first
// forward, then reverse, ...), so every kernel launched twice runs in both orders within one process.
inline bool reverseLaunch(const void* kernel) {
  static std::map<const void*, uint64_t> launches;
  switch (schedule()) {
    case Schedule::Reverse: return true;
    case Schedule::Alternate: return (launches[kernel]++ & 1u) != 0;
    default: return false;
  }
}

inline void trampoline() {
  kernelCall();
  current->done = true;
  --counts.live;
  --counts.warpLive[current->linear / 32];
  switchFiber(&current->context, &scheduler);  // never resumed: the next launch prepares the fiber afresh
}

inline void suspend(Wait kind) {
  current->wait = kind;
  if (kind == Wait::Block)
    ++counts.atBlock;
  else
    ++counts.atWarp[current->linear / 32];
  switchFiber(&current->context, &scheduler);
}

// A warp shuffle's mask must name exactly the lanes that execute it: a lane that has exited, or that does not exist
// (a block whose size is not a multiple of 32), makes the shuffle undefined on a GPU, where the emulation would
// quietly read a stale slot. Such a kernel is reported and the process aborts, as for a deadlock.
inline void checkShuffleMasks(const Fiber* fibers, size_t begin, size_t end) {
  unsigned present = 0;  // lanes that exist and have not exited
  for (size_t i = begin; i < end; ++i)
    if (!fibers[i].done) present |= 1u << (i - begin);
  for (size_t i = begin; i < end; ++i) {
    const unsigned absent = fibers[i].done ? 0 : fibers[i].shuffleMask & ~present;
    if (absent == 0) continue;
    const unsigned lane = static_cast<unsigned>(__builtin_ctz(absent));
    std::fprintf(stderr, "emulated kernel: thread %zu's warp shuffle names lane %u, which %s\n", i, lane,
                 begin + lane >= end ? "does not exist (partial warp)" : "has exited");
    std::abort();
  }
}

// Releases the threads waiting at a barrier that all live threads of its scope have reached; false if none can go.
inline bool release(Fiber* fibers, size_t count) {
  if (counts.live > 0 && counts.atBlock == counts.live) {
    for (size_t i = 0; i < count; ++i) fibers[i].wait = Wait::None;
    counts.atBlock = 0;
    return true;
  }
  bool released = false;
  for (size_t w = 0; w * 32 < count; ++w) {
    if (counts.warpLive[w] == 0 || counts.atWarp[w] != counts.warpLive[w]) continue;
    size_t end = count < w * 32 + 32 ? count : w * 32 + 32;
    checkShuffleMasks(fibers, w * 32, end);
    for (size_t i = w * 32; i < end; ++i) fibers[i].wait = Wait::None;
    counts.atWarp[w] = 0;
    released = true;
  }
  return released;
}

// The limits of every GPU since sm_30 (and so of sm_80/sm_90).
inline bool validLaunch(dim3 grid, dim3 block) {
  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  return threads >= 1 && threads <= 1024 && block.x <= 1024 && block.y <= 1024 && block.z <= 64 && grid.x >= 1 &&
         grid.x <= 0x7FFFFFFFu && grid.y >= 1 && grid.y <= 65535 && grid.z >= 1 && grid.z <= 65535;
}

// With BERTNODE_EMULATION_DEVICE_POINTERS_ONLY, a pointer argument must be null or point into device memory: a host
// pointer handed to a kernel is an illegal address on a GPU.
template <typename T>
bool deviceArgument(const T& value, int index) {
#ifdef BERTNODE_EMULATION_DEVICE_POINTERS_ONLY
  if constexpr (std::is_pointer_v<T>) {
    if (value != nullptr && !isDevicePointer(value)) {
      std::fprintf(stderr, "[bertnode CUDA emulation] kernel argument %d is not device memory: %p\n", index,
                   static_cast<const void*>(value));
      return false;
    }
  }
#endif
  (void)value;
  (void)index;
  return true;
}

template <typename... Args>
bool deviceArguments(const Args&... args) {
  int index = 0;
  bool ok = true;
  ((ok = deviceArgument(args, index++) && ok), ...);
  return ok;
}

// Shared memory starts every block undefined, as on a GPU: build.ts follows each __shared__ declaration with
// registerShared, which fills the variable with 0xFF bytes (NaN as float or double) the first time, and every block
// starts with all registered variables filled again. A thread that reads a slot no thread of its block wrote gets
// NaN, not a value a previous block or launch left in the static.
inline std::vector<std::pair<void*, size_t>> sharedVariables;

inline void registerShared(void* address, size_t bytes) {
  for (const auto& known : sharedVariables)
    if (known.first == address) return;
  sharedVariables.emplace_back(address, bytes);
  std::memset(address, 0xFF, bytes);
}

inline void poisonShared() {
  for (const auto& variable : sharedVariables) std::memset(variable.first, 0xFF, variable.second);
}

}  // namespace emu

inline void __syncthreads() { emu::suspend(emu::Wait::Block); }

template <typename T>
T __shfl_xor_sync(unsigned mask, T value, int offset) {
  emu::Fiber* self = emu::current;
  self->shuffleMask = mask;
  unsigned lane = self->linear % 32;
  double* slots = emu::exchange.data() + (self->shuffles++ & 1u) * emu::exchangeStride + self->linear / 32 * 32;
  slots[lane] = static_cast<double>(value);
  emu::suspend(emu::Wait::Warp);
  return static_cast<T>(slots[lane ^ static_cast<unsigned>(offset)]);
}

// Runs every block of the grid in turn, each as blockDim fibers scheduled between barriers in the chosen order.
// A bad launch runs nothing and leaves its error for cudaGetLastError, as on a GPU.
template <typename... KArgs, typename... Args>
void emulateLaunch(void (*kernel)(KArgs...), dim3 grid, dim3 block, size_t dynamicSharedBytes, cudaStream_t stream,
                   Args... args) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  if (!emu::validStream(stream)) {
    emu::fail(cudaErrorInvalidResourceHandle);
    return;
  }
  // No kernel declares extern __shared__ memory, which this emulation does not provide.
  if (!emu::validLaunch(grid, block) || dynamicSharedBytes != 0) {
    emu::fail(cudaErrorInvalidConfiguration);
    return;
  }
  if (!emu::deviceArguments(args...)) {
    emu::fail(cudaErrorIllegalAddress);
    return;
  }
  emu::DeviceAccess access;
  const unsigned threads = block.x * block.y * block.z;
  if (emu::fiberPool.size() < threads) emu::fiberPool.resize(threads);
  emu::Fiber* fibers = emu::fiberPool.data();
  const unsigned warps = (threads + 31) / 32;
  emu::exchangeStride = size_t{warps} * 32;
  emu::exchange.assign(2 * emu::exchangeStride, 0.0);
  emu::kernelCall = [&] { kernel(args...); };
  blockDim = block;
  gridDim = grid;
  const bool reverse = emu::reverseLaunch(reinterpret_cast<const void*>(kernel));
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  for (uint64_t n = 0; n < blocks; ++n) {
    const uint64_t b = reverse ? blocks - 1 - n : n;
    blockIdx = dim3(static_cast<unsigned>(b % grid.x), static_cast<unsigned>(b / grid.x % grid.y),
                    static_cast<unsigned>(b / grid.x / grid.y));
    emu::poisonShared();
    emu::counts.live = threads;
    emu::counts.atBlock = 0;
    emu::counts.warpLive.assign(warps, 32);
    if (threads % 32 != 0) emu::counts.warpLive.back() = threads % 32;
    emu::counts.atWarp.assign(warps, 0);
    for (unsigned t = 0; t < threads; ++t) {
      emu::Fiber& f = fibers[t];
      if (!f.stack) f.stack.reset(new char[emu::kFiberStackBytes]);
      f.thread = dim3(t % block.x, t / block.x % block.y, t / block.x / block.y);
      f.linear = t;
      f.wait = emu::Wait::None;
      f.shuffles = 0;
      f.done = false;
      emu::prepareFiber(&f.context, f.stack.get(), emu::kFiberStackBytes, emu::trampoline);
    }
    for (;;) {
      for (unsigned i = 0; i < threads; ++i) {
        emu::Fiber& f = fibers[reverse ? threads - 1 - i : i];
        if (f.done || f.wait != emu::Wait::None) continue;
        emu::current = &f;
        threadIdx = f.thread;
        emu::switchFiber(&emu::scheduler, &f.context);  // runs f to its next barrier or to its end
      }
      if (emu::counts.live == 0) break;
      if (!emu::release(fibers, threads)) {
        std::fprintf(stderr, "emulated kernel deadlocked: threads wait at barriers that cannot all be reached\n");
        std::abort();
      }
    }
  }
}

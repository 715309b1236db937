// The emulated device behind shim/cuda_runtime.h: device memory, streams, device queries and error reporting, so the
// whole CUDA addon (cuda_backend.cu, cuda_exports.cpp and the model code) runs on a machine without a GPU.
//
// Device memory is what makes this more than a functional stand-in. Every cudaMalloc gets its own mmap region:
// a guard page, the data pages, a guard page. The buffer is placed so that its end (rounded up to cudaMalloc's
// 256 bytes) touches the trailing guard page. The data pages are PROT_NONE except while an emulated kernel, a
// cudaMemcpy/cudaMemset or a cuBLAS call runs (DeviceAccess), so:
//   - host code that dereferences a device pointer (which on a GPU reads garbage or faults) crashes at once;
//   - a kernel or cuBLAS call that runs past a buffer's end or before its start hits a guard page (of a whole
//     allocation: the model packs its tensors into one arena allocation, so an overrun into a neighbouring tensor
//     is not caught here; it shows as wrong numbers against the CPU);
//   - a use after cudaFree hits unmapped memory (unless a later cudaMalloc was given the same addresses);
//   - new buffers are filled with 0xFF bytes (NaN as float, -1 as int32): code that relies on memory being zeroed
//     (cudaMalloc never zeroes) produces NaNs instead of passing by luck.
// A SIGSEGV handler names which of these happened before aborting. Allocations are counted, so cudaMemGetInfo
// reports what is really held (the "memory freed on dispose" test checks it) and a request beyond the emulated
// capacity fails with cudaErrorMemoryAllocation like a full GPU.
//
// Device memory is open to every host thread while any one runs a device operation, so a dereference racing it
// from another thread goes unseen. Streams execute in order at enqueue time (a kernel runs inside its launch
// call, a copy inside cudaMemcpyAsync): bugs that need two streams or an early host read racing the device cannot
// show here. The device-pointer check of
// kernel and cuBLAS arguments (pointer arguments must point into emulated device memory) is on when
// BERTNODE_EMULATION_DEVICE_POINTERS_ONLY is defined (the emulated addon); test/cuda-emulation/kernels_vs_cpu.cpp
// passes host buffers to the launchers and builds without it.
#pragma once
#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

typedef int cudaError_t;
constexpr cudaError_t cudaSuccess = 0;
constexpr cudaError_t cudaErrorInvalidValue = 1;
constexpr cudaError_t cudaErrorMemoryAllocation = 2;
constexpr cudaError_t cudaErrorInvalidConfiguration = 9;
constexpr cudaError_t cudaErrorInvalidDevice = 101;
constexpr cudaError_t cudaErrorInvalidResourceHandle = 400;
constexpr cudaError_t cudaErrorIllegalAddress = 700;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
};
constexpr unsigned cudaStreamDefault = 0;
constexpr unsigned cudaStreamNonBlocking = 1;

// The fields of the real struct that bertnode reads.
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  int major;
  int minor;
  int multiProcessorCount;
};

struct CUstream_st {
  unsigned flags;
};
typedef CUstream_st* cudaStream_t;

namespace emu {

// One device, reported as an sm_80 part so the backend's architecture check passes; its name says what it is.
constexpr const char* kDeviceName = "bertnode emulated CUDA device (host emulation, no GPU)";
constexpr int kDeviceCount = 1;
constexpr size_t kDeviceBytes = size_t{4} << 30;
constexpr int kRuntimeVersion = 13000;  // the CUDA 13 runtime API this shim follows
constexpr size_t kMallocAlignment = 256;

inline thread_local cudaError_t lastError = cudaSuccess;
inline thread_local int currentDevice = 0;

inline cudaError_t fail(cudaError_t status) {
  lastError = status;
  return status;
}

inline size_t pageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

inline size_t roundUp(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }

struct Allocation {
  char* region;      // the whole mapping: guard page, data pages, guard page
  size_t regionBytes;
  char* pages;       // the data pages
  size_t pageBytes;
  char* data;        // what cudaMalloc returned
  size_t bytes;      // what was asked for
};

// Every device-side structure is guarded by one mutex: launches (the scheduler's state is global), copies and
// cuBLAS calls from different host threads run one at a time, as on one GPU queue.
inline std::recursive_mutex& deviceMutex() {
  static std::recursive_mutex mutex;
  return mutex;
}
inline std::map<uintptr_t, Allocation> allocations;  // by region start
inline size_t allocatedBytes = 0;
inline int accessDepth = 0;
inline std::set<cudaStream_t> streams;

// The allocation whose region (guard pages included) holds `address`, or null.
inline const Allocation* regionOf(const void* address) {
  uintptr_t a = reinterpret_cast<uintptr_t>(address);
  auto next = allocations.upper_bound(a);
  if (next == allocations.begin()) return nullptr;
  const Allocation& candidate = std::prev(next)->second;
  return a < reinterpret_cast<uintptr_t>(candidate.region) + candidate.regionBytes ? &candidate : nullptr;
}

// True when [address, address + bytes) lies inside one device buffer (bytes == 0: address within or one past it).
inline bool isDeviceRange(const void* address, size_t bytes) {
  const Allocation* a = regionOf(address);
  if (a == nullptr) return false;
  const char* p = static_cast<const char*>(address);
  return p >= a->data && p + bytes <= a->data + a->bytes;
}

inline bool isDevicePointer(const void* address) { return isDeviceRange(address, 0); }

// Makes every device buffer readable and writable for the scope of one device operation.
class DeviceAccess {
 public:
  DeviceAccess() : lock_(deviceMutex()) {
    if (accessDepth++ == 0)
      for (auto& entry : allocations) mprotect(entry.second.pages, entry.second.pageBytes, PROT_READ | PROT_WRITE);
  }
  ~DeviceAccess() {
    if (--accessDepth == 0)
      for (auto& entry : allocations) mprotect(entry.second.pages, entry.second.pageBytes, PROT_NONE);
  }
  DeviceAccess(const DeviceAccess&) = delete;
  DeviceAccess& operator=(const DeviceAccess&) = delete;

 private:
  std::lock_guard<std::recursive_mutex> lock_;
};

inline struct sigaction previousSegvAction;

// Names what touched device memory, then aborts; faults elsewhere go to the handler that was there before (Node's
// and V8's own, e.g. WebAssembly bounds traps).
inline void onSegv(int signal, siginfo_t* info, void* context) {
  const Allocation* a = regionOf(info->si_addr);
  if (a == nullptr) {
    if (previousSegvAction.sa_flags & SA_SIGINFO) {
      previousSegvAction.sa_sigaction(signal, info, context);
    } else if (previousSegvAction.sa_handler != SIG_DFL && previousSegvAction.sa_handler != SIG_IGN) {
      previousSegvAction.sa_handler(signal);
    } else {
      sigaction(SIGSEGV, &previousSegvAction, nullptr);  // the default action when the access is retried
    }
    return;
  }
  const char* address = static_cast<const char*>(info->si_addr);
  const char* what = accessDepth == 0
      ? "host code dereferenced emulated device memory (on a GPU this reads garbage or faults)"
      : address < a->data ? "a device operation accessed memory before the start of a device buffer"
                          : "a device operation accessed memory past the end of a device buffer";
  std::fprintf(stderr,
               "[bertnode CUDA emulation] %s: address %p, buffer %p of %zu bytes (offset %td); frames (name them "
               "with addr2line -Cfe <library> <+offset>):\n",
               what, info->si_addr, static_cast<void*>(a->data), a->bytes, address - a->data);
  void* frames[48];
  backtrace_symbols_fd(frames, backtrace(frames, 48), STDERR_FILENO);
  std::abort();
}

inline void installSegvHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = onSegv;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previousSegvAction);
  });
}

inline bool validStream(cudaStream_t stream) { return stream == nullptr || streams.count(stream) != 0; }

}  // namespace emu

inline cudaError_t cudaGetLastError() {
  cudaError_t status = emu::lastError;
  emu::lastError = cudaSuccess;
  return status;
}

inline const char* cudaGetErrorName(cudaError_t status) {
  switch (status) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalAddress: return "cudaErrorIllegalAddress";
    default: return "cudaErrorUnknown";
  }
}

inline const char* cudaGetErrorString(cudaError_t status) {
  switch (status) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument (emulated device)";
    case cudaErrorMemoryAllocation: return "out of memory (emulated device)";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument (emulated device)";
    case cudaErrorInvalidDevice: return "invalid device ordinal (emulated device)";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle (emulated device)";
    case cudaErrorIllegalAddress: return "an illegal memory access was encountered (emulated device)";
    default: return "unknown error (emulated device)";
  }
}

inline cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = emu::kRuntimeVersion;
  return cudaSuccess;
}

// No driver is involved: the kernels run in this process.
inline cudaError_t cudaDriverGetVersion(int* version) {
  *version = 0;
  return cudaSuccess;
}

inline cudaError_t cudaGetDeviceCount(int* count) {
  *count = emu::kDeviceCount;
  return cudaSuccess;
}

inline cudaError_t cudaSetDevice(int device) {
  if (device < 0 || device >= emu::kDeviceCount) return emu::fail(cudaErrorInvalidDevice);
  emu::currentDevice = device;
  return cudaSuccess;
}

inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device < 0 || device >= emu::kDeviceCount) return emu::fail(cudaErrorInvalidDevice);
  std::memset(prop, 0, sizeof *prop);
  std::snprintf(prop->name, sizeof prop->name, "%s", emu::kDeviceName);
  prop->totalGlobalMem = emu::kDeviceBytes;
  prop->major = 8;
  prop->minor = 0;
  prop->multiProcessorCount = 1;
  return cudaSuccess;
}

inline cudaError_t cudaMemGetInfo(size_t* freeBytes, size_t* totalBytes) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  *freeBytes = emu::kDeviceBytes - emu::allocatedBytes;
  *totalBytes = emu::kDeviceBytes;
  return cudaSuccess;
}

inline cudaError_t cudaMalloc(void** ptr, size_t bytes) {
  *ptr = nullptr;
  if (bytes == 0) return cudaSuccess;
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  const size_t page = emu::pageSize();
  const size_t pageBytes = emu::roundUp(bytes, page);
  if (pageBytes > emu::kDeviceBytes - emu::allocatedBytes) return emu::fail(cudaErrorMemoryAllocation);
  emu::installSegvHandler();
  const size_t regionBytes = pageBytes + 2 * page;
  void* region = mmap(nullptr, regionBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) return emu::fail(cudaErrorMemoryAllocation);
  emu::Allocation a;
  a.region = static_cast<char*>(region);
  a.regionBytes = regionBytes;
  a.pages = a.region + page;
  a.pageBytes = pageBytes;
  a.data = a.pages + pageBytes - emu::roundUp(bytes, emu::kMallocAlignment);
  a.bytes = bytes;
  mprotect(a.pages, pageBytes, PROT_READ | PROT_WRITE);
  std::memset(a.pages, 0xFF, pageBytes);
  if (emu::accessDepth == 0) mprotect(a.pages, pageBytes, PROT_NONE);
  emu::allocations[reinterpret_cast<uintptr_t>(a.region)] = a;
  emu::allocatedBytes += pageBytes;
  *ptr = a.data;
  return cudaSuccess;
}

template <typename T>
cudaError_t cudaMalloc(T** ptr, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(ptr), bytes);
}

inline cudaError_t cudaFree(void* ptr) {
  if (ptr == nullptr) return cudaSuccess;
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  const emu::Allocation* a = emu::regionOf(ptr);
  if (a == nullptr || a->data != ptr) return emu::fail(cudaErrorInvalidValue);
  emu::allocatedBytes -= a->pageBytes;
  char* region = a->region;
  munmap(region, a->regionBytes);
  emu::allocations.erase(reinterpret_cast<uintptr_t>(region));
  return cudaSuccess;
}

inline cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  *stream = new CUstream_st{flags};
  emu::streams.insert(*stream);
  return cudaSuccess;
}

inline cudaError_t cudaStreamCreate(cudaStream_t* stream) { return cudaStreamCreateWithFlags(stream, cudaStreamDefault); }

inline cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  if (stream == nullptr || emu::streams.erase(stream) == 0) return emu::fail(cudaErrorInvalidResourceHandle);
  delete stream;
  return cudaSuccess;
}

// Work runs at enqueue time, so there is never anything to wait for; the handle is still checked.
inline cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  return emu::validStream(stream) ? cudaSuccess : emu::fail(cudaErrorInvalidResourceHandle);
}

inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

// The direction must match where the pointers live, and device ranges must lie inside one buffer: real CUDA
// rejects both (cudaErrorInvalidValue), and a kind that names the wrong side is a bug on a GPU.
inline cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                                   cudaStream_t stream = nullptr) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  if (!emu::validStream(stream)) return emu::fail(cudaErrorInvalidResourceHandle);
  if (bytes == 0) return cudaSuccess;
  const bool dstDevice = emu::regionOf(dst) != nullptr, srcDevice = emu::regionOf(src) != nullptr;
  if (kind == cudaMemcpyDefault) kind = static_cast<cudaMemcpyKind>((srcDevice ? 2 : 0) + (dstDevice ? 1 : 0));
  const bool wantDst = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool wantSrc = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (dstDevice != wantDst || srcDevice != wantSrc || (wantDst && !emu::isDeviceRange(dst, bytes)) ||
      (wantSrc && !emu::isDeviceRange(src, bytes)))
    return emu::fail(cudaErrorInvalidValue);
  emu::DeviceAccess access;
  std::memcpy(dst, src, bytes);
  return cudaSuccess;
}

inline cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}

inline cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream = nullptr) {
  std::lock_guard<std::recursive_mutex> lock(emu::deviceMutex());
  if (!emu::validStream(stream)) return emu::fail(cudaErrorInvalidResourceHandle);
  if (bytes == 0) return cudaSuccess;
  if (!emu::isDeviceRange(dst, bytes)) return emu::fail(cudaErrorInvalidValue);
  emu::DeviceAccess access;
  std::memset(dst, value, bytes);
  return cudaSuccess;
}

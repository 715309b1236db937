// int8 Linear driver (gemm_int8.h): packs quantised weights once, quantises the activations of each call, cuts C
// into 32 x 64 blocks for the family's kernel and dequantises each block as it comes out.
//
// Threads: tasks of one 64-column block by up to four 32-row blocks, numbered column block first, so the contiguous
// run of tasks a thread gets reuses one block of packed weights (16 x paddedK bytes per panel) from its cache.
#include "cpu/gemm_int8.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "cpu/gemm_int8_kernels.h"
#include "cpu/gemm_kernels.h"
#include "cpu/quantize.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {
namespace int8_detail {
namespace {

constexpr int kRowBlocksPerTask = 4;
// Below this many multiply-adds a call runs on the calling thread (waking the pool costs more than it saves).
constexpr int64_t kMinParallelWork = int64_t(1) << 20;

int roundUp(int x, int multiple) { return (x + multiple - 1) / multiple * multiple; }

// BERTNODE_CPU_KERNELS as the GEMM dispatch read it (an invalid name throws there): a forced family stands for a CPU
// whose best is that family, so AMX-INT8 only with `amx`, VNNI down to `avx512`, the portable kernel below.
const Int8FamilySpec& selectFamily() {
  const char* forced = gemm_detail::forcedKernelFamily();
  const std::string wanted = forced ? forced : "";
  const bool allowAmx = wanted.empty() || wanted == "amx";
  const bool allowVnni = allowAmx || wanted == "avx512bf16" || wanted == "avx512";
  if (allowAmx && amxInt8Spec()) return *amxInt8Spec();
  if (allowVnni && vnniInt8Spec()) return *vnniInt8Spec();
  return *scalarInt8Spec();
}

const Int8FamilySpec& activeFamily() {
  static const Int8FamilySpec& chosen = selectFamily();
  return chosen;
}

const Int8FamilySpec* findFamily(const std::string& name) {
  for (const Int8FamilySpec* spec : {amxInt8Spec(), vnniInt8Spec(), scalarInt8Spec()}) {
    if (spec && name == spec->name) return spec;
  }
  return nullptr;
}

// The calling thread's buffers for the quantised activations and their scales, grown on demand and kept (a BERT
// forward calls this six times per layer with the same shapes, so steady state allocates and page-faults nothing).
struct ActivationBuffers {
  std::vector<int8_t> rows;
  std::vector<float> scales;
};
thread_local ActivationBuffers tlsActivations;

void run(const Int8FamilySpec& family, const Int8Weights& w, const float* x, int M, const float* bias, float* y) {
  if (M <= 0) return;
  const int paddedM = roundUp(M, kBlockRows);
  std::vector<int8_t>& a = tlsActivations.rows;
  std::vector<float>& rowScales = tlsActivations.scales;
  if (a.size() < static_cast<size_t>(paddedM) * w.paddedK) a.resize(static_cast<size_t>(paddedM) * w.paddedK);
  if (rowScales.size() < static_cast<size_t>(paddedM)) rowScales.resize(static_cast<size_t>(paddedM));
  // Rows M .. paddedM of the last block are read by the kernels (their sums are discarded): zeros keep them finite.
  std::memset(a.data() + static_cast<size_t>(M) * w.paddedK, 0, static_cast<size_t>(paddedM - M) * w.paddedK);
  const bool parallel = numThreads() > 1 && int64_t(M) * w.N * w.K >= kMinParallelWork;
  auto quantizeRows = [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      rowScales[r] = quantizeRowInt8(x + r * w.K, w.K, w.paddedK, a.data() + r * w.paddedK);
    }
  };
  const int colBlocks = w.paddedN / kBlockCols;
  const int rowBlocks = paddedM / kBlockRows;
  const int rowChunks = (rowBlocks + kRowBlocksPerTask - 1) / kRowBlocksPerTask;
  const int64_t panelBytes = int64_t(kPanelCols) * w.paddedK;
  auto blocks = [&](size_t begin, size_t end) {
    alignas(64) int32_t c[kBlockRows * kBlockCols];
    if (family.enter) family.enter();
    for (size_t task = begin; task < end; ++task) {
      const int jb = static_cast<int>(task / rowChunks), chunk = static_cast<int>(task % rowChunks);
      const int j0 = jb * kBlockCols;
      if (j0 >= w.N) continue;
      const int cols = std::min(kBlockCols, w.N - j0);
      const int lastBlock = std::min(rowBlocks, (chunk + 1) * kRowBlocksPerTask);
      for (int ib = chunk * kRowBlocksPerTask; ib < lastBlock; ++ib) {
        const int i0 = ib * kBlockRows;
        if (i0 >= M) break;
        family.kernel(a.data() + int64_t(i0) * w.paddedK, w.paddedK, w.packed.get() + j0 / kPanelCols * panelBytes,
                      w.paddedK, w.colSums.get() + j0, c);
        for (int r = 0; r < std::min(kBlockRows, M - i0); ++r) {
          dequantizeRowInt8(c + r * kBlockCols, cols, rowScales[i0 + r], w.scales.get() + j0, bias ? bias + j0 : nullptr,
                            y + int64_t(i0 + r) * w.N + j0);
        }
      }
    }
    if (family.leave) family.leave();
  };
  const size_t tasks = static_cast<size_t>(colBlocks) * rowChunks;
  if (parallel) {
    parallelFor(static_cast<size_t>(M), 1, quantizeRows);
    parallelFor(tasks, 1, blocks);
  } else {
    quantizeRows(0, static_cast<size_t>(M));
    blocks(0, tasks);
  }
}

}  // namespace

bool int8FamilyAvailable(const std::string& family) { return findFamily(family) != nullptr; }

void linearInt8With(const std::string& family, const Int8Weights& w, const float* x, int M, const float* bias,
                    float* y) {
  const Int8FamilySpec* spec = findFamily(family);
  if (!spec) throw std::invalid_argument("int8 kernel family '" + family + "' is not available on this CPU/build");
  run(*spec, w, x, M, bias, y);
}

}  // namespace int8_detail

Int8Weights quantizeWeights(const float* W, int N, int K) {
  if (N < 1 || K < 1 || K > kInt8MaxK) {
    throw std::invalid_argument("int8 weights need N >= 1 and 1 <= K <= " + std::to_string(kInt8MaxK) + ", got [" +
                                std::to_string(N) + ", " + std::to_string(K) + "]");
  }
  using namespace int8_detail;
  Int8Weights w;
  w.N = N;
  w.K = K;
  w.paddedN = roundUp(N, kBlockCols);
  w.paddedK = roundUp(K, kBlockCols);
  const size_t bytes = static_cast<size_t>(w.paddedN) * w.paddedK;
  w.packed.reset(new int8_t[bytes]());
  w.scales.reset(new float[w.paddedN]());
  w.colSums.reset(new int32_t[w.paddedN]());
  std::vector<int8_t> row(static_cast<size_t>(w.paddedK));
  for (int n = 0; n < N; ++n) {
    w.scales[n] = quantizeRowInt8(W + int64_t(n) * K, K, w.paddedK, row.data());
    int8_t* panel = w.packed.get() + int64_t(n / kPanelCols) * kPanelCols * w.paddedK;
    const int column = n % kPanelCols;
    int32_t sum = 0;
    for (int k = 0; k < K; ++k) {
      panel[int64_t(k / kKGroup) * kPanelCols * kKGroup + column * kKGroup + k % kKGroup] = row[k];
      sum += row[k];
    }
    w.colSums[n] = sum;
  }
  return w;
}

void linearInt8(const Int8Weights& w, const float* x, int M, const float* bias, float* y) {
  int8_detail::run(int8_detail::activeFamily(), w, x, M, bias, y);
}

const char* int8Family() { return int8_detail::activeFamily().name; }

}  // namespace bertnode::cpu

// GEMM driver: cache blocking, packing and threading around the per-ISA micro-kernels (gemm_kernels.h).
//
// Loop nest of one thread (Goto/BLIS order), for C[M x N] += op(A)[M x K] * op(B)[K x N]:
//   jc over N by nc      (a packed B block kc x nc lives in L3)
//     pc over K by kc    (pack op(B)[pc:pc+kc, jc:jc+nc])
//       ic over M by mc  (pack op(A)[ic:ic+mc, pc:pc+kc]; it lives in L2)
//         jr over nc by nr, ir over mc by mr: micro-kernel on one mr x nr tile of C.
// The first pc block applies the caller's beta (beta == 0 never reads C), later ones accumulate with beta = 1.
// Transposes are absorbed by the packing, so the micro-kernels only ever see one layout; so are operands stored as bf16
// (gemmBf16Operands, a family with bf16 packers).
//
// Threads: one GEMM is cut into a grid of C blocks, one per pool thread (each packs what it reads; the split is
// chosen to minimise the largest block's compute + packing time). A batched call whose count divides evenly (or
// is large) runs whole GEMMs per thread instead, which is what the small attention products need.
#include "cpu/gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "cpu/gemm_kernels.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {
namespace gemm_detail {
namespace {

// Below this many multiply-adds a GEMM runs on the calling thread: waking the pool (~10 us) costs more than
// splitting saves.
constexpr int64_t kMinParallelWork = int64_t(1) << 20;

// Per-thread packing buffers, grown on demand and kept for the thread's life (the pool's threads are
// persistent, so steady-state GEMMs allocate nothing).
class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { release(); }

  float* get(size_t floats) {
    if (floats > capacity_) {
      release();
      data_ = static_cast<float*>(::operator new(floats * sizeof(float), std::align_val_t(64)));
      capacity_ = floats;
    }
    return data_;
  }

 private:
  void release() {
    if (data_) ::operator delete(data_, std::align_val_t(64));
    data_ = nullptr;
    capacity_ = 0;
  }
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local PackBuffer tlsPackA;
thread_local PackBuffer tlsPackB;

int64_t roundUp(int64_t x, int64_t multiple) { return (x + multiple - 1) / multiple * multiple; }

// C = beta * C for the degenerate cases (K == 0 or alpha == 0), honouring "beta == 0 does not read C".
void scaleC(int M, int N, float beta, float* C, int64_t ldc) {
  for (int i = 0; i < M; ++i) {
    float* row = C + i * ldc;
    if (beta == 0.0f) {
      std::fill(row, row + N, 0.0f);
    } else if (beta != 1.0f) {
      for (int j = 0; j < N; ++j) row[j] *= beta;
    }
  }
}

// Floats of the packing buffer that one micro-panel of `width` rows or columns over kc steps occupies.
int64_t panelFloats(const KernelSpec& s, int width, int kc) {
  return int64_t(width) * roundUp(kc, s.kStep) / s.elementsPerFloat;
}

// The operand's element `offset` elements from its start, whatever its element type.
GemmOperand advance(GemmOperand x, int64_t offset) {
  if (x.bf16) return {static_cast<const uint16_t*>(x.data) + offset, true};
  return {static_cast<const float*>(x.data) + offset, false};
}

void packAFrom(const KernelSpec& s, GemmOperand a, int64_t lda, bool trans, int rows, int cols, float* dst) {
  if (a.bf16) return s.packABf16(static_cast<const uint16_t*>(a.data), lda, rows, cols, dst);
  s.packA(static_cast<const float*>(a.data), lda, trans, rows, cols, dst);
}

void packBFrom(const KernelSpec& s, GemmOperand b, int64_t ldb, bool trans, int rows, int cols, float* dst) {
  if (b.bf16) return s.packBBf16(static_cast<const uint16_t*>(b.data), ldb, trans, rows, cols, dst);
  s.packB(static_cast<const float*>(b.data), ldb, trans, rows, cols, dst);
}

// The whole loop nest on the calling thread.
void gemmSerial(const KernelSpec& s, bool transA, bool transB, int M, int N, int K, float alpha, GemmOperand A,
                int64_t lda, GemmOperand B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0.0f) {
    scaleC(M, N, beta, C, ldc);
    return;
  }
  const int mcMax = std::min<int>(s.mc, static_cast<int>(roundUp(M, s.mr)));
  const int ncMax = std::min<int>(s.nc, static_cast<int>(roundUp(N, s.nr)));
  const int kcMax = std::min(s.kc, K);
  float* packedA = tlsPackA.get(static_cast<size_t>(roundUp(mcMax, s.mr) / s.mr * panelFloats(s, s.mr, kcMax)));
  float* packedB = tlsPackB.get(static_cast<size_t>(roundUp(ncMax, s.nr) / s.nr * panelFloats(s, s.nr, kcMax)));
  if (s.enter) s.enter();

  for (int jc = 0; jc < N; jc += s.nc) {
    const int nc = std::min(s.nc, N - jc);
    for (int pc = 0; pc < K; pc += s.kc) {
      const int kc = std::min(s.kc, K - pc);
      const float betaBlock = pc == 0 ? beta : 1.0f;
      const int64_t panelA = panelFloats(s, s.mr, kc), panelB = panelFloats(s, s.nr, kc);
      packBFrom(s, advance(B, transB ? jc * ldb + pc : pc * ldb + jc), ldb, transB, kc, nc, packedB);
      for (int ic = 0; ic < M; ic += s.mc) {
        const int mc = std::min(s.mc, M - ic);
        packAFrom(s, advance(A, transA ? pc * lda + ic : ic * lda + pc), lda, transA, mc, kc, packedA);
        for (int jr = 0; jr < nc; jr += s.nr) {
          const int n = std::min(s.nr, nc - jr);
          const float* pb = packedB + jr / s.nr * panelB;
          for (int ir = 0; ir < mc; ir += s.mr) {
            const int m = std::min(s.mr, mc - ir);
            s.kernel(kc, packedA + ir / s.mr * panelA, pb, C + (ic + ir) * ldc + jc + jr, ldc, m, n, alpha,
                     betaBlock);
          }
        }
      }
    }
  }
  if (s.leave) s.leave();
}

// How one GEMM is cut across threads: a tm x tn grid of C blocks whose sizes are multiples of the register tile.
struct Split {
  int tm = 1, tn = 1;
  int rowsPerBlock = 0, colsPerBlock = 0;
};

// Estimated cycles of the largest block: multiply-adds at the family's rate, plus about one cycle per packed element (A is
// repacked for every nc block of columns, B once per block).
Split chooseSplit(const KernelSpec& s, int M, int N, int K, int threads) {
  Split best;
  double bestCost = -1.0;
  for (int tm = 1; tm <= threads; ++tm) {
    if (threads % tm != 0) continue;
    const int tn = threads / tm;
    const int rows = static_cast<int>(roundUp((M + tm - 1) / tm, s.mr));
    const int cols = static_cast<int>(roundUp((N + tn - 1) / tn, s.nr));
    const double compute = double(rows) * cols * K / s.macsPerCycle;
    const double packing = double(rows) * K * ((cols + s.nc - 1) / s.nc) + double(cols) * K;
    const double cost = compute + packing;
    if (bestCost < 0 || cost < bestCost) {
      bestCost = cost;
      best = {tm, tn, rows, cols};
    }
  }
  return best;
}

// The families fastest first (gemm_kernels.h says how BERTNODE_CPU_KERNELS picks among them).
constexpr int kFamilies = 5;
constexpr const char* kFamilyNames[kFamilies] = {"amx", "avx512bf16", "avx512", "avx2", "scalar"};
constexpr bool kFamilyBf16[kFamilies] = {true, true, false, false, false};

const KernelSpec* familySpec(int family) {
  switch (family) {
    case 0: return amxKernelSpec();
    case 1: return avx512Bf16KernelSpec();
    case 2: return avx512KernelSpec();
    case 3: return avx2KernelSpec();
    default: return scalarKernelSpec();
  }
}

struct Selection {
  const KernelSpec* fp32;
  const KernelSpec* bf16;
  const char* forced;  // the family BERTNODE_CPU_KERNELS names, nullptr when unset
};

std::string availableFamilies() {
  std::string list;
  for (int f = 0; f < kFamilies; ++f) {
    if (familySpec(f)) list += (list.empty() ? "" : ", ") + std::string(kFamilyNames[f]);
  }
  return list;
}

// Reads CPUID (through the families' checks) and the environment once per process.
Selection select() {
  int forced = -1;
  if (const char* wanted = std::getenv("BERTNODE_CPU_KERNELS"); wanted && *wanted) {
    for (int f = 0; f < kFamilies; ++f) {
      if (std::strcmp(wanted, kFamilyNames[f]) == 0) forced = f;
    }
    if (forced < 0) {
      throw std::invalid_argument(std::string("BERTNODE_CPU_KERNELS='") + wanted +
                                  "' is not a CPU kernel family: expected amx, avx512bf16, avx512, avx2 or scalar");
    }
    if (!familySpec(forced)) {
      throw std::invalid_argument(std::string("BERTNODE_CPU_KERNELS='") + wanted +
                                  "' forces a kernel family this CPU (or build) cannot run; available here: " +
                                  availableFamilies());
    }
  }
  Selection chosen{nullptr, nullptr, forced < 0 ? nullptr : kFamilyNames[forced]};
  // fp32: the first fp32 family from the forced one down (a forced bf16 family leaves fp32 on the best one).
  for (int f = std::max(forced, 0); f < kFamilies && !chosen.fp32; ++f) {
    if (!kFamilyBf16[f]) chosen.fp32 = familySpec(f);
  }
  // bf16: the first bf16 family unforced; forced, the named family when it is a bf16 one (a forced fp32 family stands
  // for a CPU without bf16 products).
  for (int f = 0; f < kFamilies && !chosen.bf16; ++f) {
    if (kFamilyBf16[f] && (forced < 0 || f == forced)) chosen.bf16 = familySpec(f);
  }
  return chosen;
}

const Selection& selection() {
  static const Selection chosen = select();
  return chosen;
}

}  // namespace

const KernelSpec& activeKernelSpec() { return *selection().fp32; }

const KernelSpec* activeBf16KernelSpec() { return selection().bf16; }

const KernelSpec* activeAmxKernelSpec() {
  const KernelSpec* spec = activeBf16KernelSpec();
  return spec && spec == amxKernelSpec() ? spec : nullptr;
}

const char* forcedKernelFamily() { return selection().forced; }

const KernelSpec* findKernelSpec(const char* name) {
  for (int f = 0; f < kFamilies; ++f) {
    if (std::strcmp(name, kFamilyNames[f]) == 0) return familySpec(f);
  }
  return nullptr;
}

int availableKernelSpecs(bool bf16, const KernelSpec* out[kFamilies]) {
  int count = 0;
  for (int f = 0; f < kFamilies; ++f) {
    if (kFamilyBf16[f] == bf16 && familySpec(f)) out[count++] = familySpec(f);
  }
  return count;
}

void sgemmWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
               int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  gemmOperandsWith(spec, transA, transB, M, N, K, alpha, {A, false}, lda, {B, false}, ldb, beta, C, ldc);
}

void gemmOperandsWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha, GemmOperand A,
                      int lda, GemmOperand B, int ldb, float beta, float* C, int ldc) {
  const int threads = numThreads();
  if (threads <= 1 || int64_t(M) * N * K < kMinParallelWork) {
    gemmSerial(spec, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const Split split = chooseSplit(spec, M, N, K, threads);
  parallelFor(static_cast<size_t>(split.tm * split.tn), 1, [&](size_t begin, size_t end) {
    for (size_t block = begin; block < end; ++block) {
      const int i0 = static_cast<int>(block / split.tn) * split.rowsPerBlock;
      const int j0 = static_cast<int>(block % split.tn) * split.colsPerBlock;
      if (i0 >= M || j0 >= N) continue;
      const int rows = std::min(split.rowsPerBlock, M - i0);
      const int cols = std::min(split.colsPerBlock, N - j0);
      const GemmOperand a = advance(A, transA ? i0 : int64_t(i0) * lda);
      const GemmOperand b = advance(B, transB ? int64_t(j0) * ldb : j0);
      gemmSerial(spec, transA, transB, rows, cols, K, alpha, a, lda, b, ldb, beta, C + int64_t(i0) * ldc + j0,
                 ldc);
    }
  });
}

void sgemmStridedBatchedWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha,
                             const float* A, int lda, int64_t strideA, const float* B, int ldb, int64_t strideB,
                             float beta, float* C, int ldc, int64_t strideC, int batch) {
  if (batch <= 0) return;
  const int threads = numThreads();
  // Whole GEMMs per thread when that balances (count divisible by the threads, or many of them): no split
  // overhead, and each small GEMM keeps its packed panels in its own core's caches.
  const bool perItem = threads > 1 && batch >= threads && (batch % threads == 0 || batch >= 4 * threads);
  if (!perItem) {
    for (int i = 0; i < batch; ++i) {
      sgemmWith(spec, transA, transB, M, N, K, alpha, A + i * strideA, lda, B + i * strideB, ldb, beta,
                C + i * strideC, ldc);
    }
    return;
  }
  parallelFor(static_cast<size_t>(batch), 1, [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      gemmSerial(spec, transA, transB, M, N, K, alpha, {A + i * strideA, false}, lda, {B + i * strideB, false}, ldb,
                 beta, C + i * strideC, ldc);
    }
  });
}

}  // namespace gemm_detail

void sgemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
           int ldb, float beta, float* C, int ldc) {
  gemm_detail::sgemmWith(gemm_detail::activeKernelSpec(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C,
                         ldc);
}

void sgemmStridedBatched(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                         int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc,
                         int64_t strideC, int batch) {
  gemm_detail::sgemmStridedBatchedWith(gemm_detail::activeKernelSpec(), transA, transB, M, N, K, alpha, A, lda,
                                       strideA, B, ldb, strideB, beta, C, ldc, strideC, batch);
}

namespace {

const gemm_detail::KernelSpec& bf16Spec() {
  const gemm_detail::KernelSpec* spec = gemm_detail::activeBf16KernelSpec();
  if (!spec) {
    throw std::runtime_error("bf16 GEMM needs a CPU with AMX-BF16 or AVX-512 BF16 (and BERTNODE_CPU_KERNELS, when "
                             "set, naming one of them)");
  }
  return *spec;
}

}  // namespace

bool bf16GemmSupported() { return gemm_detail::activeBf16KernelSpec() != nullptr; }

bool bf16OperandsSupported() {
  const gemm_detail::KernelSpec* spec = gemm_detail::activeBf16KernelSpec();
  return spec && spec->packABf16 && spec->packBBf16;
}

void gemmBf16Operands(bool transA, bool transB, int M, int N, int K, float alpha, const void* A, bool aBf16, int lda,
                      const void* B, bool bBf16, int ldb, float beta, float* C, int ldc) {
  if (!bf16OperandsSupported()) {
    throw std::runtime_error("bf16 GEMM operands need the AMX kernel family (bf16OperandsSupported())");
  }
  if (aBf16 && transA) {
    throw std::invalid_argument("gemmBf16Operands: a bf16 A is read as stored, not transposed");
  }
  gemm_detail::gemmOperandsWith(bf16Spec(), transA, transB, M, N, K, alpha, {A, aBf16}, lda, {B, bBf16}, ldb, beta,
                                C, ldc);
}

void gemmBf16(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
              int ldb, float beta, float* C, int ldc) {
  gemm_detail::sgemmWith(bf16Spec(), transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void gemmBf16StridedBatched(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                            int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc,
                            int64_t strideC, int batch) {
  gemm_detail::sgemmStridedBatchedWith(bf16Spec(), transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB,
                                       beta, C, ldc, strideC, batch);
}

}  // namespace bertnode::cpu

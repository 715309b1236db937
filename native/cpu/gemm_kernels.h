// Internal interface between the GEMM driver (gemm.cpp) and its per-ISA micro-kernels (gemm_avx512.cpp,
// gemm_avx2.cpp, gemm_scalar.cpp). Not part of the public CPU API; tests and benchmarks reach it through
// the addon's kernels binding to force one ISA.
//
// Packed layouts (the driver owns the buffers, 64-byte aligned, sized from the block sizes below):
//   packed A block: ceil(mc / mr) micro-panels, each [kc][mr] (for every k, mr consecutive rows of op(A)),
//                   rows past mc zero-filled;
//   packed B block: ceil(nc / nr) micro-panels, each [kc][nr] (for every k, nr consecutive columns of op(B)),
//                   columns past nc zero-filled.
#pragma once

#include <cstdint>

namespace bertnode::cpu::gemm_detail {

// Element (i, p) of op(A) is A[transA ? p*lda + i : i*lda + p]; same rule for op(B) (element (p, j)).
// packA: op(A)[0..mc) x [0..kc) starting at `a` (already offset to the block's first element) -> packed A block.
// packB: op(B)[0..kc) x [0..nc) starting at `b` -> packed B block.
using PackFn = void (*)(const float* src, int64_t ld, bool trans, int rows, int cols, float* dst);

// C[0..m) x [0..n) (row stride ldc) = alpha * (packed A micro-panel x packed B micro-panel) + beta * C over kc
// steps; m <= mr, n <= nr. beta == 0 writes C without reading it (C may hold NaN).
using MicroKernelFn = void (*)(int kc, const float* pa, const float* pb, float* c, int64_t ldc, int m, int n,
                               float alpha, float beta);

struct KernelSpec {
  const char* name;  // "avx512", "avx2", "scalar"
  int mr, nr;        // register tile of C
  int mc, kc, nc;    // cache blocks: A block mc x kc (L2), B block kc x nc (L3), micro-panels stream through L1
  MicroKernelFn kernel;
  PackFn packA;  // `rows` = mc, `cols` = kc
  PackFn packB;  // `rows` = kc, `cols` = nc
};

// Each returns nullptr when the ISA is not compiled in (non-x86 targets, compilers without target attributes)
// or the running CPU/OS does not support it.
const KernelSpec* avx512KernelSpec();
const KernelSpec* avx2KernelSpec();
const KernelSpec* scalarKernelSpec();  // always available

// bf16 products with fp32 sums (gemm_bf16_avx512.cpp): same tile, blocks and driver as "avx512", but its packers
// round op(A) and op(B) to bf16 and store k in pairs (the layout vdpbf16ps reads) in the first half of each fp32
// micro-panel. Never chosen by activeKernelSpec: only gemmBf16 and tests that name "avx512bf16" use it.
// nullptr unless the CPU has AVX-512 F/BW/VL/DQ and AVX-512 BF16.
const KernelSpec* avx512Bf16KernelSpec();

// The kernel sgemm uses: the best the CPU supports, unless BERTNODE_GEMM_ISA names another available one.
const KernelSpec& activeKernelSpec();

// Same contract as bertnode::cpu::sgemm / sgemmStridedBatched, run with the given kernel (tests compare ISAs).
void sgemmWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
               int lda, const float* B, int ldb, float beta, float* C, int ldc);
void sgemmStridedBatchedWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha,
                             const float* A, int lda, int64_t strideA, const float* B, int ldb, int64_t strideB,
                             float beta, float* C, int ldc, int64_t strideC, int batch);

}  // namespace bertnode::cpu::gemm_detail

// Internal interface between the GEMM driver (gemm.cpp) and its per-family micro-kernels (gemm_amx.cpp,
// gemm_bf16_avx512.cpp, gemm_avx512.cpp, gemm_avx2.cpp, gemm_scalar.cpp). Not part of the public CPU API; tests and
// benchmarks reach it through the addon's kernels binding to force one family.
//
// Packed layouts (the driver owns the buffers, 64-byte aligned, sized from the block sizes below); fp32 families:
//   packed A block: ceil(mc / mr) micro-panels, each [kc][mr] (for every k, mr consecutive rows of op(A)),
//                   rows past mc zero-filled;
//   packed B block: ceil(nc / nr) micro-panels, each [kc][nr] (for every k, nr consecutive columns of op(B)),
//                   columns past nc zero-filled.
// The bf16 families keep the panel order but lay each panel out as their instructions read it (their files say how).
#pragma once

#include <cstdint>

namespace bertnode::cpu::gemm_detail {

// Element (i, p) of op(A) is A[transA ? p*lda + i : i*lda + p]; same rule for op(B) (element (p, j)).
// packA: op(A)[0..mc) x [0..kc) starting at `a` (already offset to the block's first element) -> packed A block.
// packB: op(B)[0..kc) x [0..nc) starting at `b` -> packed B block.
using PackFn = void (*)(const float* src, int64_t ld, bool trans, int rows, int cols, float* dst);

// The same from an operand already stored as bf16 (uint16_t, row-major): A not transposed (op(A) = a[i*lda + p]), B
// either way as in PackFn. The packed bytes are the fp32 packers' for values that are bf16 already.
using PackBf16AFn = void (*)(const uint16_t* src, int64_t ld, int rows, int cols, float* dst);
using PackBf16BFn = void (*)(const uint16_t* src, int64_t ld, bool trans, int rows, int cols, float* dst);

// C[0..m) x [0..n) (row stride ldc) = alpha * (packed A micro-panel x packed B micro-panel) + beta * C over kc
// steps; m <= mr, n <= nr. beta == 0 writes C without reading it (C may hold NaN).
using MicroKernelFn = void (*)(int kc, const float* pa, const float* pb, float* c, int64_t ldc, int m, int n,
                               float alpha, float beta);

// Per-thread hooks around one thread's loop nest (gemmSerial); nullptr when the family needs none. AMX loads its tile
// configuration in `enter` and releases the tiles in `leave` (the configuration is per thread and other code on the
// same thread may have changed it between GEMMs).
using ThreadHookFn = void (*)();

struct KernelSpec {
  const char* name;  // the family: "amx", "avx512bf16", "avx512", "avx2", "scalar"
  int mr, nr;        // register tile of C
  int mc, kc, nc;    // cache blocks: A block mc x kc (L2), B block kc x nc (L3), micro-panels stream through L1
  MicroKernelFn kernel;
  PackFn packA;  // `rows` = mc, `cols` = kc
  PackFn packB;  // `rows` = kc, `cols` = nc
  // Packed micro-panel size: a panel of mr rows (nr columns) over kc steps occupies mr * roundUp(kc, kStep) /
  // elementsPerFloat floats of the packing buffer (fp32 panels: kStep 1, 1 element per float; AMX's bf16 tiles: k
  // padded to the tile's 32 and two bf16 per float).
  int kStep = 1;
  int elementsPerFloat = 1;
  // Multiply-adds per cycle of one core, for the driver's thread split (compute against packing time).
  int macsPerCycle = 16;
  ThreadHookFn enter = nullptr;
  ThreadHookFn leave = nullptr;
  // Packers from bf16 storage (gemmBf16Operands); nullptr in the families that take fp32 operands only.
  PackBf16AFn packABf16 = nullptr;
  PackBf16BFn packBBf16 = nullptr;
};

// Each returns nullptr when the ISA is not compiled in (non-x86 targets, compilers without target attributes)
// or the running CPU/OS does not support it.
const KernelSpec* avx512KernelSpec();
// The "avx512" family with the cache blocks tuned for cores with `fmaPorts` 512-bit FMA ports (1: AMD Zen 4, 2: Intel);
// avx512KernelSpec() picks one by the CPU's vendor. Both run the same micro-kernel and packers; the blocks change the
// order of the fp32 sums (kc), so their results may differ in the last bits. Tests force each to check both.
const KernelSpec* avx512KernelSpecFor(int fmaPorts);
const KernelSpec* avx2KernelSpec();
const KernelSpec* scalarKernelSpec();  // always available

// bf16 products with fp32 sums (gemm_bf16_avx512.cpp): same tile, blocks and driver as "avx512", but its packers
// round op(A) and op(B) to bf16 and store k in pairs (the layout vdpbf16ps reads) in the first half of each fp32
// micro-panel. nullptr unless the CPU has AVX-512 F/BW/VL/DQ and AVX-512 BF16.
const KernelSpec* avx512Bf16KernelSpec();

// bf16 products with fp32 sums on AMX tiles (gemm_amx.cpp): a 32 x 32 tile of C in four accumulator tiles.
// nullptr unless the CPU has AMX-TILE, AMX-BF16 and AVX-512 BF16, the OS enabled tile state (XCR0) and Linux granted
// this process tile data (arch_prctl ARCH_REQ_XCOMP_PERM, asked once).
const KernelSpec* amxKernelSpec();

// The families, fastest first, as BERTNODE_CPU_KERNELS names them: amx, avx512bf16 (bf16 products), avx512, avx2,
// scalar (fp32). Unset, sgemm runs the first fp32 family this CPU has and gemmBf16 the first bf16 one. Set, it stands
// for a CPU whose best family is the named one: fp32 GEMMs run the first fp32 family from there down, bf16 GEMMs the
// named family when it is a bf16 one and none otherwise. A name that is not a family, or a family this CPU/build
// cannot run, throws std::invalid_argument on first use of the GEMMs (every call repeats it).
const KernelSpec& activeKernelSpec();     // fp32
const KernelSpec* activeBf16KernelSpec();  // bf16, nullptr when none
// activeBf16KernelSpec() when it is the AMX family, else nullptr: the bf16-activation kernels (linear_bf16.h,
// attention_bf16.h) run only then, and use its tile configuration hooks.
const KernelSpec* activeAmxKernelSpec();
// The family BERTNODE_CPU_KERNELS forces (validated as above), nullptr when unset: the int8 families follow it.
const char* forcedKernelFamily();
// The spec of one family by name if this CPU/build runs it (whatever BERTNODE_CPU_KERNELS says), else nullptr.
const KernelSpec* findKernelSpec(const char* name);
// The fp32 (bf16 false) or bf16 families this CPU/build runs, fastest first.
int availableKernelSpecs(bool bf16, const KernelSpec* out[5]);

// Same contract as bertnode::cpu::sgemm / sgemmStridedBatched, run with the given kernel (tests compare ISAs).
void sgemmWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
               int lda, const float* B, int ldb, float beta, float* C, int ldc);
// An operand as stored: fp32, or bf16 (uint16_t; A not transposed; only with a spec that has the bf16 packers).
struct GemmOperand {
  const void* data;
  bool bf16;
};
// sgemmWith with either operand possibly stored as bf16 (the caller has checked the spec and the layouts).
void gemmOperandsWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha, GemmOperand A,
                      int lda, GemmOperand B, int ldb, float beta, float* C, int ldc);
void sgemmStridedBatchedWith(const KernelSpec& spec, bool transA, bool transB, int M, int N, int K, float alpha,
                             const float* A, int lda, int64_t strideA, const float* B, int ldb, int64_t strideB,
                             float beta, float* C, int ldc, int64_t strideC, int batch);

}  // namespace bertnode::cpu::gemm_detail

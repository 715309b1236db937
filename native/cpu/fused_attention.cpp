// Flash-style attention on the CPU (cpu/fused_attention.h, model/fused_attention.h).
//
// Shapes: k, v, dk, dv [B,T,NH*D] (row stride H = NH*D; head h at column h*D); q, context, dq, dContext [B,Q,NH*D]
// for the first Q = shape.queries positions; rowStats [B,NH,Q,2]; mask [B,T]. Per task, strips of [rows, T] with
// rows <= kStripRows, thread-local.
//
// The work goes one strip of query rows of one head at a time: its scores against all T keys, its softmax and
// dropout, its products. A strip is at most kStripRows x T floats (128 x 512 = 256 KiB; the backward holds three), so
// it stays in L2 while it is used and the [B,NH,T,T] probabilities never reach memory. 128 rows measured better
// than 64 and 32 (fewer repacks of K and V per head; scripts/bench/attention-core.js on Sapphire Rapids). Full key
// rows (rather than FlashAttention's key blocks with an online rescaled softmax) keep the softmax the same function,
// the same bits, as attentionSoftmaxForward's.
// The strip products run through the GEMM families (sgemm / gemmBf16: AMX, AVX-512, ... chosen at run time): inside
// a parallelFor task they run serially on the task's thread, and their sums do not depend on how the GEMM splits.
// With q, k and v stored as bf16 (the Bf16 pair) the products pack them from their 16-bit words
// (gemmBf16Operands), and P V goes through a [rows, D] fp32 strip rounded into the bf16 context rows.
//
// Determinism: the forward's tasks own disjoint output rows. The backward gives each (b, head) to one task, which
// accumulates dk and dv over its query strips in a fixed order, so the bits do not depend on the thread count.
#include "cpu/fused_attention.h"

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "cpu/attention_rows.h"
#include "cpu/dropout_span.h"
#include "cpu/gemm.h"
#include "cpu/linear_bf16.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {
namespace {

constexpr int kStripRows = 128;

// A strip product's operand as the op holds it: fp32, or bf16 rows (q, k and v kept as bf16). Implicit from either
// pointer type, so one product line serves both storages.
struct Operand {
  const void* data;
  bool bf16;
  Operand(const float* x) : data(x), bf16(false) {}
  Operand(const uint16_t* x) : data(x), bf16(true) {}
};

struct Gemm {
  bool bf16;  // bf16 products (precision bf16); always so when an operand is stored as bf16
  void operator()(bool transA, bool transB, int M, int N, int K, Operand A, int lda, Operand B, int ldb, float beta,
                  float* C, int ldc) const {
    if (A.bf16 || B.bf16) {
      return gemmBf16Operands(transA, transB, M, N, K, 1.0f, A.data, A.bf16, lda, B.data, B.bf16, ldb, beta, C, ldc);
    }
    const float* a = static_cast<const float*>(A.data);
    const float* b = static_cast<const float*>(B.data);
    if (bf16) return gemmBf16(transA, transB, M, N, K, 1.0f, a, lda, b, ldb, beta, C, ldc);
    sgemm(transA, transB, M, N, K, 1.0f, a, lda, b, ldb, beta, C, ldc);
  }
};

// P V of one strip into the context rows: straight into fp32 rows (no strip needed); through the fp32 strip
// [rows, D], rounded to bf16 rows.
void contextProduct(const Gemm& gemm, int rows, int D, int T, const float* probs, Operand v, int H, float* context,
                    float* /*strip*/) {
  gemm(false, false, rows, D, T, probs, T, v, H, 0.0f, context, H);
}
void contextProduct(const Gemm& gemm, int rows, int D, int T, const float* probs, Operand v, int H,
                    uint16_t* context, float* strip) {
  gemm(false, false, rows, D, T, probs, T, v, H, 0.0f, strip, D);
  toBf16Rows(context, H, strip, D, rows, D);
}

// One head of one batch row: where its columns start in the key and query tensors, its mask row, and the flat index
// of its first probability in the whole [B,NH,T,T] (the dropout counter, the same for any Q).
struct Head {
  size_t offset;       // element offset of (b, t = 0, h, d = 0) in the [B,T,H] keys and values
  size_t queryOffset;  // the same in the [B,Q,H] queries
  const int32_t* mask;
  uint64_t firstProbability;
  size_t statsOffset;  // element offset of rowStats[b, h, 0, 0]

  Head(const AttentionShape& s, const int32_t* maskRows, size_t bh) {
    const size_t b = bh / s.NH, h = bh % s.NH, H = static_cast<size_t>(s.NH) * s.D;
    offset = b * s.T * H + h * s.D;
    queryOffset = b * s.queries * H + h * s.D;
    mask = maskRows + b * s.T;
    firstProbability = static_cast<uint64_t>(bh) * s.T * s.T;
    statsOffset = bh * s.queries * 2;
  }
};

// The strip buffers of the calling thread, grown to the largest strip seen and reused across calls.
float* threadStrip(int which, size_t count) {
  thread_local std::vector<float> strips[3];
  if (strips[which].size() < count) strips[which].resize(count);
  return strips[which].data();
}

// dP~ = dP * the strip's dropout mask / (1 - p), the mask read back from the dropped probabilities (kept where
// dropped != 0) instead of generated from Philox a second time. Where P > 0 that is the mask itself (a kept P / (1 - p)
// is not 0); where P = 0 it may differ, and does not matter: dS = scale * P * (dP~ - sum dP~ P) is 0 there (up to the
// sign of a zero) and those terms add 0 to the row's sum.
BERTNODE_SIMD_CLONES void dropLikeProbabilities(float* dProbs, const float* dropped, size_t count, float keepScale) {
  for (size_t i = 0; i < count; ++i) dProbs[i] *= dropped[i] != 0.0f ? keepScale : 0.0f;
}

template <class Stored>
void attentionForward(Stored* context, float* rowStats, const Stored* q, const Stored* k, const Stored* v,
                      const int32_t* mask, float scale, const AttentionShape& shape, const AttentionDropout& drop,
                      bool bf16) {
  const int T = shape.T, Q = shape.queries, D = shape.D, H = shape.NH * shape.D;
  const size_t strips = static_cast<size_t>((Q + kStripRows - 1) / kStripRows);
  const size_t heads = static_cast<size_t>(shape.B) * shape.NH;
  const Gemm gemm{bf16};
  parallelFor(heads * strips, 1, [&](size_t begin, size_t end) {
    float* probs = threadStrip(0, static_cast<size_t>(kStripRows) * T);
    // P V's fp32 strip, for a bf16 context only.
    constexpr bool bf16Context = std::is_same_v<Stored, uint16_t>;
    float* contextStrip = bf16Context ? threadStrip(1, static_cast<size_t>(kStripRows) * D) : nullptr;
    for (size_t task = begin; task < end; ++task) {
      const Head head(shape, mask, task / strips);
      const int t0 = static_cast<int>(task % strips) * kStripRows, rows = std::min(kStripRows, Q - t0);
      const size_t rowOffset = head.queryOffset + static_cast<size_t>(t0) * H;
      gemm(false, true, rows, T, D, q + rowOffset, H, k + head.offset, H, 0.0f, probs, T);  // Q K^T
      for (int r = 0; r < rows; ++r) {
        float* row = probs + static_cast<size_t>(r) * T;
        softmaxRow(row, row, head.mask, scale, T, rowStats + head.statsOffset + 2 * static_cast<size_t>(t0 + r));
      }
      if (drop.p > 0.0f) {
        dropoutSpan(probs, probs, head.firstProbability + static_cast<uint64_t>(t0) * T,
                    static_cast<size_t>(rows) * T, drop.p, drop.seed, drop.step, drop.site);
      }
      contextProduct(gemm, rows, D, T, probs, v + head.offset, H, context + rowOffset, contextStrip);  // P V
    }
  });
}

template <class Stored>
void attentionBackward(float* dq, float* dk, float* dv, const float* dContext, const Stored* q, const Stored* k,
                       const Stored* v, const float* rowStats, const int32_t* mask, float scale,
                       const AttentionShape& shape, const AttentionDropout& drop, bool bf16) {
  const int T = shape.T, Q = shape.queries, D = shape.D, H = shape.NH * shape.D;
  const size_t heads = static_cast<size_t>(shape.B) * shape.NH;
  const size_t stripSize = static_cast<size_t>(kStripRows) * T;
  const Gemm gemm{bf16};
  parallelFor(heads, 1, [&](size_t begin, size_t end) {
    float* probs = threadStrip(0, stripSize);
    float* dropped = threadStrip(1, stripSize);
    float* dProbs = threadStrip(2, stripSize);
    for (size_t bh = begin; bh < end; ++bh) {
      const Head head(shape, mask, bh);
      for (int t0 = 0; t0 < Q; t0 += kStripRows) {
        const int rows = std::min(kStripRows, Q - t0);
        const size_t rowOffset = head.queryOffset + static_cast<size_t>(t0) * H;
        const size_t count = static_cast<size_t>(rows) * T;
        const uint64_t first = head.firstProbability + static_cast<uint64_t>(t0) * T;
        const float beta = t0 == 0 ? 0.0f : 1.0f;  // the first strip writes dk and dv, the others add
        // P again, from the forward's statistics.
        gemm(false, true, rows, T, D, q + rowOffset, H, k + head.offset, H, 0.0f, probs, T);
        for (int r = 0; r < rows; ++r) {
          float* row = probs + static_cast<size_t>(r) * T;
          softmaxRowFromStats(row, row, head.mask, scale, T,
                              rowStats + head.statsOffset + 2 * static_cast<size_t>(t0 + r));
        }
        const float* used = probs;
        if (drop.p > 0.0f) {
          dropoutSpan(dropped, probs, first, count, drop.p, drop.seed, drop.step, drop.site);
          used = dropped;
        }
        gemm(true, false, T, D, rows, used, T, dContext + rowOffset, H, beta, dv + head.offset, H);  // dV += P~^T dO
        gemm(false, true, rows, T, D, dContext + rowOffset, H, v + head.offset, H, 0.0f, dProbs, T);  // dO V^T
        if (drop.p > 0.0f) dropLikeProbabilities(dProbs, dropped, count, 1.0f / (1.0f - drop.p));
        // dS with attentionSoftmaxBackward's row term sum_s dP*P: a strip holds whole rows, so the composed formula
        // is at hand (FlashAttention's rowsum(dO * O) is the same number, used there because its blocks never do).
        for (int r = 0; r < rows; ++r) {
          const size_t at = static_cast<size_t>(r) * T;
          softmaxRowBackward(dProbs + at, dProbs + at, probs + at, scale, T);  // dS, in place
        }
        gemm(false, false, rows, D, T, dProbs, T, k + head.offset, H, 0.0f, dq + rowOffset, H);   // dQ = dS K
        gemm(true, false, T, D, rows, dProbs, T, q + rowOffset, H, beta, dk + head.offset, H);   // dK += dS^T Q
      }
    }
  });
}

}  // namespace

void fusedAttentionForward(float* context, float* rowStats, const float* q, const float* k, const float* v,
                           const int32_t* mask, float scale, const AttentionShape& shape,
                           const AttentionDropout& drop, bool bf16) {
  attentionForward(context, rowStats, q, k, v, mask, scale, shape, drop, bf16);
}

void fusedAttentionBackward(float* dq, float* dk, float* dv, const float* dContext, const float* q, const float* k,
                            const float* v, const float* rowStats, const int32_t* mask, float scale,
                            const AttentionShape& shape, const AttentionDropout& drop, bool bf16) {
  attentionBackward(dq, dk, dv, dContext, q, k, v, rowStats, mask, scale, shape, drop, bf16);
}

void fusedAttentionForwardBf16(uint16_t* context, float* rowStats, const uint16_t* q, const uint16_t* k,
                               const uint16_t* v, const int32_t* mask, float scale, const AttentionShape& shape,
                               const AttentionDropout& drop) {
  attentionForward(context, rowStats, q, k, v, mask, scale, shape, drop, true);
}

void fusedAttentionBackwardBf16(float* dq, float* dk, float* dv, const float* dContext, const uint16_t* q,
                                const uint16_t* k, const uint16_t* v, const float* rowStats, const int32_t* mask,
                                float scale, const AttentionShape& shape, const AttentionDropout& drop) {
  attentionBackward(dq, dk, dv, dContext, q, k, v, rowStats, mask, scale, shape, drop, true);
}

}  // namespace bertnode::cpu

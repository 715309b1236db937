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
//
// Determinism: the forward's tasks own disjoint output rows. The backward gives each (b, head) to one task, which
// accumulates dk and dv over its query strips in a fixed order, so the bits do not depend on the thread count.
#include "cpu/fused_attention.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "cpu/attention_rows.h"
#include "cpu/dropout_span.h"
#include "cpu/gemm.h"
#include "cpu/thread_pool.h"
#include "cpu/vector_math.h"

namespace bertnode::cpu {
namespace {

constexpr int kStripRows = 128;

struct Gemm {
  bool bf16;
  void operator()(bool transA, bool transB, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                  float beta, float* C, int ldc) const {
    if (bf16) return gemmBf16(transA, transB, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
    sgemm(transA, transB, M, N, K, 1.0f, A, lda, B, ldb, beta, C, ldc);
  }
};

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

}  // namespace

void fusedAttentionForward(float* context, float* rowStats, const float* q, const float* k, const float* v,
                           const int32_t* mask, float scale, const AttentionShape& shape,
                           const AttentionDropout& drop, bool bf16) {
  const int T = shape.T, Q = shape.queries, D = shape.D, H = shape.NH * shape.D;
  const size_t strips = static_cast<size_t>((Q + kStripRows - 1) / kStripRows);
  const size_t heads = static_cast<size_t>(shape.B) * shape.NH;
  const Gemm gemm{bf16};
  parallelFor(heads * strips, 1, [&](size_t begin, size_t end) {
    float* probs = threadStrip(0, static_cast<size_t>(kStripRows) * T);
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
      gemm(false, false, rows, D, T, probs, T, v + head.offset, H, 0.0f, context + rowOffset, H);  // P V
    }
  });
}

void fusedAttentionBackward(float* dq, float* dk, float* dv, const float* dContext, const float* q, const float* k,
                            const float* v, const float* rowStats, const int32_t* mask, float scale,
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

}  // namespace bertnode::cpu

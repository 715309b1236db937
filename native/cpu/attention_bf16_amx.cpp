// attentionBf16 on AMX (attention_bf16.h).
//
// One task per (batch row, head): its keys and values are packed once into AMX B panels (K^T: k = the head's D
// columns, n = the T keys; V: k = the T keys, n = D), then 32-query strips go through
//   scores [32 x T] = Q_strip K^T   (tiles, fp32)        -> softmaxRow (attention_rows.h: the composed op's softmax)
//   P -> bf16 [32 x roundUp(T, 32)] (zero past T)       -> context [32 x D] = P V (tiles) -> bf16 context rows.
// These are the products, sums and roundings of the composed bf16 path (gemmBf16 rounds q, k, P and v to bf16 and sums
// k blocks in order in the same tiles; the softmax is the same function), so the context is the bits that path gives.
//
// A query strip or key block that cannot be read in place — fewer than 32 rows, or D not a multiple of 32 (a tile row
// of 32 columns would run into the next head, or past the last row) — is copied into zero-padded buffers first.
#include "cpu/attention_bf16.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "cpu/attention_rows.h"
#include "cpu/gemm_kernels.h"
#include "cpu/thread_pool.h"

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && \
    (defined(__clang__) ? __clang_major__ >= 12 : __GNUC__ >= 11)
#define BERTNODE_ATTENTION_BF16_AMX 1
#include <immintrin.h>

#include "cpu/amx_tile_product.h"
#include "cpu/gemm_avx512_shuffle.h"
#endif

namespace bertnode::cpu {

#if BERTNODE_ATTENTION_BF16_AMX
namespace {

using amx::kTile;

int roundUp(int v) { return (v + kTile - 1) / kTile * kTile; }

// The thread's buffers, grown to the largest head seen and reused across calls.
struct HeadBuffers {
  std::vector<uint16_t> keys, values, queries, probs;
  std::vector<float> scores;
};

// Packs rows [T x D] (bf16, row stride ld) of one head as the B operand of tileProduct.
// transposed (K^T): k = d (padded to Dp), columns = keys: packed[panel j][block q][pair t][key c][2] =
//   rows[32j + c][32q + 2t .. +1].
// plain (V): k = keys (padded to Tp), columns = d: packed[panel j][block q][pair t][column c][2] =
//   rows[32q + 2t][32j + c], rows[32q + 2t + 1][32j + c].
// Out-of-range positions are zero. Scalar: a head's K and V are a few thousand words, small next to the products.
void packHead(const uint16_t* rows, int64_t ld, int T, int D, bool transposed, std::vector<uint16_t>& out) {
  const int Tp = roundUp(T), Dp = roundUp(D);
  const int columns = transposed ? Tp : Dp, depth = transposed ? Dp : Tp;
  out.assign(static_cast<size_t>(columns) * depth, 0);
  auto at = [&](int key, int d) -> uint16_t { return key < T && d < D ? rows[key * ld + d] : 0; };
  const int blocks = depth / kTile;
  for (int j = 0; j < columns / kTile; ++j) {
    uint16_t* panel = out.data() + static_cast<size_t>(j) * blocks * kTile * kTile;
    for (int q = 0; q < blocks; ++q) {
      uint16_t* block = panel + static_cast<size_t>(q) * kTile * kTile;
      for (int t = 0; t < kTile / 2; ++t) {
        for (int c = 0; c < kTile; ++c) {
          const int col = kTile * j + c, k0 = kTile * q + 2 * t;
          uint16_t* pair = block + (t * kTile + c) * 2;
          pair[0] = transposed ? at(col, k0) : at(k0, col);
          pair[1] = transposed ? at(col, k0 + 1) : at(k0 + 1, col);
        }
      }
    }
  }
}

// dst[0, n) = bf16(src[0, n)), nearest even; dst[n, padded) = 0. Writes nothing at or past `padded`.
void roundRow(uint16_t* dst, const float* src, int n, int padded) {
  gemm_detail::toBf16Span(dst, src, static_cast<size_t>(n));
  std::fill(dst + n, dst + padded, uint16_t(0));
}

void attentionHead(uint16_t* context, const uint16_t* q, const uint16_t* k, const uint16_t* v, const int32_t* mask,
                   float scale, int T, int D, int64_t H, HeadBuffers& buf) {
  const int Tp = roundUp(T), Dp = roundUp(D);
  packHead(k, H, T, D, true, buf.keys);
  packHead(v, H, T, D, false, buf.values);
  buf.scores.resize(static_cast<size_t>(kTile) * Tp);
  buf.probs.resize(static_cast<size_t>(kTile) * Tp);
  buf.queries.resize(static_cast<size_t>(kTile) * Dp);
  const bool queriesInPlace = D % kTile == 0;
  alignas(64) float sums[kTile * kTile];
  for (int t0 = 0; t0 < T; t0 += kTile) {
    const int m = std::min(kTile, T - t0);
    const uint16_t* strip = q + t0 * H;
    int64_t ldq = H;
    if (m < kTile || !queriesInPlace) {
      std::fill(buf.queries.begin(), buf.queries.end(), uint16_t(0));
      for (int r = 0; r < m; ++r) std::memcpy(buf.queries.data() + r * Dp, strip + r * H, 2 * size_t(D));
      strip = buf.queries.data();
      ldq = Dp;
    }
    // Scores, one 32-key panel at a time.
    for (int j = 0; j < Tp / kTile; ++j) {
      amx::tileProduct(strip, ldq, Dp / kTile, buf.keys.data() + static_cast<size_t>(j) * Dp * kTile, sums, false);
      for (int r = 0; r < m; ++r) {
        std::memcpy(buf.scores.data() + static_cast<size_t>(r) * Tp + j * kTile, sums + r * kTile,
                    sizeof(float) * std::min(kTile, T - j * kTile));
      }
    }
    for (int r = 0; r < kTile; ++r) {
      float* row = buf.scores.data() + static_cast<size_t>(r) * Tp;
      uint16_t* probs = buf.probs.data() + static_cast<size_t>(r) * Tp;
      if (r < m) {
        softmaxRow(row, row, mask, scale, T, nullptr);
        roundRow(probs, row, T, Tp);
      } else {
        std::fill(probs, probs + Tp, uint16_t(0));
      }
    }
    // Context, one 32-column panel of D at a time, rounded to bf16.
    for (int j = 0; j < Dp / kTile; ++j) {
      amx::tileProduct(buf.probs.data(), Tp, Tp / kTile, buf.values.data() + static_cast<size_t>(j) * Tp * kTile,
                       sums, false);
      const int n = std::min(kTile, D - j * kTile);
      for (int r = 0; r < m; ++r) roundRow(context + (t0 + r) * H + j * kTile, sums + r * kTile, n, n);
    }
  }
}

}  // namespace
#endif

void attentionBf16(uint16_t* context, const uint16_t* q, const uint16_t* k, const uint16_t* v, const int32_t* mask,
                   float scale, const AttentionShape& shape) {
  if (shape.queries != shape.T) throw std::invalid_argument("attentionBf16 takes every position as a query");
  const gemm_detail::KernelSpec* amx = gemm_detail::activeAmxKernelSpec();
  if (!amx) throw std::runtime_error("attentionBf16 needs the AMX bf16 GEMM family, which is not active on this CPU");
#if BERTNODE_ATTENTION_BF16_AMX
  const gemm_detail::KernelSpec& spec = *amx;
  const int64_t H = static_cast<int64_t>(shape.NH) * shape.D;
  parallelFor(static_cast<size_t>(shape.B) * shape.NH, 1, [&](size_t begin, size_t end) {
    thread_local HeadBuffers buffers;
    spec.enter();
    for (size_t bh = begin; bh < end; ++bh) {
      const int64_t b = static_cast<int64_t>(bh) / shape.NH, h = static_cast<int64_t>(bh) % shape.NH;
      const int64_t offset = b * shape.T * H + h * shape.D;
      attentionHead(context + offset, q + offset, k + offset, v + offset, mask + b * shape.T, scale, shape.T, shape.D,
                    H, buffers);
    }
    spec.leave();
  });
#endif
}

}  // namespace bertnode::cpu

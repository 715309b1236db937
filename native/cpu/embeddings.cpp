// Embedding lookup and its scatter-add backward; [CLS]-row gather/scatter for the classification head.
//
// Shapes: ids, typeIds [B,T] int32; word [V,H]; position [P,H]; tokenType [TV,H]; out/dOut [B,T,H]. The backward
// sums the word and token-type rows in the order of their ScatterPlans (model/backend.h), as the CUDA kernels do.
#include <cstddef>
#include <vector>

#include "cpu/ops.h"
#include "cpu/thread_pool.h"
#include "model/scatter_plan.h"

namespace bertnode::cpu {

void embeddingsForward(float* out, const int32_t* ids, const int32_t* typeIds, const float* word,
                       const float* position, const float* tokenType, int B, int T, int H) {
  size_t rows = static_cast<size_t>(B) * T;
  parallelFor(rows, 16, [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const float* w = word + static_cast<size_t>(ids[r]) * H;
      const float* p = position + (r % T) * H;
      const float* tt = tokenType + static_cast<size_t>(typeIds[r]) * H;
      float* o = out + r * H;
      // Hugging Face's summation order, (word + type) + position, so the fp32 rounding matches too.
      for (int c = 0; c < H; ++c) o[c] = (w[c] + tt[c]) + p[c];
    }
  });
}

namespace {

// One row's part in one table's ScatterPlan.
struct RowRole {
  int32_t key;       // the table row it adds into
  int32_t segment;   // -1: its key has one chunk, the row adds straight in; else the key's running partial
  bool opensChunk;   // the first row of its chunk: the partial starts from it
  bool closesChunk;  // the last row of its chunk: the partial is added into the table
};

// The plan seen row by row. A key's chunks are runs of its rows in ascending row order, so a walk over the rows
// in order meets all of chunk 0 of a key before chunk 1: one running partial per key with several chunks is
// enough, and the partials reach the table in chunk order — the plan's arithmetic exactly, in one sequential pass
// over dOut (the CUDA backend's order of sums, with the CPU's memory order).
std::vector<RowRole> rowRoles(const ScatterPlan& plan) {
  std::vector<RowRole> roles(static_cast<size_t>(plan.numRows));
  int segment = 0;
  for (int k = 0; k < plan.numChunks; ++k) {
    const int slot = plan.chunkSlot[k];
    if (slot >= 0) {
      while (slot >= plan.segmentSlotStart[segment + 1]) ++segment;
    }
    const int begin = plan.chunkStart[k], end = plan.chunkStart[k + 1];
    for (int i = begin; i < end; ++i) {
      roles[static_cast<size_t>(plan.rows[i])] = {plan.chunkKey[k], slot < 0 ? -1 : segment, i == begin, i == end - 1};
    }
  }
  return roles;
}

// Columns [c0, c1) of one dOut row g into its table row; partials [segments, c1 - c0] holds the running sums.
inline void addRow(float* table, const RowRole& role, const float* g, size_t H, size_t c0, size_t c1,
                   float* partials) {
  float* d = table + static_cast<size_t>(role.key) * H;
  if (role.segment < 0) {
    for (size_t c = c0; c < c1; ++c) d[c] += g[c];
    return;
  }
  float* p = partials + static_cast<size_t>(role.segment) * (c1 - c0) - c0;  // p[c] for c in [c0, c1)
  if (role.opensChunk) {
    for (size_t c = c0; c < c1; ++c) p[c] = g[c];
  } else {
    for (size_t c = c0; c < c1; ++c) p[c] += g[c];
  }
  if (role.closesChunk) {
    for (size_t c = c0; c < c1; ++c) d[c] += p[c];
  }
}

}  // namespace

// Threads split the hidden dimension, so every thread owns a column slice of every table row: repeated ids
// accumulate without atomics, and each column is summed in the same order whatever the thread count.
void embeddingsBackward(float* dWord, float* dPosition, float* dTokenType, const float* dOut,
                        const ScatterPlan& wordPlan, const ScatterPlan& typePlan, int B, int T, int H) {
  const size_t rows = static_cast<size_t>(B) * T;
  if (dWord) requireScatterPlanRows(wordPlan, static_cast<int64_t>(rows), "word");
  if (dTokenType) requireScatterPlanRows(typePlan, static_cast<int64_t>(rows), "token-type");
  const std::vector<RowRole> wordRoles = dWord ? rowRoles(wordPlan) : std::vector<RowRole>();
  const std::vector<RowRole> typeRoles = dTokenType ? rowRoles(typePlan) : std::vector<RowRole>();
  const size_t width = static_cast<size_t>(H);
  parallelFor(width, 32, [&](size_t c0, size_t c1) {
    std::vector<float> wordPartials(dWord ? static_cast<size_t>(wordPlan.numSegments) * (c1 - c0) : 0);
    std::vector<float> typePartials(dTokenType ? static_cast<size_t>(typePlan.numSegments) * (c1 - c0) : 0);
    for (size_t r = 0; r < rows; ++r) {
      const float* g = dOut + r * width;
      if (dWord) addRow(dWord, wordRoles[r], g, width, c0, c1, wordPartials.data());
      if (dPosition) {
        float* d = dPosition + (r % T) * width;
        for (size_t c = c0; c < c1; ++c) d[c] += g[c];
      }
      if (dTokenType) addRow(dTokenType, typeRoles[r], g, width, c0, c1, typePartials.data());
    }
  });
}

void gatherClsRows(float* out, const float* in, int B, int T, int H) {
  for (int b = 0; b < B; ++b) {
    const float* src = in + static_cast<size_t>(b) * T * H;
    float* dst = out + static_cast<size_t>(b) * H;
    for (int c = 0; c < H; ++c) dst[c] = src[c];
  }
}

void scatterClsRows(float* dIn, const float* dOut, int B, int T, int H) {
  for (int b = 0; b < B; ++b) {
    float* dst = dIn + static_cast<size_t>(b) * T * H;
    const float* src = dOut + static_cast<size_t>(b) * H;
    for (int c = 0; c < H; ++c) dst[c] += src[c];
  }
}

}  // namespace bertnode::cpu

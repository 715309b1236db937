// CpuBackend: forwards every Backend op to its implementation in the family files listed in cpu/ops.h, and is its
// own FusedAttention (cpu/fused_attention.h) and, with bf16 precision on AMX, its own Bf16Activations (cpu/linear_bf16.h).
// With bf16 precision the GEMMs change (gemmBf16: bf16 products, fp32 sums; the fused attention's GEMMs too) and
// inference layers may keep bf16 rows between their Linear layers; every other op, and all parameters, gradients and
// optimizer moments, stay fp32.
#include "cpu/cpu_backend.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "cpu/attention_bf16.h"
#include "cpu/fused_attention.h"
#include "cpu/gemm.h"
#include "cpu/linear_bf16.h"
#include "cpu/ops.h"
#include "cpu/thread_pool.h"

namespace bertnode::cpu {
namespace {

constexpr size_t kAlignment = 64;  // one cache line; also what AVX-512 loads like

class CpuBackend final : public Backend, public FusedAttention, public Bf16Activations {
 public:
  explicit CpuBackend(bool bf16) : bf16_(bf16) {}

  const char* name() const override {
    description_ = "cpu (" + std::to_string(numThreads()) + " threads" + (bf16_ ? ", bf16 GEMMs)" : ")");
    return description_.c_str();
  }

  void* alloc(size_t bytes) override {
    size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    void* ptr = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
    if (!ptr) throw std::bad_alloc();
    return ptr;
  }
  void release(void* ptr) override { std::free(ptr); }
  void upload(void* dst, const void* src, size_t bytes) override { copyBytes(dst, src, bytes); }
  void download(void* dst, const void* src, size_t bytes) override { copyBytes(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { copyBytes(dst, src, bytes); }
  void zero(void* dst, size_t bytes) override {
    if (bytes) std::memset(dst, 0, bytes);
  }
  void synchronize() override {}

  void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda, const float* B,
            int ldb, float beta, float* C, int ldc) override {
    if (bf16_) return gemmBf16(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  void gemmStridedBatched(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                          int64_t strideA, const float* B, int ldb, int64_t strideB, float beta, float* C, int ldc,
                          int64_t strideC, int batch) override {
    if (bf16_) {
      return gemmBf16StridedBatched(transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc,
                                    strideC, batch);
    }
    sgemmStridedBatched(transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC,
                        batch);
  }

  void embeddingsForward(float* out, const int32_t* ids, const int32_t* typeIds, const float* word,
                         const float* position, const float* tokenType, int B, int T, int H) override {
    cpu::embeddingsForward(out, ids, typeIds, word, position, tokenType, B, T, H);
  }
  void embeddingsBackward(float* dWord, float* dPosition, float* dTokenType, const float* dOut,
                          const ScatterPlan& wordPlan, const ScatterPlan& typePlan, int B, int T, int H) override {
    cpu::embeddingsBackward(dWord, dPosition, dTokenType, dOut, wordPlan, typePlan, B, T, H);
  }
  void layerNormForward(float* out, float* mean, float* rstd, const float* in, const float* gamma,
                        const float* beta, int N, int C, float eps) override {
    cpu::layerNormForward(out, mean, rstd, in, gamma, beta, N, C, eps);
  }
  void layerNormBackward(float* dIn, float* dGamma, float* dBeta, const float* dOut, const float* in,
                         const float* gamma, const float* mean, const float* rstd, int N, int C) override {
    cpu::layerNormBackward(dIn, dGamma, dBeta, dOut, in, gamma, mean, rstd, N, C);
  }
  void dropoutAddLayerNorm(float* out, float* residual, float* mean, float* rstd, const float* branch,
                           const float* in, const float* gamma, const float* beta, int N, int C, float eps, float p,
                           uint64_t seed, uint64_t step, uint32_t site) override {
    cpu::dropoutAddLayerNorm(out, residual, mean, rstd, branch, in, gamma, beta, N, C, eps, p, seed, step, site);
  }
  void addBias(float* x, const float* bias, int N, int C) override { cpu::addBias(x, bias, N, C); }
  void biasBackward(float* dBias, const float* dOut, int N, int C) override { cpu::biasBackward(dBias, dOut, N, C); }
  void add(float* out, const float* a, const float* b, int64_t n) override { cpu::add(out, a, b, n); }
  void multiply(float* out, const float* a, const float* b, int64_t n) override { cpu::multiply(out, a, b, n); }
  void scale(float* x, float alpha, int64_t n) override { cpu::scale(x, alpha, n); }
  void geluForward(float* out, const float* in, int64_t n) override { cpu::geluForward(out, in, n); }
  void geluBackward(float* dIn, const float* dOut, const float* in, int64_t n) override {
    cpu::geluBackward(dIn, dOut, in, n);
  }
  void geluForwardWithDerivative(float* out, float* derivative, const float* in, int64_t n) override {
    cpu::geluForwardWithDerivative(out, derivative, in, n);
  }

  bool bf16GemmOperands() override { return bf16_ && bf16OperandsSupported(); }
  void gemmBf16Operands(bool transA, bool transB, int M, int N, int K, float alpha, const void* A, bool aBf16, int lda,
                        const void* B, bool bBf16, int ldb, float beta, float* C, int ldc) override {
    requireBf16Operands();
    cpu::gemmBf16Operands(transA, transB, M, N, K, alpha, A, aBf16, lda, B, bBf16, ldb, beta, C, ldc);
  }
  void addBiasBf16(uint16_t* out, const float* in, const float* bias, int N, int C) override {
    requireBf16Operands();
    cpu::addBiasBf16(out, in, bias, N, C);
  }
  void geluForwardWithDerivativeBf16(uint16_t* out, float* derivative, const float* in, int64_t n) override {
    requireBf16Operands();
    cpu::geluForwardWithDerivativeBf16(out, derivative, in, n);
  }
  void tanhForward(float* out, const float* in, int64_t n) override { cpu::tanhForward(out, in, n); }
  void tanhBackward(float* dIn, const float* dOut, const float* out, int64_t n) override {
    cpu::tanhBackward(dIn, dOut, out, n);
  }
  void sumOfSquares(float* result, const float* x, int64_t n) override { cpu::sumOfSquares(result, x, n); }
  void splitHeads(float* out, const float* in, int B, int T, int NH, int D) override {
    cpu::splitHeads(out, in, B, T, NH, D);
  }
  void mergeHeads(float* out, const float* in, int B, int T, int NH, int D) override {
    cpu::mergeHeads(out, in, B, T, NH, D);
  }
  void attentionSoftmaxForward(float* probs, const float* scores, const int32_t* mask, float scale, int B, int NH,
                               int Q, int T) override {
    cpu::attentionSoftmaxForward(probs, scores, mask, scale, B, NH, Q, T);
  }
  void attentionSoftmaxBackward(float* dScores, const float* dProbs, const float* probs, float scale, int B, int NH,
                                int Q, int T) override {
    cpu::attentionSoftmaxBackward(dScores, dProbs, probs, scale, B, NH, Q, T);
  }
  FusedAttention* fusedAttention() override { return this; }
  void attentionForward(float* context, float* rowStats, const float* q, const float* k, const float* v,
                        const int32_t* mask, float scale, const AttentionShape& shape,
                        const AttentionDropout& drop) override {
    cpu::fusedAttentionForward(context, rowStats, q, k, v, mask, scale, shape, drop, bf16_);
  }
  void attentionBackward(float* dq, float* dk, float* dv, const float* dContext, const float* q, const float* k,
                         const float* v, const float* rowStats, const int32_t* mask, float scale,
                         const AttentionShape& shape, const AttentionDropout& drop) override {
    cpu::fusedAttentionBackward(dq, dk, dv, dContext, q, k, v, rowStats, mask, scale, shape, drop, bf16_);
  }
  void attentionForwardBf16(uint16_t* context, float* rowStats, const uint16_t* q, const uint16_t* k, const uint16_t* v,
                            const int32_t* mask, float scale, const AttentionShape& shape,
                            const AttentionDropout& drop) override {
    requireBf16Operands();
    cpu::fusedAttentionForwardBf16(context, rowStats, q, k, v, mask, scale, shape, drop);
  }
  void attentionBackwardBf16(float* dq, float* dk, float* dv, const float* dContext, const uint16_t* q, const uint16_t* k,
                             const uint16_t* v, const float* rowStats, const int32_t* mask, float scale,
                             const AttentionShape& shape, const AttentionDropout& drop) override {
    requireBf16Operands();
    cpu::fusedAttentionBackwardBf16(dq, dk, dv, dContext, q, k, v, rowStats, mask, scale, shape, drop);
  }
  Bf16Activations* bf16Activations() override {
    return bf16_ && linearBf16Supported() ? this : nullptr;  // the attention runs where the Linear does
  }
  size_t packedWeightBytes(int out, int in) override { return packedWeightBf16Bytes(out, in); }
  void packWeight(void* packed, const float* weight, int out, int in) override {
    packWeightBf16(packed, weight, out, in);
  }
  void toBf16(uint16_t* dst, const float* src, int64_t n) override { cpu::toBf16(dst, src, n); }
  void linear(const Bf16LinearArgs& args) override { linearBf16(args); }
  void attention(uint16_t* context, const uint16_t* q, const uint16_t* k, const uint16_t* v, const int32_t* mask,
                 float scale, const AttentionShape& shape) override {
    attentionBf16(context, q, k, v, mask, scale, shape);
  }
  void dropout(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step,
               uint32_t site) override {
    cpu::dropout(out, in, n, p, seed, step, site);
  }
  void dropoutRows(float* out, const float* in, int rows, int C, int64_t counterRowStride, float p, uint64_t seed,
                   uint64_t step, uint32_t site) override {
    cpu::dropoutRows(out, in, rows, C, counterRowStride, p, seed, step, site);
  }
  void gatherClsRows(float* out, const float* in, int B, int T, int H) override {
    cpu::gatherClsRows(out, in, B, T, H);
  }
  void scatterClsRows(float* dIn, const float* dOut, int B, int T, int H) override {
    cpu::scatterClsRows(dIn, dOut, B, T, H);
  }
  void crossEntropyForward(float* losses, float* probs, const float* logits, const int32_t* labels, int B,
                           int C) override {
    cpu::crossEntropyForward(losses, probs, logits, labels, B, C);
  }
  void crossEntropyBackward(float* dLogits, const float* probs, const int32_t* labels, float scale, int B,
                            int C) override {
    cpu::crossEntropyBackward(dLogits, probs, labels, scale, B, C);
  }
  void bceWithLogitsForward(float* losses, const float* logits, const float* targets, int64_t n) override {
    cpu::bceWithLogitsForward(losses, logits, targets, n);
  }
  void bceWithLogitsBackward(float* dLogits, const float* logits, const float* targets, float scale,
                             int64_t n) override {
    cpu::bceWithLogitsBackward(dLogits, logits, targets, scale, n);
  }
  void squaredErrorForward(float* losses, const float* x, const float* y, int64_t n) override {
    cpu::squaredErrorForward(losses, x, y, n);
  }
  void squaredErrorBackward(float* dX, const float* x, const float* y, float scale, int64_t n) override {
    cpu::squaredErrorBackward(dX, x, y, scale, n);
  }
  void maskedMeanPool(float* out, const float* in, const int32_t* mask, int B, int T, int H) override {
    cpu::maskedMeanPool(out, in, mask, B, T, H);
  }
  void l2NormalizeRows(float* x, int N, int C) override { cpu::l2NormalizeRows(x, N, C); }
  void adamwUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1,
                   float beta2, float eps, float weightDecay, float gradScale, float biasCorrection1,
                   float biasCorrection2) override {
    cpu::adamwUpdate(param, grad, m, v, n, lr, beta1, beta2, eps, weightDecay, gradScale, biasCorrection1,
                     biasCorrection2);
  }

 private:
  // The model asks bf16GemmOperands() first; a call without it is a bug in the caller, not a CPU to fall back from.
  void requireBf16Operands() {
    if (!bf16GemmOperands()) throw std::logic_error("bf16 GEMM operands need precision bf16 on the AMX kernel family");
  }

  static void copyBytes(void* dst, const void* src, size_t bytes) {
    if (bytes) std::memcpy(dst, src, bytes);
  }

  const bool bf16_;
  mutable std::string description_;
};

}  // namespace

std::shared_ptr<Backend> createCpuBackend(GemmPrecision precision) {
  if (precision == GemmPrecision::Tf32) throw std::invalid_argument("the CPU backend has no tf32 GEMMs");
  return std::make_shared<CpuBackend>(precision == GemmPrecision::Bf16);
}

}  // namespace bertnode::cpu

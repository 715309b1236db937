// The op interface the BERT model is written against; one implementation per device (native/cpu, native/cuda).
//
// Every pointer an op takes is a *device pointer* obtained from this backend's alloc(); ops never read device memory
// on the host, so a CUDA backend can run them asynchronously on its stream. The only host<->device transfers are
// upload/download, which are synchronous (they return when the data has arrived).
//
// Conventions shared by all ops:
// - fp32 for activations, parameters, gradients and moments; int32 for token ids, token types, masks and labels.
// - Row-major everywhere. N = B*T is the number of token rows, H the hidden size, C a generic row width.
// - "accumulate" (+=) means the op adds into its output, which must hold valid data; "write" means the output is
//   overwritten and never read. Outputs that are documented as nullable are simply skipped when null.
// - In-place use (out == in) is allowed only where the comment says so.
// - Sizes are int64_t for element counts that can exceed 2^31 (B*H*T*T), int for matrix dimensions.
// Errors (out of memory, device failures) are thrown as std::runtime_error; ops do not validate indices — the model
// validates every id/label on the host before uploading them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "model/bf16_activations.h"

namespace bertnode {

// The order in which embeddingsBackward sums the rows of dOut [N,H] into the rows of a table's gradient (N = B*T;
// the key of row r is its token id for the word table, its token type for the token-type table). Built on the host
// from the batch's keys by ScatterPlanBuilder (model/scatter_plan.h) and uploaded with the batch; pointers are
// device pointers, counts are host values. The rows are sorted by key (ascending row within a key) and cut into
// chunks that never span two keys. For chunk k with rows R = rows[chunkStart[k] .. chunkStart[k+1]) and key K:
// - chunkSlot[k] == -1 (K's only chunk):  table[K] = ((table[K] + dOut[R0]) + dOut[R1]) + ...   (row order)
// - chunkSlot[k] == s (K has several):     partial[s] = (dOut[R0] + dOut[R1]) + ...
// and for segment j (one per key with several chunks), key segmentKey[j], slots S = segmentSlotStart[j] ..
// segmentSlotStart[j+1]:                   table[key] = ((table[key] + partial[S0]) + partial[S1]) + ...
// Every backend sums in exactly this order in fp32, so the gradients are the same bits on every run and device.
struct ScatterPlan {
  const int32_t* rows = nullptr;              // [numRows] row indices of dOut, grouped by key
  const int32_t* chunkStart = nullptr;        // [numChunks + 1] offsets into rows; chunkStart[numChunks] = numRows
  const int32_t* chunkKey = nullptr;          // [numChunks] the table row the chunk adds into
  const int32_t* chunkSlot = nullptr;         // [numChunks] -1, or the chunk's partial sum in [0, numSlots)
  const int32_t* segmentKey = nullptr;        // [numSegments] keys with more than one chunk
  const int32_t* segmentSlotStart = nullptr;  // [numSegments + 1] their slots; the last entry is numSlots
  int numRows = 0;
  int numChunks = 0;
  int numSegments = 0;
  int numSlots = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // Short device description for error messages and logs, e.g. "cpu (avx2, 8 threads)".
  virtual const char* name() const = 0;

  // ---- memory -------------------------------------------------------------------------------------------------
  // Allocates `bytes` of device memory aligned to at least 64 bytes; contents are undefined. Throws on failure.
  virtual void* alloc(size_t bytes) = 0;
  // Frees memory from alloc(); null is a no-op.
  virtual void release(void* ptr) = 0;
  // Host -> device copy of `bytes`.
  virtual void upload(void* deviceDst, const void* hostSrc, size_t bytes) = 0;
  // Device -> host copy of `bytes`; returns after all previously issued ops have finished.
  virtual void download(void* hostDst, const void* deviceSrc, size_t bytes) = 0;
  // Device -> device copy of `bytes` (regions must not overlap).
  virtual void copy(void* deviceDst, const void* deviceSrc, size_t bytes) = 0;
  // Sets `bytes` of device memory to zero (all-zero bits == 0.0f and int32 0).
  virtual void zero(void* deviceDst, size_t bytes) = 0;
  // Blocks until every op issued so far has finished.
  virtual void synchronize() = 0;

  // ---- matrix products ----------------------------------------------------------------------------------------
  // C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C. transA: A is stored [K,M]; transB: B is stored [N,K].
  // lda/ldb/ldc are row strides of A, B, C as stored. beta == 0: C is write-only (may hold NaNs before).
  virtual void gemm(bool transA, bool transB, int M, int N, int K, float alpha, const float* A, int lda,
                    const float* B, int ldb, float beta, float* C, int ldc) = 0;
  // `batch` independent gemms; matrix i uses A + i*strideA, B + i*strideB, C + i*strideC (strides in elements).
  virtual void gemmStridedBatched(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                                  int lda, int64_t strideA, const float* B, int ldb, int64_t strideB, float beta,
                                  float* C, int ldc, int64_t strideC, int batch) = 0;

  // ---- bf16 storage of a training activation ----------------------------------------------------------------
  // Whether the ops below run here: the device's bf16 GEMMs read operands stored as bf16 (the CPU's AMX family with
  // precision bf16; no other backend yet). A layer the backward reads then keeps the tensors only GEMMs read in bf16 —
  // its GELU output, and with the fused attention q, k, v and the context (FusedAttention's Bf16 pair) — the values
  // those GEMMs round them to anyway: the same numbers, half the tensors' memory and traffic.
  virtual bool bf16GemmOperands() { return false; }
  // gemm (alpha, beta as there) with op(A) (aBf16; not transposed) and/or op(B) (bBf16; either way) stored as bf16;
  // bf16 products.
  virtual void gemmBf16Operands(bool transA, bool transB, int M, int N, int K, float alpha, const void* A, bool aBf16,
                                int lda, const void* B, bool bBf16, int ldb, float beta, float* C, int ldc) {
    throw std::logic_error("gemmBf16Operands: this backend has no bf16 GEMM operands");
  }
  // out[r, c] = in[r, c] + bias[c] rounded to bf16, nearest even, over N rows of C (a Linear's output kept as bf16).
  virtual void addBiasBf16(uint16_t* out, const float* in, const float* bias, int N, int C) {
    throw std::logic_error("addBiasBf16: this backend has no bf16 GEMM operands");
  }
  // geluForwardWithDerivative with out rounded to bf16, nearest even (derivative == in allowed).
  virtual void geluForwardWithDerivativeBf16(uint16_t* out, float* derivative, const float* in, int64_t n) {
    throw std::logic_error("geluForwardWithDerivativeBf16: this backend has no bf16 GEMM operands");
  }

  // ---- embeddings ---------------------------------------------------------------------------------------------
  // out[b,t,:] = word[ids[b,t],:] + position[t,:] + tokenType[typeIds[b,t],:]   (write)
  // out [B,T,H]; ids, typeIds [B,T] int32; word [V,H]; position [P,H] with T <= P; tokenType [TV,H].
  virtual void embeddingsForward(float* out, const int32_t* ids, const int32_t* typeIds, const float* word,
                                 const float* position, const float* tokenType, int B, int T, int H) = 0;
  // Scatter-add of dOut [B,T,H] into the embedding tables' gradients (accumulate):
  // dWord[ids[b,t]] += dOut[b,t]; dPosition[t] += dOut[b,t]; dTokenType[typeIds[b,t]] += dOut[b,t],
  // the word and token-type sums in the order of wordPlan and typePlan (ScatterPlan above, built from ids and
  // typeIds; each covers B*T rows, else std::invalid_argument), the position sums in batch order b = 0..B-1.
  // Any of dWord/dPosition/dTokenType may be null (frozen table; its plan is then not read).
  virtual void embeddingsBackward(float* dWord, float* dPosition, float* dTokenType, const float* dOut,
                                  const ScatterPlan& wordPlan, const ScatterPlan& typePlan, int B, int T,
                                  int H) = 0;

  // ---- LayerNorm ----------------------------------------------------------------------------------------------
  // Per row r of in [N,C]: mean_r, var_r (biased, 1/C), rstd_r = 1/sqrt(var_r + eps),
  // out[r,c] = (in[r,c] - mean_r) * rstd_r * gamma[c] + beta[c]  (write). mean/rstd [N] are saved for the backward
  // and may be null when no backward will run. out == in is allowed.
  virtual void layerNormForward(float* out, float* mean, float* rstd, const float* in, const float* gamma,
                                const float* beta, int N, int C, float eps) = 0;
  // Given dOut [N,C] and the forward's in [N,C], gamma [C], mean/rstd [N]:
  // dIn [N,C] (write; may be null), dGamma [C] += sum_r dOut*xhat, dBeta [C] += sum_r dOut (both accumulate,
  // either may be null). dIn == dOut is allowed.
  virtual void layerNormBackward(float* dIn, float* dGamma, float* dBeta, const float* dOut, const float* in,
                                 const float* gamma, const float* mean, const float* rstd, int N, int C) = 0;
  // The end of BertSelfOutput / BertOutput: residual = dropout(branch) + in (dropout as dropout() below with
  // (p, seed, step, site) over the [N,C] tensor; none when p == 0), then out, mean, rstd = layerNormForward(residual)
  // — the bits of those three ops in that order, in one pass where the device can (residual is written: the
  // LayerNorm backward reads it). mean/rstd may be null as in layerNormForward.
  virtual void dropoutAddLayerNorm(float* out, float* residual, float* mean, float* rstd, const float* branch,
                                   const float* in, const float* gamma, const float* beta, int N, int C, float eps,
                                   float p, uint64_t seed, uint64_t step, uint32_t site) = 0;

  // ---- elementwise and reductions -----------------------------------------------------------------------------
  // x[r,c] += bias[c] for x [N,C] (in place).
  virtual void addBias(float* x, const float* bias, int N, int C) = 0;
  // dBias[c] += sum_r dOut[r,c] for dOut [N,C] (accumulate).
  virtual void biasBackward(float* dBias, const float* dOut, int N, int C) = 0;
  // out[i] = a[i] + b[i] for n elements (write; out may alias a or b).
  virtual void add(float* out, const float* a, const float* b, int64_t n) = 0;
  // out[i] = a[i] * b[i] for n elements (write; out may alias a or b).
  virtual void multiply(float* out, const float* a, const float* b, int64_t n) = 0;
  // x[i] *= alpha for n elements (in place).
  virtual void scale(float* x, float alpha, int64_t n) = 0;
  // out[i] = gelu(in[i]) = 0.5 * in * (1 + erf(in / sqrt(2)))  (exact erf form; write; out == in allowed).
  virtual void geluForward(float* out, const float* in, int64_t n) = 0;
  // dIn[i] = dOut[i] * gelu'(in[i]) with gelu'(x) = Phi(x) + x * phi(x)  (write; dIn == dOut allowed).
  virtual void geluBackward(float* dIn, const float* dOut, const float* in, int64_t n) = 0;
  // geluForward, and derivative[i] = gelu'(in[i]) (write; derivative == in allowed, out aliases neither): for a layer
  // whose backward then needs only multiply(dIn, dOut, derivative), the same bits as geluBackward, in a pass that
  // reads two tensors instead of computing erf and exp from the input again.
  virtual void geluForwardWithDerivative(float* out, float* derivative, const float* in, int64_t n) = 0;
  // out[i] = tanh(in[i])  (write; out == in allowed). Pooler activation.
  virtual void tanhForward(float* out, const float* in, int64_t n) = 0;
  // dIn[i] = dOut[i] * (1 - out[i]^2), from the forward's output  (write; dIn == dOut allowed).
  virtual void tanhBackward(float* dIn, const float* dOut, const float* out, int64_t n) = 0;
  // *result += sum_i x[i]^2 over n elements; result is one float on the device (accumulate). Used for the global
  // gradient norm, so implementations accumulate in higher precision internally.
  virtual void sumOfSquares(float* result, const float* x, int64_t n) = 0;

  // ---- attention ----------------------------------------------------------------------------------------------
  // [B,T,NH*D] (row stride NH*D) -> [B,NH,T,D]: out[b,h,t,d] = in[b,t,h*D+d]  (write).
  virtual void splitHeads(float* out, const float* in, int B, int T, int NH, int D) = 0;
  // [B,NH,T,D] -> [B,T,NH*D]: out[b,t,h*D+d] = in[b,h,t,d]  (write). The backward of splitHeads and vice versa.
  virtual void mergeHeads(float* out, const float* in, int B, int T, int NH, int D) = 0;
  // Masked, scaled softmax over the last axis of scores [B,NH,Q,T] (query t < Q, key s < T; Q = T but in the
  // first-token layer, Q = 1), written in place into probs:
  // probs[b,h,t,s] = softmax_s(scale * scores[b,h,t,s]) over the keys s with mask[b,s] != 0; keys with
  // mask[b,s] == 0 get probability exactly 0. mask [B,T] int32. Max-subtracted. A row whose keys are all masked
  // gets the uniform 1/T over all keys — what Hugging Face's additive finfo.min mask yields in fp32.
  // probs == scores is allowed (and is how the model calls it).
  virtual void attentionSoftmaxForward(float* probs, const float* scores, const int32_t* mask, float scale, int B,
                                       int NH, int Q, int T) = 0;
  // dScores[b,h,t,s] = scale * probs * (dProbs - sum_s' dProbs*probs), all [B,NH,Q,T]  (write;
  // dScores == dProbs allowed). Masked keys get 0 because their probability is 0.
  virtual void attentionSoftmaxBackward(float* dScores, const float* dProbs, const float* probs, float scale,
                                        int B, int NH, int Q, int T) = 0;

  // The device's flash-style attention (model/fused_attention.h), or null where the model composes attention from
  // the ops above. The model takes the fused op whenever no one asked for a layer's probabilities.
  virtual FusedAttention* fusedAttention() = 0;

  // The device's Linear layers on bf16 activations (model/bf16_activations.h), or null where it has none (or the precision
  // is not bf16). The model runs an encoder layer through them when no backward reads the layer and no one asked for
  // its probabilities.
  virtual Bf16Activations* bf16Activations() = 0;

  // ---- dropout ------------------------------------------------------------------------------------------------
  // out[i] = keep(i) ? in[i] / (1 - p) : 0, with keep(i) = dropoutUniform(seed, step, site, i) >= p from
  // core/philox.h (write; out == in allowed), for 0 <= p < 1. The mask is regenerated from the counter, never
  // stored, so the same call on dOut is the backward: dIn = dropout(dOut) with the same (seed, step, site).
  virtual void dropout(float* out, const float* in, int64_t n, float p, uint64_t seed, uint64_t step,
                       uint32_t site) = 0;
  // dropout() on some rows of a larger tensor, stored packed: row r of out/in [rows, C] is the tensor's row whose
  // first counter is r * counterRowStride, so element (r,c) keeps iff dropoutUniform(seed, step, site,
  // r * counterRowStride + c) >= p (write; out == in allowed; counterRowStride >= C). The first-token layer drops its
  // [CLS] rows with the masks the full layer gives them (counterRowStride = T*C).
  virtual void dropoutRows(float* out, const float* in, int rows, int C, int64_t counterRowStride, float p,
                           uint64_t seed, uint64_t step, uint32_t site) = 0;

  // ---- classification heads -------------------------------------------------------------------------------------
  // out[b,:] = in[b,0,:] — the [CLS] rows of in [B,T,H] into out [B,H]  (write).
  virtual void gatherClsRows(float* out, const float* in, int B, int T, int H) = 0;
  // dIn[b,0,:] += dOut[b,:] for dIn [B,T,H], dOut [B,H]  (accumulate; other rows untouched).
  virtual void scatterClsRows(float* dIn, const float* dOut, int B, int T, int H) = 0;
  // Per row b of logits [B,C]: probs[b,:] = softmax(logits[b,:]) (write, max-subtracted) and
  // losses[b] = -log softmax(logits[b,:])[labels[b]] (write), computed as logsumexp - logit for accuracy.
  // labels [B] int32; a label outside [0, C) marks an ignored row (token-classification / masked-LM -100, QA's
  // out-of-sequence position): its loss is 0.
  virtual void crossEntropyForward(float* losses, float* probs, const float* logits, const int32_t* labels, int B,
                                   int C) = 0;
  // dLogits[b,c] = scale * (probs[b,c] - (c == labels[b]))  (write); 0 on ignored rows. For a mean loss,
  // scale = lossScale / (number of rows not ignored).
  virtual void crossEntropyBackward(float* dLogits, const float* probs, const int32_t* labels, float scale, int B,
                                    int C) = 0;

  // ---- task-head losses and pooling (model/heads) ---------------------------------------------------------------
  // losses[i] = max(x,0) - x*y + log(1 + exp(-|x|)) for x = logits[i], y = targets[i]: torch's
  // binary_cross_entropy_with_logits per element (write).
  virtual void bceWithLogitsForward(float* losses, const float* logits, const float* targets, int64_t n) = 0;
  // dLogits[i] = scale * (sigmoid(x) - y)  (write).
  virtual void bceWithLogitsBackward(float* dLogits, const float* logits, const float* targets, float scale,
                                     int64_t n) = 0;
  // losses[i] = (x[i] - y[i])^2  (write).
  virtual void squaredErrorForward(float* losses, const float* x, const float* y, int64_t n) = 0;
  // dX[i] = scale * 2 * (x[i] - y[i])  (write).
  virtual void squaredErrorBackward(float* dX, const float* x, const float* y, float scale, int64_t n) = 0;
  // sentence-transformers' mean pooling: out[b,:] = sum_t mask[b,t] * in[b,t,:] / max(sum_t mask[b,t], 1e-9)
  // for in [B,T,H], mask [B,T] int32 in {0,1}, out [B,H] (write; the sums run t = 0..T-1 in fp32).
  virtual void maskedMeanPool(float* out, const float* in, const int32_t* mask, int B, int T, int H) = 0;
  // torch.nn.functional.normalize(p=2): x[r,:] /= max(||x[r,:]||_2, 1e-12) for x [N,C] (in place).
  virtual void l2NormalizeRows(float* x, int N, int C) = 0;

  // ---- optimizer ----------------------------------------------------------------------------------------------
  // One AdamW step over n elements, exactly torch.optim.AdamW's (non-foreach) arithmetic:
  //   g = grad * gradScale                      (gradScale: the global-norm clipping factor, 1 if none)
  //   param *= 1 - lr * weightDecay             (decoupled decay; 0 for excluded parameters)
  //   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g^2
  //   param -= (lr / biasCorrection1) * m / (sqrt(v) / sqrt(biasCorrection2) + eps)
  // with biasCorrection1 = 1 - beta1^t, biasCorrection2 = 1 - beta2^t for the 1-based step t.
  // grad is not modified.
  virtual void adamwUpdate(float* param, const float* grad, float* m, float* v, int64_t n, float lr, float beta1,
                           float beta2, float eps, float weightDecay, float gradScale, float biasCorrection1,
                           float biasCorrection2) = 0;
};

}  // namespace bertnode

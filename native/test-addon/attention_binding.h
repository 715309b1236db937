// N-API binding that runs the model's two attention cores on the same inputs (test addon only):
//   attentionPaths({ B, NH, T, D, q, k, v, dContext, mask, p, seed, step, site, precision, repeats })
//     -> { composed: { context, dq, dk, dv }, fused: { context, dq, dk, dv }, fusedBf16?: { context, dq, dk, dv },
//          seconds?: { composedForward, composedBackward, fusedForward, fusedBackward: { cpu, wall } } }
// q, k, v, dContext: Float32Array [B,T,NH*D]; mask: Int32Array [B,T]; p: attention dropout in [0, 1) (0: none);
// precision 'fp32' | 'bf16' (the CPU backend's GEMM precision). composed is model/attention.h's composed forward and
// backward between head split and merge, fused the CPU backend's FusedAttention: test/native/fused-attention
// compares them; fusedBf16 (where the backend's bf16 GEMMs read bf16 operands: precision bf16 on AMX) is the fused op
// with q, k, v rounded to bf16 and stored so (FusedAttention's Bf16 pair), its bf16 context widened; repeats > 0
// (scripts/bench/attention-core.js) also times each part that many times. Synchronous, on the CPU backend.
#pragma once

#include <napi.h>

namespace bertnode::testaddon {

Napi::Value attentionPaths(const Napi::CallbackInfo& info);

}  // namespace bertnode::testaddon

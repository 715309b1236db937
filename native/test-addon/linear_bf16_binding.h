// N-API binding of the bf16-activation Linear kernel for tests and benchmarks (test addon only): exports.linearBf16 =
// { supported(), run(args) }. run({ x, m, k, w, n, bias?, residual?, gelu?, outputs?, threads?, repeat? }) rounds x
// [m, k] to bf16 (cpu::toBf16), packs w [n, k] (cpu::packWeightBf16) and runs cpu::linearBf16 (cpu/linear_bf16.h) on
// `threads` pool threads (default: the pool's size; restored afterwards), `repeat` times (benchmarks). outputs:
// 'fp32' (default), 'bf16' or 'both'; returns { y?: Float32Array, yBf16?: Float32Array (the bf16 values widened) }.
// Synchronous on purpose; the model API never goes through here.
#pragma once

#include <napi.h>

namespace bertnode::testaddon {

void registerLinearBf16(Napi::Env env, Napi::Object exports);

}  // namespace bertnode::testaddon

// N-API binding of the raw int8 Linear kernels for tests and benchmarks (test addon only): exports.int8 = {
// linear(args), families(), activeFamily() }. linear({ x, m, k, w, n, bias?, family?, threads?, repeat? }) quantises
// w [n, k] and returns y [m, n] = the int8 Linear of x [m, k] (cpu/gemm_int8.h) as a new Float32Array, run with the
// named family (default: the one the model uses) on `threads` pool threads (default: the pool's size; restored
// afterwards), `repeat` times into the same y (default 1: benchmarks time the steady state with more). Synchronous on purpose; the model API never goes through here.
#pragma once

#include <napi.h>

namespace bertnode::testaddon {

void registerInt8(Napi::Env env, Napi::Object exports);

}  // namespace bertnode::testaddon

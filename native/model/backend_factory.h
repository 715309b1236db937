// Creates the Backend a model runs on, from a device name — the one place that knows which backends this binary
// was compiled with (candle's habit: one switch, and a backend that is not compiled answers with an error instead of
// #ifdefs spread through the code).
//
// The CPU addon (node-gyp, native/sources.txt) compiles this file without BERTNODE_WITH_CUDA: "cuda" answers
// BackendUnavailableError("... built without CUDA ..."). The CUDA addon (CMake target bertnode_cuda,
// scripts/build-cuda.js) compiles the same file with BERTNODE_WITH_CUDA and creates a cuda::CudaBackend.
//
// For the addon (native/addon/model_wrap.cpp): replace `cpu::createCpuBackend()` with
// `createBackend(parseBackendOptions(device, precision))`, where device/precision are the JS options
// `device: 'cpu' | 'cuda' | 'cuda:N'` and `precision: 'fp32' | 'tf32' | 'bf16'` (defaults "cpu" and "fp32"), and map
// BackendUnavailableError to the JS code ERR_BERTNODE_NO_CUDA. Nothing else in the addon changes.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "model/backend.h"

namespace bertnode {

// How the GEMMs (linear layers and the attention products) compute; everything else is fp32 on every setting, and
// parameters, gradients and AdamW moments stay fp32 (master weights).
enum class GemmPrecision {
  Fp32,  // IEEE fp32 products and sums: matches the CPU backend to ~1e-5 relative
  Tf32,  // CUDA only: tensor cores round the inputs to TF32 (10-bit mantissa), fp32 sums: ~1e-3 relative
  Bf16,  // CUDA, and CPUs with AVX-512 BF16: inputs rounded to bf16 (8-bit mantissa) on the fly, fp32 sums: ~1e-2 relative
};

struct BackendOptions {
  std::string device = "cpu";  // "cpu", "cuda" (device 0) or "cuda:N"
  int deviceIndex = 0;         // the N of "cuda:N"
  GemmPrecision precision = GemmPrecision::Fp32;
};

// A device that this binary cannot provide: CUDA not compiled in, or no usable GPU/driver. The message says which.
class BackendUnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses the JS-facing names ("cpu" | "cuda" | "cuda:N", "fp32" | "tf32" | "bf16"); std::invalid_argument otherwise,
// including 'tf32' on the CPU and 'bf16' on a CPU without AVX-512 BF16 (cpu::bf16GemmSupported()).
BackendOptions parseBackendOptions(const std::string& device, const std::string& precision);

// Throws BackendUnavailableError when the device is not compiled in or cannot be initialised.
std::shared_ptr<Backend> createBackend(const BackendOptions& options);

// Whether this binary contains the CUDA backend (true only in bertnode_cuda.node).
bool builtWithCuda();

}  // namespace bertnode

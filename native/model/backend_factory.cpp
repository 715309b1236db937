// The backend switch (see backend_factory.h). BERTNODE_WITH_CUDA is defined only by the CMake target bertnode_cuda,
// so the CPU addon never references a CUDA symbol.
#include "model/backend_factory.h"

#include <cstdlib>

#include "cpu/cpu_backend.h"
#include "cpu/gemm.h"
#ifdef BERTNODE_WITH_CUDA
#include "cuda/cuda_backend.h"
#endif

namespace bertnode {

BackendOptions parseBackendOptions(const std::string& device, const std::string& precision) {
  BackendOptions options;
  if (device == "cpu" || device == "cuda") {
    options.device = device;
  } else if (device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
             device.find_first_not_of("0123456789", 5) == std::string::npos && device.size() <= 8) {
    options.device = "cuda";
    options.deviceIndex = std::atoi(device.c_str() + 5);
  } else {
    throw std::invalid_argument("unknown device '" + device + "': expected 'cpu', 'cuda' or 'cuda:N'");
  }
  if (precision == "fp32") {
    options.precision = GemmPrecision::Fp32;
  } else if (precision == "tf32") {
    options.precision = GemmPrecision::Tf32;
  } else if (precision == "bf16") {
    options.precision = GemmPrecision::Bf16;
  } else {
    throw std::invalid_argument("unknown precision '" + precision + "': expected 'fp32', 'tf32' or 'bf16'");
  }
  if (options.device == "cpu" && options.precision == GemmPrecision::Tf32)
    throw std::invalid_argument("precision 'tf32' is only available on CUDA; the CPU computes 'fp32' or 'bf16'");
  // No silent fallback to fp32: the caller asked for bf16's speed and accuracy trade and should know it did not get it.
  if (options.device == "cpu" && options.precision == GemmPrecision::Bf16 && !cpu::bf16GemmSupported())
    throw std::invalid_argument(
        "precision 'bf16' on the CPU needs AVX-512 BF16 (vdpbf16ps: Intel Cooper Lake / Sapphire Rapids or later, "
        "AMD Zen 4 or later), which this CPU lacks; use precision 'fp32'");
  return options;
}

std::shared_ptr<Backend> createBackend(const BackendOptions& options) {
  if (options.device == "cpu") return cpu::createCpuBackend(options.precision);
  if (options.device == "cuda") {
#ifdef BERTNODE_WITH_CUDA
    return cuda::createCudaBackend(options.deviceIndex, options.precision);
#else
    throw BackendUnavailableError(
        "device 'cuda' is not available: bertnode was built without CUDA (build the CUDA addon with "
        "`npm run build:cuda` on a machine with a CUDA toolkit, or let it install one from PyPI)");
#endif
  }
  throw std::invalid_argument("unknown device '" + options.device + "'");
}

bool builtWithCuda() {
#ifdef BERTNODE_WITH_CUDA
  return true;
#else
  return false;
#endif
}

}  // namespace bertnode

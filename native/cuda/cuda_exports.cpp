// N-API functions only the CUDA addon has: the device probe (cuda_exports.h documents it).
#include "cuda/cuda_exports.h"

#include <string>

#include "cuda/cuda_backend.h"

namespace bertnode::cuda {
namespace {

Napi::Value CudaProbeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CudaProbe probe = probeCuda();
  Napi::Object result = Napi::Object::New(env);
  result.Set("builtWithCuda", Napi::Boolean::New(env, true));
  result.Set("runtimeVersion", Napi::Number::New(env, probe.runtimeVersion));
  result.Set("driverVersion", Napi::Number::New(env, probe.driverVersion));
  Napi::Array devices = Napi::Array::New(env, probe.devices.size());
  for (size_t i = 0; i < probe.devices.size(); ++i) {
    const CudaDeviceInfo& d = probe.devices[i];
    Napi::Object device = Napi::Object::New(env);
    device.Set("index", Napi::Number::New(env, d.index));
    device.Set("name", Napi::String::New(env, d.name));
    device.Set("computeCapability", Napi::String::New(env, std::to_string(d.computeMajor) + "." +
                                                               std::to_string(d.computeMinor)));
    device.Set("multiprocessors", Napi::Number::New(env, d.multiprocessors));
    device.Set("totalBytes", Napi::Number::New(env, static_cast<double>(d.totalBytes)));
    device.Set("freeBytes", Napi::Number::New(env, static_cast<double>(d.freeBytes)));
    devices.Set(static_cast<uint32_t>(i), device);
  }
  result.Set("devices", devices);
  if (!probe.error.empty()) result.Set("error", Napi::String::New(env, probe.error));
  return result;
}

}  // namespace

void addCudaExports(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaProbe", Napi::Function::New(env, CudaProbeJs));
}

}  // namespace bertnode::cuda

// Argument readers shared by the test addon's kernel bindings (int8_binding.cpp, linear_bf16_binding.cpp): each
// throws a TypeError/RangeError with code ERR_BERTNODE_INVALID_ARGUMENT naming the function (`where`) and the field.
#pragma once

#include <napi.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "addon/errors.h"

namespace bertnode::testaddon {

// An integer in [1, max].
inline int dimension(Napi::Env env, const Napi::Value& v, const char* where, const char* key, int64_t max) {
  if (!v.IsNumber()) addon::throwTypeError(env, std::string(where) + ": " + key + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1) || d != std::floor(d) || d > double(max)) {
    addon::throwRangeError(env, std::string(where) + ": " + key + " must be an integer in [1, " +
                                    std::to_string(max) + "], got " + std::to_string(d));
  }
  return static_cast<int>(d);
}

// A Float32Array of exactly `length` elements.
inline Napi::Float32Array floats(Napi::Env env, const Napi::Value& v, const char* where, const char* key,
                                 int64_t length) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    addon::throwTypeError(env, std::string(where) + ": " + key + " must be a Float32Array");
  }
  Napi::Float32Array array = v.As<Napi::Float32Array>();
  if (static_cast<int64_t>(array.ElementLength()) != length) {
    addon::throwRangeError(env, std::string(where) + ": " + key + " has " + std::to_string(array.ElementLength()) +
                                    " elements, expected " + std::to_string(length));
  }
  return array;
}

}  // namespace bertnode::testaddon

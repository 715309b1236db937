// JS errors raised by the addon. Each carries a `code` that lib/native/errors.ts maps onto lib/errors.ts:
//   ERR_BERTNODE_INVALID_ARGUMENT  a value crossing N-API was rejected (TypeError for a wrong type, RangeError for a
//                                  value out of range); nothing was changed
//   ERR_BERTNODE_DISPOSED          the model was disposed
//   ERR_BERTNODE_BUSY              the model is running an asynchronous call
//   ERR_BERTNODE_OUT_OF_MEMORY     an allocation failed
//   ERR_BERTNODE_NO_CUDA           the device asked for is not compiled in or not usable (BackendUnavailableError)
//   ERR_BERTNODE_NATIVE            any other engine failure
#pragma once

#include <napi.h>

#include <functional>
#include <string>

namespace bertnode::addon {

inline constexpr const char* kInvalidArgument = "ERR_BERTNODE_INVALID_ARGUMENT";
inline constexpr const char* kDisposed = "ERR_BERTNODE_DISPOSED";
inline constexpr const char* kBusy = "ERR_BERTNODE_BUSY";
inline constexpr const char* kOutOfMemory = "ERR_BERTNODE_OUT_OF_MEMORY";
inline constexpr const char* kNoCuda = "ERR_BERTNODE_NO_CUDA";
inline constexpr const char* kNative = "ERR_BERTNODE_NATIVE";

enum class ErrorKind { Type, Range, Plain };

// A JS error object of the given kind with `code` set.
Napi::Error makeError(Napi::Env env, ErrorKind kind, const char* code, const std::string& message);

// Throws (as a C++ exception that node-addon-api turns into a JS exception) a TypeError / RangeError with code
// ERR_BERTNODE_INVALID_ARGUMENT.
[[noreturn]] void throwTypeError(Napi::Env env, const std::string& message);
[[noreturn]] void throwRangeError(Napi::Env env, const std::string& message);
[[noreturn]] void throwError(Napi::Env env, const char* code, const std::string& message);

// The code for an engine exception caught on any thread: std::invalid_argument → invalid argument,
// BackendUnavailableError → no CUDA, std::bad_alloc → out of memory, anything else → native.
const char* codeOfCurrentException(std::string& message);

// Runs fn on the JS thread and turns engine exceptions (std::invalid_argument, std::bad_alloc, std::exception)
// into coded JS errors; JS errors thrown by fn pass through unchanged.
Napi::Value guard(Napi::Env env, const std::function<Napi::Value()>& fn);

}  // namespace bertnode::addon

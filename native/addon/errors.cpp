#include "addon/errors.h"

#include <new>
#include <stdexcept>

#include "model/backend_factory.h"

namespace bertnode::addon {

Napi::Error makeError(Napi::Env env, ErrorKind kind, const char* code, const std::string& message) {
  Napi::Error error = kind == ErrorKind::Type    ? Napi::TypeError::New(env, message)
                      : kind == ErrorKind::Range ? Napi::RangeError::New(env, message)
                                                 : Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void throwTypeError(Napi::Env env, const std::string& message) {
  throw makeError(env, ErrorKind::Type, kInvalidArgument, message);
}

void throwRangeError(Napi::Env env, const std::string& message) {
  throw makeError(env, ErrorKind::Range, kInvalidArgument, message);
}

void throwError(Napi::Env env, const char* code, const std::string& message) {
  throw makeError(env, ErrorKind::Plain, code, message);
}

const char* codeOfCurrentException(std::string& message) {
  try {
    throw;
  } catch (const std::invalid_argument& e) {
    message = e.what();
    return kInvalidArgument;
  } catch (const BackendUnavailableError& e) {
    message = e.what();
    return kNoCuda;
  } catch (const std::bad_alloc&) {
    message = "out of memory";
    return kOutOfMemory;
  } catch (const std::exception& e) {
    message = e.what();
    return kNative;
  } catch (...) {
    message = "unknown native exception";
    return kNative;
  }
}

Napi::Value guard(Napi::Env env, const std::function<Napi::Value()>& fn) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    std::string message;
    const char* code = codeOfCurrentException(message);
    throw makeError(env, code == kInvalidArgument ? ErrorKind::Range : ErrorKind::Plain, code, message);
  }
}

}  // namespace bertnode::addon

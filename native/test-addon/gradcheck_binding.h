// gradcheckOps() → Promise<{name, maxAbsErr, maxRelErr, tolerance, passed}[]>: the engine's finite-difference
// checks of every backward op (native/model/gradcheck.h) on the CPU backend, for test/native/gradcheck.test.ts.
#pragma once

#include <napi.h>

namespace bertnode::testaddon {

Napi::Value gradcheckOps(const Napi::CallbackInfo& info);

}  // namespace bertnode::testaddon

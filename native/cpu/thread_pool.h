// A persistent pool of worker threads for the CPU kernels.
//
// Kernels split their work with parallelFor; the pool is created once per process (threads are expensive to
// start every op) and sized to the machine unless BERTNODE_NUM_THREADS or setNumThreads says otherwise.
// parallelFor is not re-entrant: a task must not call parallelFor itself (the nested call runs serially).
// Between calls the workers poll for ~50 us before sleeping, so back-to-back ops pay ~1 us to start, not a
// futex wake-up (~10 us).
#pragma once

#include <cstddef>
#include <functional>

namespace bertnode::cpu {

// Runs fn(begin, end) over [0, n) split into contiguous chunks, one per thread at most, whose boundaries are
// multiples of `grain` (only the last chunk ends at n), and returns when all chunks are done. Exceptions thrown by fn
// are rethrown on the calling thread. A flat elementwise op passes a grain that is a multiple of 16 floats, so its
// results do not depend on the thread count (a vector loop's scalar tail then falls at n only).
void parallelFor(size_t n, size_t grain, const std::function<void(size_t begin, size_t end)>& fn);

// Number of threads parallelFor uses (including the calling thread).
int numThreads();

// Resizes the pool; n <= 0 means "one per hardware thread".
void setNumThreads(int n);

}  // namespace bertnode::cpu

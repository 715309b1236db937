#include "cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64)
#include <immintrin.h>
#define BERTNODE_CPU_RELAX() _mm_pause()
#else
#define BERTNODE_CPU_RELAX() std::this_thread::yield()
#endif

namespace bertnode::cpu {
namespace {

// How long a worker waiting for the next task, and a caller waiting for its workers, poll before sleeping on the
// condition variable. The engine issues its ops back to back, so the next parallelFor usually arrives within a few
// microseconds; a futex sleep and wake-up costs ~10 us each way, which polling avoids. The bound keeps idle
// workers from burning a core between steps (or while the machine is shared).
constexpr std::chrono::microseconds kSpinBeforeSleep(50);

// Polls ready() for up to kSpinBeforeSleep; true as soon as it holds.
template <typename Ready>
bool spinUntil(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinBeforeSleep;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      BERTNODE_CPU_RELAX();
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
  }
}

class ThreadPool {
 public:
  explicit ThreadPool(int threads) { start(threads); }
  ~ThreadPool() { stop(); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    std::lock_guard<std::mutex> runLock(runMutex_);
    stop();
    start(threads);
  }

  void run(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
    if (n == 0) return;
    grain = std::max<size_t>(grain, 1);
    size_t chunks = std::min<size_t>(static_cast<size_t>(size()), (n + grain - 1) / grain);
    // A nested call (from inside a task) or a call while another thread is running the pool runs serially,
    // which is always correct and avoids deadlock.
    std::unique_lock<std::mutex> runLock(runMutex_, std::try_to_lock);
    if (chunks <= 1 || !runLock.owns_lock()) {
      fn(0, n);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      task_ = &fn;
      total_ = n;
      grain_ = grain;
      chunks_ = chunks;
      nextChunk_ = 1;  // chunk 0 runs on the calling thread
      pending_ = chunks - 1;
      pendingPublished_.store(chunks - 1, std::memory_order_relaxed);
      error_ = nullptr;
      ++generation_;
      generationPublished_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    std::exception_ptr callerError;
    try {
      runChunk(0);
    } catch (...) {
      callerError = std::current_exception();
    }
    spinUntil([this] { return pendingPublished_.load(std::memory_order_acquire) == 0; });
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    if (callerError) std::rethrow_exception(callerError);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start(int threads) {
    quit_ = false;
    quitPublished_.store(false, std::memory_order_relaxed);
    // No run is in flight here (constructor, or resize under runMutex_), so every generation up to the current
    // one is finished; a worker must start from it, not from whatever it reads once scheduled, or it could take a
    // run that begins meanwhile as already seen and leave the caller waiting for its chunk forever.
    const uint64_t current = generation_;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, current] { workerLoop(current); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
      quitPublished_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
  }

  // Chunk boundaries fall on multiples of the grain (the last chunk ends at n): every grain the ops use is a
  // multiple of the widest vector, so an element goes through a vectorised loop's body or its scalar tail whatever
  // the thread count, and the numbers do not depend on how many threads ran them (test/native/thread-count).
  size_t boundary(size_t chunk) const {
    if (chunk >= chunks_) return total_;
    return std::min(total_, (total_ * chunk / chunks_ + grain_ / 2) / grain_ * grain_);  // nearest multiple
  }

  void runChunk(size_t chunk) const {
    size_t begin = boundary(chunk);
    size_t end = boundary(chunk + 1);
    if (begin < end) (*task_)(begin, end);
  }

  void workerLoop(uint64_t seen) {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      // Poll without the lock first; the predicate below, checked under the lock, is what decides, so a wake-up
      // is never lost whichever way the poll ends.
      lock.unlock();
      spinUntil([&] {
        return quitPublished_.load(std::memory_order_acquire) ||
               generationPublished_.load(std::memory_order_acquire) != seen;
      });
      lock.lock();
      wake_.wait(lock, [&] { return quit_ || (generation_ != seen && nextChunk_ < chunks_); });
      if (quit_) return;
      seen = generation_;
      while (task_ && nextChunk_ < chunks_) {
        size_t chunk = nextChunk_++;
        lock.unlock();
        std::exception_ptr error;
        try {
          runChunk(chunk);
        } catch (...) {
          error = std::current_exception();
        }
        lock.lock();
        if (error && !error_) error_ = error;
        pendingPublished_.store(--pending_, std::memory_order_release);
        if (pending_ == 0) done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex runMutex_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(size_t, size_t)>* task_ = nullptr;
  size_t total_ = 0;
  size_t grain_ = 1;
  size_t chunks_ = 0;
  size_t nextChunk_ = 0;
  size_t pending_ = 0;
  uint64_t generation_ = 0;
  std::exception_ptr error_;
  bool quit_ = false;
  // Copies of generation_, pending_ and quit_ (written under mutex_) that the spinning threads read lock-free.
  std::atomic<uint64_t> generationPublished_{0};
  std::atomic<size_t> pendingPublished_{0};
  std::atomic<bool> quitPublished_{false};
};

int defaultThreads() {
  if (const char* env = std::getenv("BERTNODE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool& pool() {
  static ThreadPool instance(defaultThreads());
  return instance;
}

}  // namespace

void parallelFor(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  pool().run(n, grain, fn);
}

int numThreads() { return pool().size(); }

void setNumThreads(int n) { pool().resize(n > 0 ? n : defaultThreads()); }

}  // namespace bertnode::cpu

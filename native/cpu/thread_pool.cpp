#include "cpu/thread_pool.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace bertnode::cpu {
namespace {

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
      chunks_ = chunks;
      nextChunk_ = 1;  // chunk 0 runs on the calling thread
      pending_ = chunks - 1;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    std::exception_ptr callerError;
    try {
      runChunk(0);
    } catch (...) {
      callerError = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
    if (callerError) std::rethrow_exception(callerError);
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void start(int threads) {
    quit_ = false;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { workerLoop(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
  }

  void runChunk(size_t chunk) const {
    size_t begin = total_ * chunk / chunks_;
    size_t end = total_ * (chunk + 1) / chunks_;
    if (begin < end) (*task_)(begin, end);
  }

  void workerLoop() {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
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
        if (--pending_ == 0) done_.notify_one();
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
  size_t chunks_ = 0;
  size_t nextChunk_ = 0;
  size_t pending_ = 0;
  uint64_t generation_ = 0;
  std::exception_ptr error_;
  bool quit_ = false;
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

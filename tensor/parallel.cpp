// The thread pool behind parallel_for (parallel.h).
//
// One pool of worker threads, made on first use and never destroyed (threads still asleep at exit simply end with the
// process). A job is "run body on ranges 0..R-1 of [0, n)". The caller posts it, wakes the workers, and then claims
// ranges just like a worker does, so with 2 threads the caller and one worker each take half. Workers sleep on a
// condition variable between jobs, after checking for a new one for a few tens of microseconds: long spinning would
// steal a core from OpenBLAS, whose own threads run the matrix products in between our kernels.
#include "tensor/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "tensor/error.h"

namespace glimpse {
namespace {

// True on the pool's workers, and on a caller while it runs a job: a parallel_for nested inside runs serially.
thread_local bool t_in_parallel = false;

int default_threads() {
  if (const char* env = std::getenv("GLIMPSE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::atomic<int> g_num_threads{0};  // 0: not decided yet

// How long an idle worker keeps checking for a new job before it sleeps (about 30 µs of pause instructions).
constexpr int kSpinChecks = 2000;

// Tells the CPU this is a spin-wait loop (cheaper for the other hyper-thread, no memory-order penalty on exit).
inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class Pool {
 public:
  // Runs the job and returns when every range is done.
  void run(int64_t n, int ranges, void (*body)(void*, int64_t, int64_t), void* ctx) {
    std::lock_guard<std::mutex> one_job_at_a_time(run_mu_);
    grow(ranges - 1);
    std::unique_lock<std::mutex> lock(mu_);
    job_ = {body, ctx, n, ranges};
    next_ = 0;
    pending_ = ranges;
    error_ = nullptr;
    generation_.fetch_add(1, std::memory_order_release);
    wake_.notify_all();
    t_in_parallel = true;
    work(lock);
    t_in_parallel = false;
    done_.wait(lock, [&] { return pending_ == 0; });
    std::exception_ptr error = error_;
    lock.unlock();
    if (error) std::rethrow_exception(error);
  }

 private:
  struct Job {
    void (*body)(void*, int64_t, int64_t) = nullptr;
    void* ctx = nullptr;
    int64_t n = 0;
    int ranges = 0;
  };

  // Makes sure at least `count` workers exist (called with run_mu_ held).
  void grow(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      workers_.emplace_back([this] { worker(); });
      workers_.back().detach();
    }
  }

  void worker() {
    t_in_parallel = true;
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t seen = 0;  // a stale wake-up is harmless: work() finds no range left
    while (true) {
      // Before sleeping, watch for the next job for a few tens of microseconds: in a big model one kernel follows
      // another, and a worker found awake starts at once instead of after the operating system wakes it.
      lock.unlock();
      for (int i = 0; i < kSpinChecks && generation_.load(std::memory_order_acquire) == seen; ++i) pause();
      lock.lock();
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_relaxed) != seen; });
      seen = generation_.load(std::memory_order_relaxed);
      work(lock);
    }
  }

  // Claims and runs ranges of the current job until none are left. Called with mu_ held; unlocks while running.
  void work(std::unique_lock<std::mutex>& lock) {
    while (next_ < job_.ranges) {
      const int r = next_++;
      const Job job = job_;
      lock.unlock();
      // Range r of R: [n * r / R, n * (r + 1) / R), so the ranges differ in length by at most one element.
      const int64_t begin = job.n * r / job.ranges, end = job.n * (r + 1) / job.ranges;
      std::exception_ptr error;
      try {
        job.body(job.ctx, begin, end);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      if (error && !error_) error_ = error;
      if (--pending_ == 0) done_.notify_all();
    }
  }

  std::mutex run_mu_;  // held by the caller for a whole job: several user threads may call parallel_for at once
  std::vector<std::thread> workers_;

  std::mutex mu_;  // guards everything below
  std::condition_variable wake_, done_;
  std::atomic<uint64_t> generation_{0};  // bumped (under mu_) for every job; a worker runs when it sees a new value
  Job job_;
  int next_ = 0;             // the next range to claim
  int pending_ = 0;          // ranges not finished yet
  std::exception_ptr error_;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: workers may still be waiting on its mutex at exit
  return *p;
}

}  // namespace

int get_num_threads() {
  int n = g_num_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = default_threads();
    g_num_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

void set_num_threads(int n) {
  check(n >= 1, "set_num_threads: the thread count must be at least 1 (got {})", n);
  g_num_threads.store(n, std::memory_order_relaxed);
}

namespace detail {
void run_ranges(int64_t n, int ranges, void (*body)(void*, int64_t, int64_t), void* ctx) {
  if (t_in_parallel) {
    body(ctx, 0, n);
    return;
  }
  pool().run(n, ranges, body, ctx);
}
}  // namespace detail

}  // namespace glimpse

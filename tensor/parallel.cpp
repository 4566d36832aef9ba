// parallel_for's threads (parallel.h): OpenMP's, shared with OpenBLAS.
//
// glimpse links the OpenMP build of OpenBLAS (Debian's libopenblas-openmp-dev), so a matrix product and an
// elementwise kernel run on the same team of OpenMP threads. That matters on a small machine: two separate pools
// (OpenBLAS's pthreads and one of our own) measured as three busy threads on two cores, because the BLAS workers keep
// spinning for a while after each product and our kernels only got half of the core they spun on. With one team,
// the thread that just finished its share of a GEMM is the one that picks up the next kernel.
//
// A job is "run body on ranges 0..R-1 of [0, n)": one parallel region of R threads, thread r taking range r.
//
// Threads that never collapse. A parallel region ends at a barrier: it is as slow as its slowest thread. When another
// program keeps the cores busy, a worker that shares a core with it runs only when the scheduler gives it a slice
// (milliseconds later), and libgomp's default policy makes the waiting threads spin meanwhile, burning the very core
// the late worker needs. Measured on this 2-core machine under load: a seq2seq-like step 5,136-5,609 ms with the
// defaults against 136-142 ms on one thread. Two fixes, both only for the defaults (explicit settings are obeyed):
//   1. Waiting threads sleep instead of spinning (OMP_WAIT_POLICY=passive), set before libgomp reads it; see below.
//      That alone brought the step to 144-160 ms.
//   2. While other programs keep the cores busy, use only the cores they leave free (at least the calling thread):
//      every 50 ms at most, the count of runnable threads in /proc/loadavg (an instantaneous count, unlike the load
//      averages) says how many cores others occupy. A program on an idle machine uses every core; one beside a
//      busy loop per core runs on one thread, exactly as fast as with GLIMPSE_NUM_THREADS=1.
// The same count is given to OpenBLAS (through omp_set_num_threads, which the OpenMP build follows), so a GEMM never
// waits for a worker that cannot run either.
#include "tensor/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "tensor/error.h"

namespace glimpse {
namespace {

// libgomp reads OMP_WAIT_POLICY once, while it is being loaded: before main and before any constructor of ours. An
// ELF .preinit_array entry of the executable runs earlier than every shared library's initialiser, so this is where
// glimpse sets its default; a value the user exported wins (setenv's last argument 0), and so does GOMP_SPINCOUNT.
// (glimpse is a static library, so this lands in every glimpse program. A program that loads glimpse some other way
// gets libgomp's default and should export OMP_WAIT_POLICY=passive itself.)
void set_openmp_defaults(int, char**, char**) {
  if (std::getenv("GOMP_SPINCOUNT") == nullptr) setenv("OMP_WAIT_POLICY", "passive", 0);
}
[[gnu::section(".preinit_array"), gnu::used]] void (*const g_preinit)(int, char**, char**) = set_openmp_defaults;

std::atomic<int> g_num_threads{0};  // 0: not decided yet
std::atomic<bool> g_adaptive{true};  // false once the user chose a count (set_num_threads or an environment variable)

int default_threads() {
  if (const char* env = std::getenv("GLIMPSE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) {
      g_adaptive = false;
      return n;
    }
  }
  if (std::getenv("OMP_NUM_THREADS") != nullptr) g_adaptive = false;
  return std::max(1, omp_get_max_threads());  // one per core, or OMP_NUM_THREADS when it is set
}

// How many cores other programs occupy right now: runnable threads system-wide (the R of "R/T" in /proc/loadavg),
// minus the one asking. -1 when unknown (not Linux).
int busy_elsewhere() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return -1;
  double a, b, c;
  int running = 0, total = 0;
  const int got = std::fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &running, &total);
  std::fclose(f);
  return got == 5 ? std::max(0, running - 1) : -1;
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
  g_adaptive = false;
  omp_set_num_threads(n);  // OpenBLAS's OpenMP build follows the calling thread's OpenMP count
}

int available_threads() {
  const int n = get_num_threads();
  if (!g_adaptive.load(std::memory_order_relaxed) || n == 1) return n;
  // Re-read the machine's load at most every 50 ms (a file read costs microseconds; a clock read, nanoseconds).
  using Clock = std::chrono::steady_clock;
  static std::atomic<int64_t> next_check{0};
  static std::atomic<int> available{0};
  const int64_t now = Clock::now().time_since_epoch().count();
  if (now >= next_check.load(std::memory_order_relaxed)) {
    next_check.store(now + std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(50)).count(),
                     std::memory_order_relaxed);
    const int busy = busy_elsewhere(), cores = std::max(1, omp_get_num_procs());
    const int a = busy < 0 ? n : std::clamp(cores - busy, 1, n);
    if (a != available.exchange(a, std::memory_order_relaxed)) omp_set_num_threads(a);  // for OpenBLAS
  }
  const int a = available.load(std::memory_order_relaxed);
  return a > 0 ? a : n;
}

namespace detail {
void run_ranges(int64_t n, int ranges, void (*body)(void*, int64_t, int64_t), void* ctx) {
  if (omp_in_parallel()) {  // already inside a parallel region (a kernel called from a kernel): stay on this thread
    body(ctx, 0, n);
    return;
  }
  // An exception must not leave an OpenMP region: each thread catches its own, the first one is rethrown here.
  std::exception_ptr error;
#pragma omp parallel num_threads(ranges)
  {
    // Range r of R: [n * r / R, n * (r + 1) / R), so the ranges differ in length by at most one element. R is the
    // team's real size, which OpenMP may make smaller than asked; the ranges still cover [0, n).
    const int r = omp_get_thread_num(), count = omp_get_num_threads();
    try {
      body(ctx, n * r / count, n * (r + 1) / count);
    } catch (...) {
#pragma omp critical(glimpse_parallel_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}
}  // namespace detail

}  // namespace glimpse

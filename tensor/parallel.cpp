// parallel_for's threads (parallel.h): OpenMP's, shared with OpenBLAS.
//
// glimpse links the OpenMP build of OpenBLAS (Debian's libopenblas-openmp-dev), so a matrix product and an
// elementwise kernel run on the same team of OpenMP threads. That matters on a small machine: two separate pools
// (OpenBLAS's pthreads and one of our own) measured as three busy threads on two cores, because the BLAS workers keep
// spinning for a while after each product and our kernels only got half of the core they spun on. With one team,
// the thread that just finished its share of a GEMM is the one that picks up the next kernel.
//
// A job is "run body on ranges 0..R-1 of [0, n)": one parallel region of R threads, thread r taking range r.
#include "tensor/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>

#include "tensor/error.h"

namespace glimpse {
namespace {

std::atomic<int> g_num_threads{0};  // 0: not decided yet

int default_threads() {
  if (const char* env = std::getenv("GLIMPSE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) return n;
  }
  return std::max(1, omp_get_max_threads());  // one per core, or OMP_NUM_THREADS when it is set
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

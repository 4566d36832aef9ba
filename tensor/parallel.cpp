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
// (milliseconds later), and meanwhile the waiting threads spin, burning the very core the late worker needs. Measured
// on this 2-core machine under load: a seq2seq-like step 5,136-5,609 ms with two threads against 136-142 ms on one.
// The fix, only for the default (an explicit count is obeyed): while other programs keep the cores busy, use only the
// cores they leave free (at least the calling thread). Every 50 ms at most, the count of runnable threads in
// /proc/loadavg (an instantaneous count, unlike the load averages), minus this program's own runnable threads, says
// how many cores others occupy. A program on an idle machine uses every core; one beside a busy loop per core runs on
// one thread, exactly as fast as with GLIMPSE_NUM_THREADS=1.
// The same count is given to OpenBLAS (through omp_set_num_threads, which the OpenMP build follows), so a GEMM never
// waits for a worker that cannot run either.
//
// The wait policy stays libgomp's default: a waiting thread spins briefly (GOMP_SPINCOUNT 300,000 pauses, well under
// a millisecond) and then sleeps. OMP_WAIT_POLICY=passive (sleep at once) made the baby GPT 30 % slower on an idle
// machine (46-49 ms per step against 36-37 ms, two threads): a training step starts hundreds of short parallel
// regions, and every one paid a futex wake-up. Under load the spinning is harmless because the count above has
// already dropped to the free cores.
#include "tensor/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <dirent.h>

#include "tensor/error.h"

namespace glimpse {
namespace {

std::atomic<int> g_num_threads{0};  // 0: not decided yet
std::atomic<bool> g_adaptive{true};  // false once the user chose a count (set_num_threads or an environment variable)

int default_threads() {
  if (const char* env = std::getenv("GLIMPSE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n >= 1) {
      g_adaptive = false;
      omp_set_num_threads(n);  // OpenBLAS's count too, as set_num_threads does (OMP_NUM_THREADS needs no call)
      return n;
    }
  }
  if (std::getenv("OMP_NUM_THREADS") != nullptr) g_adaptive = false;
  return std::max(1, omp_get_max_threads());  // one per core, or OMP_NUM_THREADS when it is set
}

// How many of this program's threads are runnable right now (state R in /proc/self/task/<tid>/stat): the calling
// thread, and OpenMP workers that are working or still spinning after the last region. They are in /proc/loadavg's
// count too, but they are not "others". At least 1 (the caller).
int own_runnable() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 1;
  int running = 0;
  char path[64], buf[512];
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::snprintf(path, sizeof path, "/proc/self/task/%.20s/stat", e->d_name);
    std::FILE* f = std::fopen(path, "r");
    if (f == nullptr) continue;  // the thread just ended
    const size_t got = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[got] = '\0';
    const char* close = std::strrchr(buf, ')');  // "tid (name) S ...": the name may hold spaces and parentheses
    if (close != nullptr && close[1] == ' ' && close[2] == 'R') ++running;
  }
  closedir(dir);
  return std::max(1, running);
}

// How many cores other programs occupy right now: runnable threads system-wide (the R of "R/T" in /proc/loadavg),
// minus this program's own. -1 when unknown (not Linux).
int busy_elsewhere() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return -1;
  double a, b, c;
  int running = 0, total = 0;
  const int got = std::fscanf(f, "%lf %lf %lf %d/%d", &a, &b, &c, &running, &total);
  std::fclose(f);
  return got == 5 ? std::max(0, running - own_runnable()) : -1;
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
  // Re-read the machine's load at most every 50 ms (the file reads cost tens of microseconds; a clock read, nanoseconds).
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

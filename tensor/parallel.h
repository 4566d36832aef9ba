// parallel_for: splitting a big loop across the CPU's cores.
//
//   parallel_for(n, grain, [&](int64_t begin, int64_t end) { for (int64_t i = begin; i < end; ++i) y[i] = f(x[i]); });
//
// runs the body on disjoint ranges that together cover [0, n), one range per thread, each at least `grain` long. A loop
// shorter than two grains runs on the calling thread alone: waking another thread costs a few microseconds, which
// only pays off when each range has tens of thousands of elements to do. Small models therefore never pay for
// threads; big elementwise kernels (a [768, 512] activation, a 1M-element add) use every core.
//
// The threads are OpenMP's, the same team OpenBLAS runs its matrix products on (parallel.cpp says why that matters).
// The calling thread takes the first range itself. A parallel_for started from inside another one (or from inside any
// OpenMP parallel region) runs serially. Kernels do their argument checks before calling parallel_for; if a body
// throws anyway, the first exception is rethrown on the calling thread after all ranges finish.
#pragma once

#include <cstdint>
#include <type_traits>

namespace glimpse {

// How many threads glimpse uses, for its own kernels and for OpenBLAS's matrix products (the calling thread
// included). Default: one per core, adapted to the machine's load (parallel.cpp: while other programs keep cores busy,
// only the free ones are used); the environment variable GLIMPSE_NUM_THREADS (or else OMP_NUM_THREADS) or a call to
// set_num_threads fixes the count instead. set_num_threads also sets the calling thread's OpenMP count, which is
// what OpenBLAS follows: call it from the thread that runs the model.
int get_num_threads();
void set_num_threads(int n);
// The count to use for a parallel region starting now: get_num_threads(), or fewer under load (see above).
int available_threads();

// The grain the tensor kernels use: ranges of at least this many elements.
inline constexpr int64_t kParallelGrain = int64_t{1} << 15;

namespace detail {
// Runs body(ctx, begin, end) on `ranges` ranges that split [0, n) evenly, and waits for all of them.
void run_ranges(int64_t n, int ranges, void (*body)(void*, int64_t, int64_t), void* ctx);
}  // namespace detail

template <class F>
void parallel_for(int64_t n, int64_t grain, F&& f) {
  const int64_t by_size = grain > 0 ? n / grain : n;
  const int threads = by_size >= 2 ? available_threads() : 1;  // small loops never look at the machine's load
  const int ranges = static_cast<int>(by_size < threads ? by_size : threads);
  if (ranges <= 1) {
    if (n > 0) f(int64_t{0}, n);
    return;
  }
  // Type-erase the body without allocating: a plain function pointer plus the address of f.
  using Body = std::remove_reference_t<F>;
  auto call = [](void* ctx, int64_t begin, int64_t end) { (*static_cast<Body*>(ctx))(begin, end); };
  detail::run_ranges(n, ranges, call, const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace glimpse

// Benchmark: all-reduce between the processes of an MPI job, and whether overlapping it with computation helps.
//
//   mpirun --allow-run-as-root --oversubscribe --mca btl self,vader -np 2 ./build/bench/bench_allreduce
//
// 1. Bandwidth: distributed::all_reduce (sum) of float32 buffers of 1 to 64 MiB; 9 timed calls after a warm-up,
//    barrier-aligned; the best and the median. "algbw" is bytes / time; "busbw" is the ring's traffic per link,
//    2(N-1)/N x bytes / time (the number NCCL's tests print), which compares across world sizes. On a loaded machine
//    the two differ a lot: a rank that loses its core for a time slice stalls the other, which spins waiting.
// 2. Overlap: the question behind DataParallel's design. One 16 MiB gradient all-reduce and a matrix product of about
//    the same duration, done (a) one after the other, (b) MPI_Iallreduce started, the product computed, then
//    MPI_Wait, (c) as (b) but the product cut into 16 pieces with an MPI_Test between them (how an overlapped
//    backward would poke MPI after each op). If (b) or (c) is not clearly faster than (a), overlapping the gradient
//    all-reduce with backward is not worth its complexity on this machine.
// Only rank 0 prints. Run without mpirun it is a world of one and says so.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "distributed/comm.h"
#include "tensor/matmul.h"
#include "tensor/random.h"
#include "tensor/tensor.h"

#ifdef GLIMPSE_HAVE_MPI
#include <mpi.h>
#endif

using namespace glimpse;
namespace dist = glimpse::distributed;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

struct Timing {
  double best, median;
};

// The best and the median of `reps` barrier-aligned calls of f (each rank times its own; rank 0's are printed).
template <class F>
Timing time_reps(int reps, F&& f) {
  f();  // warm-up: first-touch of buffers, MPI's connection setup
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    dist::barrier();
    auto start = Clock::now();
    f();
    times.push_back(seconds_since(start));
  }
  std::sort(times.begin(), times.end());
  return {times.front(), times[times.size() / 2]};
}

template <class F>
double median_seconds(int reps, F&& f) {
  return time_reps(reps, std::forward<F>(f)).median;
}

void bandwidth() {
  const int n = dist::world_size();
  if (dist::is_main()) {
    fmt::print("all_reduce sum, float32, {} processes, 9 calls: best | median\n{:>6} {:>18} {:>20} {:>20}\n", n, "MiB",
               "ms", "algbw GB/s", "busbw GB/s");  // columns: best | median of each
  }
  for (int64_t mib : {1, 2, 4, 8, 16, 32, 64}) {
    const int64_t bytes = mib << 20;
    Tensor t = ones({bytes / 4});
    const Timing s = time_reps(9, [&] { dist::all_reduce(t); });
    const double ring = 2.0 * (n - 1) / n;
    if (dist::is_main()) {
      fmt::print("{:>6} {:>8.3f} | {:>7.3f} {:>9.2f} | {:>8.2f} {:>9.2f} | {:>8.2f}\n", mib, s.best * 1e3,
                 s.median * 1e3, bytes / s.best / 1e9, bytes / s.median / 1e9, ring * bytes / s.best / 1e9,
                 ring * bytes / s.median / 1e9);
    }
  }
}

void overlap() {
#ifdef GLIMPSE_HAVE_MPI
  if (dist::world_size() == 1) return;
  const int64_t elements = int64_t{16} << 18;  // 16 MiB of float32
  Tensor grad = ones({elements});
  // A product sized to take about as long as the all-reduce.
  Tensor a = randn({16 * 64, 512}), b = randn({512, 512});
  auto compute = [&](int pieces, bool poke, MPI_Request* req) {
    const int64_t rows = a.size(0) / pieces;
    for (int p = 0; p < pieces; ++p) {
      Tensor y = matmul(a.narrow(0, p * rows, rows), b);
      if (poke) {
        int done = 0;
        MPI_Test(req, &done, MPI_STATUS_IGNORE);
      }
    }
  };
  const double t_comm = median_seconds(9, [&] { dist::all_reduce(grad); });
  const double t_comp = median_seconds(9, [&] { compute(16, false, nullptr); });
  const double t_seq = median_seconds(9, [&] {
    compute(16, false, nullptr);
    dist::all_reduce(grad);
  });
  auto overlapped = [&](bool poke) {
    MPI_Request req;
    MPI_Iallreduce(MPI_IN_PLACE, grad.data<float>(), static_cast<int>(elements), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                   &req);
    compute(16, poke, &req);
    MPI_Wait(&req, MPI_STATUS_IGNORE);
  };
  const double t_wait = median_seconds(9, [&] { overlapped(false); });
  const double t_poke = median_seconds(9, [&] { overlapped(true); });
  if (dist::is_main()) {
    fmt::print("\noverlap: 16 MiB all-reduce with a [1024,512]x[512,512] product in 16 pieces (median of 9, ms)\n");
    fmt::print("  all-reduce alone {:.2f}, product alone {:.2f}, sum of both {:.2f}\n", t_comm * 1e3, t_comp * 1e3,
               (t_comm + t_comp) * 1e3);
    fmt::print("  (a) one after the other          {:.2f}\n", t_seq * 1e3);
    fmt::print("  (b) Iallreduce, product, Wait    {:.2f}  ({:.2f}x of a)\n", t_wait * 1e3, t_wait / t_seq);
    fmt::print("  (c) as b, MPI_Test between pieces {:.2f}  ({:.2f}x of a)\n", t_poke * 1e3, t_poke / t_seq);
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  dist::Session mpi(argc, argv);
  try {
    if (dist::world_size() == 1) {
      fmt::print("a world of one process: start it with mpirun -np 2 to measure anything (see the comment on top)\n");
    }
    bandwidth();
    overlap();
  } catch (const std::exception& e) {
    dist::abort(e.what());
  }
  return 0;
}

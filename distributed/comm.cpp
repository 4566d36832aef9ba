// distributed/comm.cpp: Session, rank/world_size and the collectives, on MPI's C API (Debian's Open MPI).
//
// Built without MPI (CMake did not find it; GLIMPSE_HAVE_MPI undefined) every call below is a world of one.
#include "distributed/comm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <limits>

#include "tensor/elementwise.h"

#ifdef GLIMPSE_HAVE_MPI
#include <mpi.h>
#endif

namespace glimpse::distributed {

namespace {

bool g_active = false;  // a Session called MPI_Init, so the collectives go through MPI
int g_rank = 0;
int g_size = 1;

// A launched process without a Session would think it is rank 0 of 1 and, say, overwrite rank 0's checkpoint.
void check_ready(const char* op) {
  check(g_active || !launched_by_launcher(),
        "distributed::{}: this process was started by mpirun but no distributed::Session exists; create one at the "
        "top of main (distributed::Session mpi(argc, argv);) before any distributed call", op);
}

#ifdef GLIMPSE_HAVE_MPI
MPI_Datatype mpi_type(DType d) {
  switch (d) {
    case DType::Float32: return MPI_FLOAT;
    case DType::Float64: return MPI_DOUBLE;
    case DType::Int64: return MPI_INT64_T;
    case DType::Float16:
    case DType::BFloat16: throw_storage_only(d, "distributed");
  }
  throw Error("distributed: unknown dtype");
}

void check_mpi(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(fmt::format("distributed: {} failed: {}", call, std::string(text, length)));
}

// MPI counts are int: a tensor of more than 2^31 - 1 elements goes in pieces.
template <class F>
void in_pieces(const Tensor& t, F&& call) {
  char* base = static_cast<char*>(t.raw_data());
  const int64_t piece = std::numeric_limits<int>::max();
  for (int64_t start = 0; start < t.numel(); start += piece) {
    const int64_t n = std::min(piece, t.numel() - start);
    call(base + start * dtype_size(t.dtype()), static_cast<int>(n));
  }
}
#endif

// The collectives work on packed memory; a strided view is packed, reduced, and written back.
template <class F>
void on_contiguous(const Tensor& t, F&& fn) {
  if (t.is_contiguous()) {
    fn(t);
  } else {
    Tensor packed = t.contiguous();
    fn(packed);
    t.copy_(packed);
  }
}

}  // namespace

bool mpi_available() {
#ifdef GLIMPSE_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool launched_by_launcher() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_RANK") != nullptr;
}

Session::Session([[maybe_unused]] int& argc, [[maybe_unused]] char**& argv) {
  check(!g_active, "distributed::Session: MPI is already initialised; create one Session per process, in main");
  if (!launched_by_launcher()) return;  // a world of one: no MPI at all, so a plain run pays nothing
#ifdef GLIMPSE_HAVE_MPI
  // FUNNELED: only the main thread calls MPI; OpenMP's worker threads only compute.
  int provided = 0;
  check_mpi(MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as codes (check_mpi turns them into Errors) instead of MPI killing the job silently.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  g_active = true;
#else
  throw Error(
      "distributed::Session: this process was started by mpirun, but glimpse was built without MPI, so every process "
      "would train alone as rank 0; install libopenmpi-dev (scripts/install_deps.sh) and configure the build again");
#endif
}

Session::~Session() {
#ifdef GLIMPSE_HAVE_MPI
  if (!g_active) return;
  if (std::uncaught_exceptions() > 0) {
    std::fprintf(stderr, "rank %d/%d: an exception is leaving main; stopping every rank\n", g_rank, g_size);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Finalize();
  g_active = false;
#endif
}

int rank() {
  check_ready("rank");
  return g_rank;
}

int world_size() {
  check_ready("world_size");
  return g_size;
}

void all_reduce(const Tensor& t, ReduceOp op) {
  check_defined(t, "distributed::all_reduce");
  check(op == ReduceOp::Sum || is_floating(t.dtype()),
        "distributed::all_reduce: ReduceOp::Mean needs a float32 or float64 tensor, this one is {} (an integer mean "
        "would truncate); reduce with ReduceOp::Sum and divide yourself", dtype_name(t.dtype()));
  check_ready("all_reduce");
  if (g_size == 1) return;
#ifdef GLIMPSE_HAVE_MPI
  on_contiguous(t, [&](const Tensor& packed) {
    in_pieces(packed, [&](void* data, int count) {
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, data, count, mpi_type(packed.dtype()), MPI_SUM, MPI_COMM_WORLD),
                "MPI_Allreduce");
    });
    if (op == ReduceOp::Mean) packed.copy_(packed / static_cast<double>(g_size));
  });
#endif
}

void broadcast(const Tensor& t, int root) {
  check_defined(t, "distributed::broadcast");
  check_ready("broadcast");
  check(root >= 0 && root < g_size, "distributed::broadcast: root {} is not a rank of this world of {} (0 .. {})", root,
        g_size, g_size - 1);
  if (g_size == 1) return;
#ifdef GLIMPSE_HAVE_MPI
  on_contiguous(t, [&](const Tensor& packed) {
    in_pieces(packed, [&](void* data, int count) {
      check_mpi(MPI_Bcast(data, count, mpi_type(packed.dtype()), root, MPI_COMM_WORLD), "MPI_Bcast");
    });
  });
#endif
}

void barrier() {
  check_ready("barrier");
  if (g_size == 1) return;
#ifdef GLIMPSE_HAVE_MPI
  check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
#endif
}

void abort(const std::string& message, int exit_code) {
  if (g_size > 1) {
    std::fprintf(stderr, "rank %d/%d: %s\n", g_rank, g_size, message.c_str());
  } else {
    std::fprintf(stderr, "%s\n", message.c_str());
  }
  std::fflush(stderr);
  std::fflush(stdout);
#ifdef GLIMPSE_HAVE_MPI
  if (g_active) MPI_Abort(MPI_COMM_WORLD, exit_code);
#endif
  std::exit(exit_code);
}

}  // namespace glimpse::distributed

// distributed/comm.h: the few collective operations data-parallel training needs, on Tensors, through MPI.
//
// A program that may run on several processes creates one Session at the top of main and keeps it to the end:
//
//   int main(int argc, char** argv) {
//     distributed::Session mpi(argc, argv);       // MPI_Init now, MPI_Finalize when main returns
//     try {
//       Tensor t = full({4}, distributed::rank());
//       distributed::all_reduce(t);                // every rank now holds 0 + 1 + ... + (N-1)
//     } catch (const std::exception& e) {
//       distributed::abort(e.what());             // stops every rank, never leaves the others waiting
//     }
//   }
//
// Started without mpirun (or built without MPI) the program is a world of one: rank() is 0, world_size() is 1, and
// every collective leaves its tensor as it is, so the same program needs no change. The calls mirror
// torch.distributed: all_reduce and broadcast work in place on the tensor given (its numbers, not its handle, change,
// like Tensor::copy_), and every rank must make the same calls in the same order.
#pragma once

#include <string>

#include "tensor/tensor.h"

namespace glimpse::distributed {

// Whether this build of glimpse has MPI (CMake found it at configure time).
bool mpi_available();
// Whether this process was started by a launcher (mpirun, srun): it finds the launcher's rank variables in the
// environment (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK).
bool launched_by_launcher();

// Initialises MPI when the process was started by a launcher, and finalises it when destroyed. One per process, for
// the whole of main. If destroyed while an exception is unwinding, it aborts the job instead of finalising, because
// MPI_Finalize would wait for the other ranks, which may be waiting for this one.
class Session {
 public:
  Session(int& argc, char**& argv);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

int rank();        // this process's number, 0 .. world_size() - 1
int world_size();  // how many processes take part
inline bool is_main() { return rank() == 0; }  // rank 0: the one that prints, plots and saves

enum class ReduceOp { Sum, Mean };

// In place: every rank's `t` becomes the element-wise sum (or mean) of all ranks' `t`. Same shape and dtype on every
// rank. Mean is for float32/float64 only (an int64 mean would truncate).
void all_reduce(const Tensor& t, ReduceOp op = ReduceOp::Sum);
// In place: every rank's `t` becomes rank `root`'s `t`.
void broadcast(const Tensor& t, int root = 0);
// Returns when every rank has called it.
void barrier();

// Prints `message` to stderr (prefixed "rank r/N: " on more than one rank) and ends the whole job with `exit_code`:
// MPI_Abort on several ranks, so the others stop too instead of waiting forever in their next collective; a plain
// exit in a world of one.
[[noreturn]] void abort(const std::string& message, int exit_code = 1);

}  // namespace glimpse::distributed

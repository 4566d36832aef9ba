// A program for test_data_parallel.cpp: under mpirun, the last rank throws while the others wait in an all_reduce
// that can never complete. The job must stop with that rank's message (distributed::abort), not hang.
#include <exception>
#include <string>

#include "distributed/comm.h"
#include "tensor/tensor.h"

using namespace glimpse;

int main(int argc, char** argv) {
  distributed::Session mpi(argc, argv);
  try {
    Tensor t = ones({1000});
    if (distributed::rank() == distributed::world_size() - 1) {
      throw Error("boom from rank " + std::to_string(distributed::rank()));
    }
    distributed::all_reduce(t);  // waits for the rank that threw
  } catch (const std::exception& e) {
    distributed::abort(e.what(), 3);
  }
  return 0;
}

// The main() of the distributed suite: doctest inside a distributed::Session, so the same executable runs each case
// alone (a world of one, as CTest registers them) and the whole suite under `mpirun -np 2` (the test
// mpirun_np2_test_distributed). Every rank runs every case in the same order, so their collectives pair up.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "distributed/comm.h"

int main(int argc, char** argv) {
  glimpse::distributed::Session mpi(argc, argv);
  doctest::Context context(argc, argv);
  return context.run();  // a failure on any rank makes mpirun's exit code non-zero
}

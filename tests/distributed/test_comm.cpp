// Tests for distributed/comm.h. Every case is written for any world size: CTest runs each alone (a world of one) and
// the mpirun test runs them all on 2 ranks, where the expected values differ (they are computed from world_size()).
#include <doctest/doctest.h>

#include "distributed/comm.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"
#include "tensor/tensor.h"

using namespace glimpse;
namespace dist = glimpse::distributed;

TEST_SUITE("distributed comm") {

TEST_CASE("rank and world_size describe the launch") {
  const int n = dist::world_size();
  CHECK(n >= 1);
  CHECK(dist::rank() >= 0);
  CHECK(dist::rank() < n);
  CHECK(dist::is_main() == (dist::rank() == 0));
  if (!dist::launched_by_launcher()) CHECK(n == 1);  // no mpirun: a world of one
}

TEST_CASE("all_reduce sums float32, float64 and int64 across ranks") {
  const int n = dist::world_size();
  const double r = dist::rank();
  for (DType dtype : {kFloat32, kFloat64, kInt64}) {
    INFO(dtype_name(dtype));
    // rank r holds (r + 1) * [1, 2, 3, 4, 5]: the sum is n(n+1)/2 * [1 .. 5].
    Tensor t = arange(1, 6, 1, dtype) * (r + 1);
    if (dtype == kInt64) t = t.to(kInt64);
    dist::all_reduce(t);
    CHECK(t.dtype() == dtype);
    std::vector<double> got = t.tolist();
    for (int i = 0; i < 5; ++i) CHECK(got[i] == (i + 1) * n * (n + 1) / 2.0);
  }
}

TEST_CASE("all_reduce mean averages, also on a strided view") {
  const int n = dist::world_size();
  Tensor base = zeros({3, 4}, kFloat64);
  base.copy_(arange(0, 12, 1, kFloat64).view({3, 4}) + 10.0 * dist::rank());
  Tensor view = base.t();  // not contiguous: packed, reduced, written back
  dist::all_reduce(view, dist::ReduceOp::Mean);
  // mean over r of (k + 10 r) = k + 10 (n - 1) / 2
  std::vector<double> got = base.tolist();
  for (int k = 0; k < 12; ++k) CHECK(got[k] == doctest::Approx(k + 10.0 * (n - 1) / 2.0).epsilon(1e-15));
}

TEST_CASE("all_reduce mean rejects int64, naming the fix") {
  Tensor t = ones({2}, kInt64);
  CHECK_THROWS_WITH_AS(dist::all_reduce(t, dist::ReduceOp::Mean),
                       doctest::Contains("ReduceOp::Mean needs a float32 or float64 tensor"), Error);
  CHECK_THROWS_WITH_AS(dist::all_reduce(Tensor()), doctest::Contains("undefined"), Error);
}

TEST_CASE("broadcast copies the root's values to every rank") {
  const int n = dist::world_size();
  for (int root : {0, n - 1}) {
    for (DType dtype : {kFloat32, kFloat64, kInt64}) {
      INFO("root ", root, " ", dtype_name(dtype));
      Tensor t = (arange(0, 6, 1, kFloat64) + 100.0 * dist::rank()).to(dtype);
      dist::broadcast(t, root);
      std::vector<double> got = t.tolist();
      for (int k = 0; k < 6; ++k) CHECK(got[k] == k + 100.0 * root);
    }
  }
}

TEST_CASE("broadcast rejects a root outside the world") {
  Tensor t = ones({2});
  CHECK_THROWS_WITH_AS(dist::broadcast(t, dist::world_size()), doctest::Contains("is not a rank of this world"), Error);
  CHECK_THROWS_WITH_AS(dist::broadcast(t, -1), doctest::Contains("is not a rank of this world"), Error);
}

TEST_CASE("barrier then all_reduce counts every rank") {
  dist::barrier();
  Tensor count = ones({1}, kInt64);
  dist::all_reduce(count);
  CHECK(count.item<int64_t>() == dist::world_size());
}

}  // TEST_SUITE

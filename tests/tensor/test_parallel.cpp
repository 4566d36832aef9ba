// Tests for tensor/parallel.h (parallel_for and its thread pool) and for the elementwise kernels on tensors big enough
// to be split across threads (more than 2 x kParallelGrain elements).
//
// The thread count is forced above the machine's core count in most cases (set_num_threads(4)), so the split really
// happens on a 1- or 2-core machine too. Big-tensor results are checked element by element against values computed
// independently (from the index), and against the same op run with one thread.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/fused.h"
#include "tensor/random.h"
#include "tensor/reduce.h"
#include "tensor/parallel.h"
#include "tensor/tensor.h"

using namespace glimpse;

namespace {

// Sets the thread count for one test and restores the previous one.
struct ThreadsGuard {
  explicit ThreadsGuard(int n) : saved(get_num_threads()) { set_num_threads(n); }
  ~ThreadsGuard() { set_num_threads(saved); }
  int saved;
};

// Runs parallel_for and returns how many times each index was visited and the ranges it was split into.
std::pair<std::vector<int>, std::vector<std::pair<int64_t, int64_t>>> visit(int64_t n, int64_t grain) {
  std::vector<int> hits(static_cast<size_t>(n), 0);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::mutex mu;
  parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ranges.emplace_back(begin, end);
    }
    for (int64_t i = begin; i < end; ++i) ++hits[static_cast<size_t>(i)];  // ranges are disjoint: no race
  });
  return {hits, ranges};
}

// Runs `run` (which returns tensors) with one thread and with four, checks the results are identical, and returns the
// four-thread ones.
template <class F>
std::vector<Tensor> threaded_equals_serial(F run) {
  std::vector<Tensor> serial, threaded;
  {
    ThreadsGuard one(1);
    serial = run();
  }
  {
    ThreadsGuard four(4);
    threaded = run();
  }
  REQUIRE(serial.size() == threaded.size());
  for (size_t k = 0; k < serial.size(); ++k) {
    INFO("result " << k);
    CHECK(equal(serial[k], threaded[k]));
  }
  return threaded;
}

}  // namespace

TEST_SUITE("parallel") {

TEST_CASE("parallel_for visits every index exactly once") {
  ThreadsGuard threads(4);
  for (int64_t n : {0, 1, 7, 999, 1000, 1001, 4000, 100003}) {
    auto [hits, ranges] = visit(n, 1000);
    for (int64_t i = 0; i < n; ++i) {
      INFO("n = " << n << ", index " << i);
      REQUIRE(hits[static_cast<size_t>(i)] == 1);
    }
    if (n == 0) CHECK(ranges.empty());
  }
}

TEST_CASE("parallel_for splits only loops of at least two grains, into ranges of at least one grain") {
  ThreadsGuard threads(4);
  CHECK(visit(1999, 1000).second.size() == 1);  // under two grains: the caller alone
  CHECK(visit(2000, 1000).second.size() == 2);
  CHECK(visit(3500, 1000).second.size() == 3);
  auto ranges = visit(1'000'000, 1000).second;
  CHECK(ranges.size() == 4);  // never more ranges than threads
  for (auto [begin, end] : ranges) CHECK(end - begin >= 1000);
}

TEST_CASE("one thread runs everything on the caller, as one range") {
  ThreadsGuard threads(1);
  std::thread::id caller = std::this_thread::get_id(), seen;
  int calls = 0;
  parallel_for(1'000'000, 10, [&](int64_t begin, int64_t end) {
    seen = std::this_thread::get_id();
    ++calls;
    CHECK(begin == 0);
    CHECK(end == 1'000'000);
  });
  CHECK(calls == 1);
  CHECK(seen == caller);
}

TEST_CASE("a parallel_for inside another runs serially and completes") {
  ThreadsGuard threads(4);
  std::vector<std::atomic<int>> hits(64 * 64);
  parallel_for(64, 1, [&](int64_t b0, int64_t e0) {
    for (int64_t i = b0; i < e0; ++i) {
      int inner_ranges = 0;
      parallel_for(64, 1, [&](int64_t b1, int64_t e1) {
        ++inner_ranges;
        for (int64_t j = b1; j < e1; ++j) hits[static_cast<size_t>(i * 64 + j)]++;
      });
      CHECK(inner_ranges == 1);
    }
  });
  for (auto& h : hits) REQUIRE(h.load() == 1);
}

TEST_CASE("an exception thrown in a range reaches the caller, and the pool keeps working") {
  ThreadsGuard threads(4);
  auto throw_in_last = [](int64_t, int64_t end) {
    if (end == 4000) throw std::runtime_error("range failed");
  };
  CHECK_THROWS_WITH_AS(parallel_for(4000, 1000, throw_in_last), "range failed", std::runtime_error);
  auto [hits, ranges] = visit(4000, 1000);
  CHECK(ranges.size() == 4);
  for (int h : hits) REQUIRE(h == 1);
}

TEST_CASE("set_num_threads rejects a count below one and keeps the old one") {
  ThreadsGuard threads(3);
  CHECK_THROWS_WITH_AS(set_num_threads(0), doctest::Contains("set_num_threads"), Error);
  CHECK_THROWS_AS(set_num_threads(-2), Error);
  CHECK(get_num_threads() == 3);
}

TEST_CASE("several user threads can run parallel kernels at once") {
  ThreadsGuard threads(2);
  const int64_t n = 300'000;
  Tensor a = arange(0, static_cast<double>(n), 1, kFloat64);
  std::vector<std::vector<double>> results(3);
  std::vector<std::thread> users;
  for (int u = 0; u < 3; ++u) {
    users.emplace_back([&, u] { results[static_cast<size_t>(u)] = add(a, static_cast<double>(u)).tolist(); });
  }
  for (auto& t : users) t.join();
  for (int u = 0; u < 3; ++u) {
    for (int64_t i = 0; i < n; ++i) REQUIRE(results[static_cast<size_t>(u)][static_cast<size_t>(i)] == i + u);
  }
}

// ---- the elementwise kernels on big tensors

TEST_CASE("big contiguous binary and unary ops give the value of every element") {
  ThreadsGuard threads(4);
  const int64_t n = 5 * kParallelGrain + 3;  // not a multiple of the thread count
  Tensor a = arange(0, static_cast<double>(n), 1, kFloat64);
  std::vector<double> sum = add(a, a).tolist(), neg_a = neg(a).tolist(), plus = add(a, 0.5).tolist();
  for (int64_t i = 0; i < n; ++i) {
    INFO("index " << i);
    REQUIRE(sum[static_cast<size_t>(i)] == 2.0 * static_cast<double>(i));
    REQUIRE(neg_a[static_cast<size_t>(i)] == -static_cast<double>(i));
    REQUIRE(plus[static_cast<size_t>(i)] == static_cast<double>(i) + 0.5);
  }
}

TEST_CASE("big broadcast, non-contiguous and in-place ops match the single-threaded result and the index formula") {
  const int64_t rows = 700, cols = 300;  // 210,000 elements: split into ranges of rows
  Tensor m = arange(0, static_cast<double>(rows * cols), 1, kFloat64).reshape({rows, cols});
  Tensor bias = arange(0, static_cast<double>(cols), 1, kFloat64) * 1000.0;  // [cols], broadcast over rows
  Tensor mt = m.t();                                                           // [cols, rows], not contiguous
  Tensor col = arange(0, static_cast<double>(cols), 1, kFloat64).reshape({cols, 1});
  Tensor mask = lt(col, 100.0);  // [cols, 1] broadcast over the columns of mt

  auto run = [&] {
    Tensor inplace = m.clone();
    add_(inplace, bias, 2.0);
    mul_(inplace, 0.5);
    return std::vector<Tensor>{add(m, bias), mul(mt, col), exp(mt * 1e-6), where(mask, mt, -1.0 * mt), inplace};
  };
  std::vector<Tensor> threaded = threaded_equals_serial(run);
  // And the threaded values from the index formula: m[i, j] = i * cols + j.
  std::vector<double> added = threaded[0].tolist(), scaled = threaded[1].tolist(), chosen = threaded[3].tolist(),
                      inplace = threaded[4].tolist();
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const double v = static_cast<double>(i * cols + j);
      REQUIRE(added[static_cast<size_t>(i * cols + j)] == v + 1000.0 * static_cast<double>(j));
      REQUIRE(inplace[static_cast<size_t>(i * cols + j)] == (v + 2000.0 * static_cast<double>(j)) * 0.5);
      // mt[j, i] = v, scaled by col[j] = j; where keeps v for j < 100 and -v otherwise.
      REQUIRE(scaled[static_cast<size_t>(j * rows + i)] == v * static_cast<double>(j));
      REQUIRE(chosen[static_cast<size_t>(j * rows + i)] == (j < 100 ? v : -v));
    }
  }
}

TEST_CASE("big softmax, log_softmax and layer_norm (forward and backward) match the single-threaded result") {
  // 600 rows of 200: a grain is 163 rows (32768 / 200), so the rows split into three ranges of 200.
  Generator gen(7);
  Tensor x = randn({600, 200}, kFloat64, gen) * 3.0;
  Tensor g = randn({600, 200}, kFloat64, gen), weight = randn({200}, kFloat64, gen);
  auto run = [&] {
    LayerNormForward ln = layer_norm_forward(x, {200}, Tensor(), Tensor());
    LayerNormBackward back = layer_norm_backward(g, x, ln.mean, ln.rstd, weight, {});
    return std::vector<Tensor>{softmax(x, -1), log_softmax(x, -1), ln.y, ln.mean, ln.rstd,
                               back.dx,        back.dweight,       back.dbias};
  };
  std::vector<Tensor> threaded = threaded_equals_serial(run);
  // Independent of the kernels' own arithmetic: every softmax row sums to 1, every normalised row has mean 0, and
  // dbias is the column sum of g.
  std::vector<double> row_sums = sum(threaded[0], {1}).tolist(), ln_means = mean(threaded[2], {1}).tolist();
  CHECK(allclose(threaded[7], sum(g, {0}), 1e-12, 1e-12));
  for (size_t r = 0; r < row_sums.size(); ++r) {
    INFO("row " << r);
    REQUIRE(std::abs(row_sums[r] - 1.0) < 1e-12);
    REQUIRE(std::abs(ln_means[r]) < 1e-12);
  }
}

TEST_CASE("big reductions give the same bits on any thread count") {
  // [300, 1000]: sums over dim 0 split the 1000 columns, sums over dim 1 split the rows, a full sum splits the
  // 300,000 elements into blocks whose results are joined in order.
  Generator gen(11);
  Tensor x = randn({300, 1000}, kFloat32, gen);
  Tensor y = randn({300, 1000}, kFloat64, gen);
  std::vector<Tensor> threaded = threaded_equals_serial([&] {
    return std::vector<Tensor>{sum(x),          sum(x, {0}),   sum(x, {1}),     mean(y, {0}),    var(y, {1}),
                               amax(x, {0}),    amin(y),       sum(y.t(), {1}), logsumexp(x, {1}), norm(y)};
  });
  // Independent values: the sum of 0..n-1 is n(n-1)/2, exactly representable here.
  const int64_t n = 1 << 20;
  ThreadsGuard four(4);
  CHECK(sum(arange(0, static_cast<double>(n), 1, kFloat64)).item() == static_cast<double>(n) * (n - 1) / 2);
  Tensor ones_col = ones({4000, 300}, kFloat64);
  std::vector<double> col_sums = sum(ones_col, {0}).tolist();
  for (double v : col_sums) REQUIRE(v == 4000.0);
}

}  // TEST_SUITE

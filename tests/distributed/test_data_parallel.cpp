// Tests for distributed/data_parallel.h: N ranks with batch b/N follow one process with batch b, parameters stay
// bit-identical on every rank, and a rank that throws stops the whole job. Written for any world size (see
// test_comm.cpp); the one-process reference is computed on every rank alone, without any collective.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "distributed/data_parallel.h"
#include "glimpse.h"

using namespace glimpse;
namespace dist = glimpse::distributed;

namespace {

// A tiny MLP 6 -> 16 -> 3 and a fixed regression batch of 8 rows; `seed` sets the initial weights.
struct Tiny {
  explicit Tiny(uint64_t seed, DType dtype) {
    manual_seed(seed);
    fc1 = std::make_unique<nn::Linear>(6, 16);
    fc2 = std::make_unique<nn::Linear>(16, 3);
    fc1->to(dtype);
    fc2->to(dtype);
    Generator data(1234);  // the same batch on every rank, whatever the model's seed
    x = randn({8, 6}, dtype, data);
    y = randn({8, 3}, dtype, data);
  }
  std::vector<Variable> params() const {
    return {fc1->weight, fc1->bias, fc2->weight, fc2->bias};
  }
  // rows [start, start + length) of the batch -> the mean squared error over them
  Variable loss(int64_t start, int64_t length) const {
    Variable xs(x.narrow(0, start, length));
    Variable ys(y.narrow(0, start, length));
    return mse_loss(fc2->forward(tanh(fc1->forward(xs))), ys);
  }
  std::unique_ptr<nn::Linear> fc1, fc2;
  Tensor x, y;
};

double max_abs_diff(const Tensor& a, const Tensor& b) {
  std::vector<double> x = a.tolist(), y = b.tolist();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

// Whether rank 0 holds exactly these bits: broadcast rank 0's copy and compare element for element.
bool same_bits_as_rank0(const Tensor& t) {
  Tensor theirs = t.clone();
  dist::broadcast(theirs, 0);
  return max_abs_diff(t, theirs) == 0.0;
}

}  // namespace

TEST_SUITE("distributed data_parallel") {

TEST_CASE("shard splits a batch evenly over the ranks") {
  const int n = dist::world_size();
  dist::Shard s = dist::shard(4 * n);
  CHECK(s.length == 4);
  CHECK(s.start == 4 * dist::rank());
  // The shards tile the batch: their lengths sum to it.
  Tensor total = full({1}, static_cast<double>(s.length), kInt64);
  dist::all_reduce(total);
  CHECK(total.item<int64_t>() == 4 * n);
  CHECK_THROWS_WITH_AS(dist::shard(0), doctest::Contains("does not split evenly"), Error);
  if (n > 1) CHECK_THROWS_WITH_AS(dist::shard(n + 1), doctest::Contains("multiple of the number of processes"), Error);
}

TEST_CASE("uneven_shard tiles any batch, and share_weight makes token-weighted means add up") {
  const int n = dist::world_size();
  for (int64_t rows : {int64_t{0}, int64_t{1}, int64_t{n}, int64_t{2 * n + 1}, int64_t{7}}) {
    INFO("rows ", rows);
    const dist::Shard s = dist::uneven_shard(rows);
    CHECK(s.length >= rows / n);
    CHECK(s.length <= rows / n + 1);
    // The shards tile the batch in rank order: the starts are the sums of the lengths before.
    Tensor lengths = zeros({n}, kInt64);
    lengths.data<int64_t>()[dist::rank()] = s.length;
    dist::all_reduce(lengths);
    int64_t start = 0, total = 0;
    for (int r = 0; r < n; ++r) {
      if (r < dist::rank()) start += lengths.data<int64_t>()[r];
      total += lengths.data<int64_t>()[r];
    }
    CHECK(s.start == start);
    CHECK(total == rows);
  }
  // A mean over items: each rank's mean times its weight, averaged over ranks, is the mean over all items. Rank r
  // holds r + 1 items of value r + 1.
  const int64_t mine = dist::rank() + 1, all = int64_t{n} * (n + 1) / 2;
  const double local_mean = static_cast<double>(dist::rank() + 1);
  double want = 0;
  for (int r = 0; r < n; ++r) want += static_cast<double>((r + 1) * (r + 1));
  want /= static_cast<double>(all);
  CHECK(dist::mean_over_ranks(local_mean * dist::share_weight(mine, all)) == doctest::Approx(want).epsilon(1e-12));
  if (n == 1) CHECK(dist::share_weight(3, 7) == 1.0);  // a world of one needs no weights
  CHECK_THROWS_WITH_AS(dist::share_weight(1, 0), doctest::Contains("at least one item"), Error);
  CHECK_THROWS_WITH_AS(dist::uneven_shard(-1), doctest::Contains("cannot have -1 rows"), Error);
}

TEST_CASE("in_sync tells whether every rank holds rank 0's parameter bits") {
  Variable p(full({5}, 1.5), true);
  CHECK(dist::in_sync({p}));
  if (dist::world_size() > 1) {
    if (dist::rank() == 1) p.data().data<float>()[3] = std::nextafter(1.5f, 2.0f);  // one bit on one rank
    CHECK_FALSE(dist::in_sync({p}));
  }
}

TEST_CASE("N ranks with batch b/N average to the gradient of one process with batch b") {
  for (DType dtype : {kFloat64, kFloat32}) {
    INFO(dtype_name(dtype));
    const double tol = dtype == kFloat64 ? 1e-12 : 1e-6;
    Tiny whole(7, dtype);  // the reference: one process, the whole batch
    whole.loss(0, 8).backward();
    Tiny part(7, dtype);
    dist::DataParallel dp(part.params());
    dist::Shard s = dist::shard(8);
    part.loss(s.start, s.length).backward();
    dp.average_gradients();
    for (size_t i = 0; i < part.params().size(); ++i) {
      INFO("parameter ", i);
      CHECK(max_abs_diff(part.params()[i].grad(), whole.params()[i].grad()) < tol);
      CHECK(same_bits_as_rank0(part.params()[i].grad()));
    }
    // A shard alone has another gradient (unless the world is one): what makes the averaging necessary.
    if (dist::world_size() > 1) {
      Tiny alone(7, dtype);
      alone.loss(s.start, s.length).backward();
      CHECK(max_abs_diff(alone.params()[0].grad(), whole.params()[0].grad()) > 1e-4);
    }
  }
}

TEST_CASE("parameters are bit-identical on every rank after every step, and follow the one-process run") {
  Tiny model(100 + dist::rank(), kFloat32);  // different seeds: the broadcast must make them equal
  dist::DataParallel dp(model.params(), {.bucket_bytes = 256});  // tiny buckets: several all-reduces
  CHECK(dp.num_buckets() > 1);
  Tiny reference(100, kFloat32);  // rank 0's start, trained alone on the whole batch
  optim::AdamW opt(model.params(), {.lr = 1e-2});
  optim::AdamW ref_opt(reference.params(), {.lr = 1e-2});
  dist::Shard s = dist::shard(8);
  for (int step = 0; step < 10; ++step) {
    INFO("step ", step);
    opt.zero_grad();
    Variable loss = model.loss(s.start, s.length);
    loss.backward();
    dp.average_gradients();
    opt.step();
    ref_opt.zero_grad();
    Variable ref_loss = reference.loss(0, 8);
    ref_loss.backward();
    ref_opt.step();
    // The mean of the ranks' shard losses is the whole batch's loss.
    CHECK(std::abs(dist::mean_over_ranks(loss.item()) - ref_loss.item()) <= 1e-5 * std::abs(ref_loss.item()));
    for (size_t i = 0; i < model.params().size(); ++i) {
      INFO("parameter ", i);
      CHECK(same_bits_as_rank0(model.params()[i].data()));
      CHECK(max_abs_diff(model.params()[i].data(), reference.params()[i].data()) < 1e-5);
    }
  }
}

TEST_CASE("a parameter no backward reached keeps an undefined gradient") {
  Variable used(ones({3}), true), unused(ones({2}), true);
  dist::DataParallel dp({used, unused});
  sum(used * 2.0).backward();
  dp.average_gradients();
  CHECK(used.grad().defined());
  CHECK(max_abs_diff(used.grad(), full({3}, 2.0)) == 0.0);
  CHECK_FALSE(unused.grad().defined());
}

// This case starts mpirun itself, so it is skipped when the suite itself runs under mpirun, and in builds that did
// not register a launcher (no MPI, or sanitizer builds: Open MPI's own allocations trip LeakSanitizer).
TEST_CASE("a rank that throws stops the whole job with its message" *
          doctest::skip(dist::launched_by_launcher() || std::string(GLIMPSE_MPIEXEC).empty())) {
  const std::string err = std::string(GLIMPSE_BINARY_DIR) + "/distributed_throwing_rank.err";
  // timeout: a job that hangs fails this test after 60 s instead of blocking the suite.
  const std::string cmd = std::string("timeout 60 ") + GLIMPSE_MPIEXEC + " " + GLIMPSE_MPIEXEC_FLAGS + " -np 2 " +
                          GLIMPSE_BINARY_DIR + "/tests/distributed_throwing_rank > /dev/null 2> " + err;
  const int status = std::system(cmd.c_str());
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  INFO("stderr: ", text.str());
  REQUIRE(WIFEXITED(status));
  const int code = WEXITSTATUS(status);
  CHECK(code != 0);
  CHECK(code != 124);  // timeout's code: the job hung
  CHECK(text.str().find("rank 1/2: boom from rank 1") != std::string::npos);
}

}  // TEST_SUITE

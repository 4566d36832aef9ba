// Tests for tensor/random.cpp: reproducibility, ranges, and statistics. Every statistical bound is 5 standard errors
// of the estimate, derived from the sample size and the distribution's own moments (written next to each check), so
// a correct generator fails with probability below 1e-6 and a biased one (e.g. modulo bias) fails for certain. The
// seeds are fixed, so the outcome is also deterministic.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;

namespace {

struct Moments {
  double mean = 0, var = 0;
};
Moments moments(const std::vector<double>& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size() - 1);
  return m;
}

// 5 standard errors of a frequency estimated from n trials with true probability p.
double freq_bound(double p, double n) { return 5.0 * std::sqrt(p * (1 - p) / n); }

}  // namespace

TEST_SUITE("random") {
  TEST_CASE("Generator: the engine is std::mt19937_64, fixed by the C++ standard") {
    // The standard requires the 10000th output of a default-seeded (5489) mt19937_64 to be 9981545732273789042.
    Generator g(5489);
    for (int i = 0; i < 9999; ++i) g.next_u64();
    CHECK(g.next_u64() == 9981545732273789042ULL);
  }

  TEST_CASE("Generator: same seed, same numbers, reseeding restarts and drops the spare normal") {
    Generator a(42), b(42), c(43);
    std::vector<double> va, vb, vc;
    for (int i = 0; i < 10; ++i) {
      va.push_back(a.uniform());
      vb.push_back(b.uniform());
      vc.push_back(c.uniform());
    }
    CHECK(va == vb);
    CHECK(va != vc);
    Generator fresh(7);
    const double first = fresh.normal();
    Generator g(7);
    g.normal();  // leaves a spare normal behind
    g.manual_seed(7);
    CHECK(g.normal() == first);
  }

  TEST_CASE("Generator::uniform uses the top 53 bits") {
    Generator a(3), b(3);
    for (int i = 0; i < 100; ++i) {
      const double u = a.uniform();
      CHECK(u == static_cast<double>(b.next_u64() >> 11) / 9007199254740992.0);  // 2^53
    }
  }

  TEST_CASE("Generator::uniform: range and moments") {
    Generator g(1);
    const int n = 200000;
    std::vector<double> v(n);
    for (double& x : v) {
      x = g.uniform();
      REQUIRE(x >= 0.0);
      REQUIRE(x < 1.0);
    }
    Moments m = moments(v);
    // U[0, 1): mean 1/2, variance 1/12; Var(mean) = 1/(12n);
    // Var(sample variance) ~ (mu4 - sigma^4) / n = (1/80 - 1/144) / n
    CHECK(std::abs(m.mean - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
    CHECK(std::abs(m.var - 1.0 / 12) < 5 * std::sqrt((1.0 / 80 - 1.0 / 144) / n));
  }

  TEST_CASE("Generator::normal: moments, and Box-Muller uses both values") {
    Generator g(2);
    const int n = 200000;
    std::vector<double> v(n);
    for (double& x : v) x = g.normal();
    Moments m = moments(v);
    // N(0, 1): Var(mean) = 1/n; Var(sample variance) ~ (mu4 - 1)/n = 2/n
    CHECK(std::abs(m.mean) < 5 / std::sqrt(n));
    CHECK(std::abs(m.var - 1) < 5 * std::sqrt(2.0 / n));
    // P(|z| > 2) = 0.0455: the tails are right too
    double tail = 0;
    for (double x : v) tail += std::abs(x) > 2.0;
    CHECK(std::abs(tail / n - 0.0455003) < freq_bound(0.0455003, n));
    // Two normals consume exactly two 64-bit draws (one pair of uniforms).
    Generator a(9), b(9);
    const double z1 = a.normal(), z2 = a.normal();
    CHECK(z1 != z2);
    b.next_u64();
    b.next_u64();
    CHECK(a.next_u64() == b.next_u64());
  }

  TEST_CASE("Generator::integer: range, uniform counts, no modulo bias") {
    Generator g(4);
    const int n = 60000;
    std::vector<int> count(6, 0);
    for (int i = 0; i < n; ++i) {
      const int64_t k = g.integer(-3, 3);
      REQUIRE(k >= -3);
      REQUIRE(k < 3);
      ++count[k + 3];
    }
    for (int c : count) CHECK(std::abs(c / double(n) - 1.0 / 6) < freq_bound(1.0 / 6, n));
    // A range of width w = 3 * 2^62 - 1: 2^64 mod w = 2^62 + 1, so plain x % w would return the first 2^62 values
    // of the range half of the time instead of a third.
    const int64_t low = -(int64_t{1} << 62);
    const int64_t high = std::numeric_limits<int64_t>::max();  // high - low = 2^63 - 1 + 2^62
    const int m = 30000;
    int below = 0;
    for (int i = 0; i < m; ++i) {
      const int64_t k = g.integer(low, high);
      REQUIRE(k >= low);
      REQUIRE(k < high);
      below += k < 0;  // the first 2^62 values of the range
    }
    CHECK(std::abs(below / double(m) - 1.0 / 3) < freq_bound(1.0 / 3, m));
    // the widest range works too
    const int64_t lo = std::numeric_limits<int64_t>::min();
    const int64_t k = g.integer(lo, std::numeric_limits<int64_t>::max());
    CHECK(k < std::numeric_limits<int64_t>::max());
    CHECK(g.integer(5, 6) == 5);
    CHECK_THROWS_WITH_AS(g.integer(3, 3), doctest::Contains("integer"), Error);
  }

  TEST_CASE("manual_seed makes the default generator reproducible") {
    manual_seed(123);
    Tensor a = rand({3, 4});
    Tensor b = randn({5});
    manual_seed(123);
    CHECK(equal(rand({3, 4}), a));
    CHECK(equal(randn({5}), b));
    // a generator passed explicitly leaves the default one alone
    manual_seed(123);
    Generator mine(99);
    rand({100}, kFloat32, mine);
    CHECK(equal(rand({3, 4}), a));
    // the same seed on a private generator gives the same numbers as on the default one
    Generator same(123);
    CHECK(equal(rand({3, 4}, kFloat32, same), a));
  }

  TEST_CASE("rand and randn: shapes, dtypes, ranges, moments") {
    Generator g(5);
    Tensor u = rand({400, 500}, kFloat32, g);
    CHECK(u.shape() == Shape{400, 500});
    CHECK(u.dtype() == kFloat32);
    const double n = 200000;
    CHECK(min(u).item() >= 0.0);
    CHECK(max(u).item() < 1.0);
    CHECK(std::abs(mean(u).item() - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
    Tensor z = randn({200000}, kFloat64, g);
    CHECK(z.dtype() == kFloat64);
    CHECK(std::abs(mean(z).item()) < 5 / std::sqrt(n));
    CHECK(std::abs(var(z).item() - 1) < 5 * std::sqrt(2.0 / n));
    CHECK(rand({0}, kFloat32, g).numel() == 0);
    CHECK(randn(Shape{}, kFloat64, g).dim() == 0);
    CHECK_THROWS_WITH_AS(rand({2}, kInt64), doctest::Contains("rand"), Error);
    CHECK_THROWS_WITH_AS(randn({2}, kInt64), doctest::Contains("randn"), Error);
    CHECK_THROWS_AS(rand({-1}), Error);
  }

  TEST_CASE("uniform and normal with parameters") {
    Generator g(6);
    const double n = 100000;
    Tensor u = uniform({100000}, -2.0, 3.0, kFloat64, g);
    CHECK(min(u).item() >= -2.0);
    CHECK(max(u).item() < 3.0);
    // U[a, b): mean (a + b)/2, variance (b - a)^2 / 12
    CHECK(std::abs(mean(u).item() - 0.5) < 5 * std::sqrt(25.0 / 12 / n));
    Tensor z = normal({100000}, 3.0, 2.0, kFloat32, g);
    CHECK(std::abs(mean(z).item() - 3.0) < 5 * 2.0 / std::sqrt(n));
    CHECK(std::abs(var(z).item() - 4.0) < 5 * 4.0 * std::sqrt(2.0 / n));
    // degenerate but valid
    CHECK(equal(uniform({3}, 1.5, 1.5, kFloat32, g), full({3}, 1.5)));
    CHECK(equal(normal({3}, 1.5, 0.0, kFloat32, g), full({3}, 1.5)));
    CHECK_THROWS_WITH_AS(uniform({3}, 2.0, 1.0), doctest::Contains("uniform"), Error);
    CHECK_THROWS_WITH_AS(uniform({3}, 0.0, INFINITY), doctest::Contains("uniform"), Error);
    CHECK_THROWS_WITH_AS(normal({3}, 0.0, -1.0), doctest::Contains("normal"), Error);
    CHECK_THROWS_WITH_AS(normal({3}, 0.0, 1.0, kInt64), doctest::Contains("normal"), Error);
  }

  TEST_CASE("float32 uniform stays below high even where rounding would reach it") {
    // Between 1 and 1 + 2^-20 there are only 8 float32 values; a double draw rounded to float could land on high.
    Generator g(8);
    Tensor u = uniform({100000}, 1.0, 1.0 + std::ldexp(1.0, -20), kFloat32, g);
    CHECK(max(u).item() < 1.0 + std::ldexp(1.0, -20));
    CHECK(min(u).item() >= 1.0);
  }

  TEST_CASE("uniform_ / normal_ in place, on non-contiguous views") {
    // A transposed view gets the same numbers, in row-major order of its own shape, as a contiguous tensor.
    Generator g1(10), g2(10);
    Tensor base = zeros({4, 6});
    Tensor view = base.t();  // [6, 4], non-contiguous
    uniform_(view, -1.0, 1.0, g1);
    Tensor packed = zeros({6, 4});
    uniform_(packed, -1.0, 1.0, g2);
    CHECK(equal(view, packed));
    normal_(view, 0.0, 1.0, g1);
    normal_(packed, 0.0, 1.0, g2);
    CHECK(equal(view, packed));
    // A strided slice: only its own elements change.
    Tensor x = zeros({3, 6}, kFloat64);
    Tensor every_other = x.slice(1, 0, 6, 2);
    Generator g3(11);
    uniform_(every_other, 5.0, 6.0, g3);
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t j = 0; j < 6; ++j) {
        const double v = x.at<double>({i, j});
        if (j % 2 == 0) {
          CHECK(v >= 5.0);
          CHECK(v < 6.0);
        } else {
          CHECK(v == 0.0);
        }
      }
    }
    Tensor empty_view = zeros({0, 3});
    CHECK_NOTHROW(normal_(empty_view, 0.0, 1.0));
    // An expanded view shares memory between elements: refused.
    Tensor e = zeros({3}).expand({4, 3});
    CHECK_THROWS_WITH_AS(uniform_(e, 0.0, 1.0), doctest::Contains("uniform_"), Error);
    CHECK_THROWS_WITH_AS(normal_(e, 0.0, 1.0), doctest::Contains("normal_"), Error);
    Tensor i = zeros({3}, kInt64);
    CHECK_THROWS_WITH_AS(uniform_(i, 0.0, 1.0), doctest::Contains("uniform_"), Error);
    Tensor undefined;
    CHECK_THROWS_WITH_AS(normal_(undefined, 0.0, 1.0), doctest::Contains("normal_"), Error);
  }

  TEST_CASE("randint") {
    Generator g(12);
    Tensor r = randint(-2, 5, {70000}, g);
    CHECK(r.dtype() == kInt64);
    CHECK(min(r).item() == -2);
    CHECK(max(r).item() == 4);
    const double n = 70000;
    for (int64_t k = -2; k < 5; ++k) {
      Tensor hits = sum(eq(r, static_cast<double>(k)));
      CHECK(std::abs(hits.item() / n - 1.0 / 7) < freq_bound(1.0 / 7, n));
    }
    Generator a(13), b(13);
    CHECK(equal(randint(0, 100, {2, 3}, a), randint(0, 100, {2, 3}, b)));
    CHECK_THROWS_WITH_AS(randint(3, 3, {2}), doctest::Contains("randint"), Error);
    CHECK_THROWS_WITH_AS(randint(4, 3, {2}), doctest::Contains("randint"), Error);
  }

  TEST_CASE("randperm") {
    Generator g(14);
    Tensor p = randperm(50, g);
    CHECK(p.dtype() == kInt64);
    std::vector<int64_t> v = p.to_vector<int64_t>();
    std::vector<int64_t> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < 50; ++i) CHECK(sorted[i] == i);
    CHECK(v != sorted);  // 1 in 50! chance of failing for a correct shuffle, and the seed is fixed
    // every position is equally likely for element 0: P(p[0] == 0) = 1/3 for n = 3
    const int trials = 30000;
    int first_is_zero = 0;
    for (int t = 0; t < trials; ++t) first_is_zero += randperm(3, g).at<int64_t>({0}) == 0;
    CHECK(std::abs(first_is_zero / double(trials) - 1.0 / 3) < freq_bound(1.0 / 3, trials));
    CHECK(randperm(0, g).shape() == Shape{0});
    CHECK(randperm(1, g).at<int64_t>({0}) == 0);
    CHECK_THROWS_WITH_AS(randperm(-1), doctest::Contains("randperm"), Error);
  }

  TEST_CASE("bernoulli") {
    Generator g(15);
    Tensor p = full({100000}, 0.3);
    Tensor b = bernoulli(p, g);
    CHECK(b.dtype() == kFloat32);
    CHECK(b.shape() == p.shape());
    const double n = 100000;
    CHECK(std::abs(mean(b).item() - 0.3) < freq_bound(0.3, n));
    CHECK(equal(amax(b), scalar_tensor(1.0)));
    CHECK(equal(amin(b), scalar_tensor(0.0)));
    // p = 0 and p = 1 are exact, also through an expanded (stride-0) view of p
    Tensor edges = tensor({0.0, 1.0}, {1, 2}, kFloat64).expand({1000, 2});
    Tensor e = bernoulli(edges, g);
    CHECK(e.dtype() == kFloat64);
    CHECK(sum(e, 0).tolist() == std::vector<double>{0.0, 1000.0});
    CHECK(bernoulli(zeros({0}), g).numel() == 0);
    CHECK_THROWS_WITH_AS(bernoulli(tensor({0.5, 1.5})), doctest::Contains("bernoulli"), Error);
    CHECK_THROWS_WITH_AS(bernoulli(tensor({-0.1})), doctest::Contains("bernoulli"), Error);
    CHECK_THROWS_WITH_AS(bernoulli(tensor({NAN})), doctest::Contains("bernoulli"), Error);
    CHECK_THROWS_WITH_AS(bernoulli(zeros({2}, kInt64)), doctest::Contains("bernoulli"), Error);
    CHECK_THROWS_WITH_AS(bernoulli(Tensor()), doctest::Contains("bernoulli"), Error);
  }

  TEST_CASE("multinomial with replacement: unnormalised weights, zero weights never drawn") {
    Generator g(16);
    const int n = 40000;
    Tensor s = multinomial(tensor({1.0, 0.0, 3.0}), n, true, g);
    CHECK(s.dtype() == kInt64);
    CHECK(s.shape() == Shape{n});
    CHECK(sum(eq(s, 1.0)).item() == 0);
    CHECK(std::abs(sum(eq(s, 2.0)).item() / n - 0.75) < freq_bound(0.75, n));
    // rows of a batch are independent distributions
    Tensor w = tensor({1, 0, 0, 0, 0, 1}, {2, 3});
    Tensor b = multinomial(w, 5, true, g);
    CHECK(b.shape() == Shape{2, 5});
    CHECK(b.select(0, 0).tolist() == std::vector<double>(5, 0.0));
    CHECK(b.select(0, 1).tolist() == std::vector<double>(5, 2.0));
    // more samples than categories is fine with replacement
    CHECK(multinomial(tensor({0.5, 0.5}), 10, true, g).numel() == 10);
    Generator a(17), c(17);
    CHECK(equal(multinomial(tensor({0.2, 0.3, 0.5}), 20, true, a), multinomial(tensor({0.2, 0.3, 0.5}), 20, true, c)));
  }

  TEST_CASE("multinomial without replacement") {
    Generator g(18);
    // k = n gives a permutation of every category with positive weight
    Tensor p = multinomial(tensor({0.1, 0.2, 0.3, 0.4}), 4, false, g);
    std::vector<int64_t> v = p.to_vector<int64_t>();
    std::sort(v.begin(), v.end());
    CHECK(v == std::vector<int64_t>{0, 1, 2, 3});
    // zero weights are skipped while others remain
    for (int t = 0; t < 200; ++t) {
      std::vector<int64_t> d = multinomial(tensor({1.0, 0.0, 1.0, 1.0}), 3, false, g).to_vector<int64_t>();
      REQUIRE(std::find(d.begin(), d.end(), 1) == d.end());
      std::sort(d.begin(), d.end());
      REQUIRE(std::adjacent_find(d.begin(), d.end()) == d.end());
    }
    // second draw from weights [0.5, 0.3, 0.2]: P(category 0) = 0.3 * 0.5/0.7 + 0.2 * 0.5/0.8 = 0.3392857...
    // (a non-contiguous, stride-0 batch of rows)
    const int rows = 20000;
    Tensor w = tensor({0.5, 0.3, 0.2}, {1, 3}).expand({rows, 3});
    Tensor s = multinomial(w, 2, false, g);
    CHECK(s.shape() == Shape{rows, 2});
    const double p_first0 = sum(eq(s.select(1, 0), 0.0)).item() / rows;
    const double p_second0 = sum(eq(s.select(1, 1), 0.0)).item() / rows;
    CHECK(std::abs(p_first0 - 0.5) < freq_bound(0.5, rows));
    CHECK(std::abs(p_second0 - 0.3392857142857143) < freq_bound(0.3392857142857143, rows));
    CHECK(sum(eq(s.select(1, 0), s.select(1, 1))).item() == 0);
  }

  TEST_CASE("multinomial errors") {
    CHECK_THROWS_WITH_AS(multinomial(tensor({1.0, -0.5}), 1), doctest::Contains("multinomial"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({1.0, -0.5}), 1), doctest::Contains("non-negative"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({0.0, 0.0}), 1, true), doctest::Contains("zero"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({1, 1, 0, 0}, {2, 2}), 1), doctest::Contains("row 1"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({1.0, 1.0}), 3), doctest::Contains("without replacement"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({1.0, 0.0, 0.0}), 2), doctest::Contains("non-zero"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({1.0, INFINITY}), 1), doctest::Contains("multinomial"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({1.0, NAN}), 1), doctest::Contains("multinomial"), Error);
    CHECK_THROWS_WITH_AS(multinomial(tensor({1.0, 1.0}), 0), doctest::Contains("num_samples"), Error);
    CHECK_THROWS_WITH_AS(multinomial(ones({2, 2, 2}), 1), doctest::Contains("multinomial"), Error);
    CHECK_THROWS_WITH_AS(multinomial(ones({2, 0}), 1), doctest::Contains("multinomial"), Error);
    CHECK_THROWS_WITH_AS(multinomial(ones({2}, kInt64), 1), doctest::Contains("multinomial"), Error);
    CHECK_THROWS_WITH_AS(multinomial(Tensor(), 1), doctest::Contains("multinomial"), Error);
    CHECK(multinomial(ones({0, 3}), 2).shape() == Shape{0, 2});
  }
}

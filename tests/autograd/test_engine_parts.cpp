// Tests for the engine's part path (engine.cpp add_part, node.h PartNode) and the tape's inline lists
// (autograd/inline_vector.h): gradients through many select/narrow/slice views of one non-leaf are the same numbers as
// the general path gives (anomaly mode takes it), they are gathered in one buffer (the allocator counts the requests),
// the input's other uses still add in, retain_graph runs twice, leaves keep their own path; InlineVector spills past
// its capacity and empties what it moves from.
#include <doctest/doctest.h>

#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "autograd/inline_vector.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/storage.h"

using namespace glimpse;

namespace {

// A loop in the style of a decoder: h = x * 2 (a non-leaf [B, T, H]), then every step t reads h.select(1, t), plus a
// narrow and a strided slice of h, all summed with weights; h is also used whole once. Returns x's gradient.
// Anomaly mode on or off for a scope (anomaly mode sends every node through apply(), the general path).
struct AnomalyAs {
  explicit AnomalyAs(bool on) : prev(is_anomaly_enabled()) { set_anomaly_enabled(on); }
  ~AnomalyAs() { set_anomaly_enabled(prev); }
  bool prev;
};

// Allocator requests made by the backward of h = x * 1.5 ([4, T, 8]) read one step at a time, h.select(1, t).
int64_t select_loop_backward_requests(int64_t T, bool general_path) {
  AnomalyAs mode(general_path);
  Variable x(zeros({4, T, 8}), true);
  Variable h = x * 1.5;
  Variable loss = sum(h.select(1, 0));
  for (int64_t t = 1; t < T; ++t) loss = loss + sum(h.select(1, t));
  const int64_t before = allocator_stats().requests;
  loss.backward();
  return allocator_stats().requests - before;
}

Tensor decoder_like_grad(const Tensor& x_value, bool anomaly) {
  AnomalyAs mode(anomaly);
  Variable x(x_value.clone(), true);
  Variable h = x * 2.0;
  Variable loss = sum(h * h);  // a use of the whole of h
  const int64_t T = x_value.size(1);
  for (int64_t t = 0; t < T; ++t) loss = loss + sum(h.select(1, t) * static_cast<double>(t + 1));
  loss = loss + sum(h.narrow(2, 1, 2)) + sum(h.slice(1, 0, T, 2) * 3.0);
  loss.backward();
  return x.grad();
}

}  // namespace

TEST_SUITE("engine_parts") {
  TEST_CASE("select, narrow and slice of a non-leaf: the part path gives the general path's numbers") {
    Generator gen(1);
    const Tensor x = randn({3, 7, 4}, kFloat64, gen);
    const Tensor fast = decoder_like_grad(x, /*anomaly=*/false);
    const Tensor general = decoder_like_grad(x, /*anomaly=*/true);  // anomaly mode takes apply() for every node
    CHECK(equal(fast, general));
    // And the numbers themselves: d/dx of 4x² + Σ_t (t+1)·2x[:, t] + 2x[:, :, 1:3] + 6x[:, ::2].
    const Tensor x2 = x.clone();
    std::vector<double> expected = (x2 * 8.0).tolist();
    for (int64_t b = 0; b < 3; ++b) {
      for (int64_t t = 0; t < 7; ++t) {
        for (int64_t k = 0; k < 4; ++k) {
          double& e = expected[(b * 7 + t) * 4 + k];
          e += 2.0 * static_cast<double>(t + 1) + (k == 1 || k == 2 ? 2.0 : 0.0) + (t % 2 == 0 ? 6.0 : 0.0);
        }
      }
    }
    const std::vector<double> got = fast.tolist();
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
  }

  TEST_CASE("gradcheck (float64) through parts of a non-leaf") {
    Generator gen(2);
    Variable x(randn({2, 5, 3}, kFloat64, gen), true);
    CHECK(gradcheck([](const std::vector<Variable>& in) {
      Variable h = in[0] * in[0];
      Variable out = sum(h.select(1, 0) * h.select(1, 4)) + sum(exp(h.narrow(1, 1, 3)));
      return out + sum(h.slice(2, 0, 3, 2)) + sum(h.select(1, 2));
    }, {x}));
  }

  TEST_CASE("T selects of one non-leaf gather into one buffer: allocator requests do not grow with T") {
    // Per extra step, both paths make the same few small gradients (the step's add and sum); the general path also
    // makes one [4, T, 8] zero gradient per select, which the part path does not.
    auto per_step = [](bool general_path) {
      return static_cast<double>(select_loop_backward_requests(64, general_path) -
                                 select_loop_backward_requests(8, general_path)) / 56.0;
    };
    const double parts = per_step(false), general = per_step(true);
    MESSAGE("allocator requests per select in backward: part path ", parts, ", general path ", general);
    CHECK(parts < 1.0);  // no input-sized gradient per select
    CHECK(parts + 1.0 <= general);
  }

  TEST_CASE("retain_graph: the part path runs twice and accumulates, a leaf's parts keep the general path") {
    Variable x(tensor({1.0, 2.0, 3.0, 4.0}, {2, 2}, kFloat64), true);
    Variable h = x * 3.0;
    Variable loss = sum(h.select(0, 0)) + sum(h.select(0, 1) * 2.0);
    loss.backward(Tensor(), /*retain_graph=*/true);
    loss.backward();
    CHECK(equal(x.grad(), tensor({6.0, 6.0, 12.0, 12.0}, {2, 2}, kFloat64)));  // twice (3, 3, 6, 6)
    Variable leaf(tensor({1.0, 2.0, 3.0}, {3}, kFloat64), true);
    (sum(leaf.narrow(0, 0, 2)) + sum(leaf.narrow(0, 1, 2))).backward();
    CHECK(equal(leaf.grad(), tensor({1.0, 2.0, 1.0}, {3}, kFloat64)));
  }

  TEST_CASE("InlineVector: inline up to its capacity, spills past it, and a moved-from one is empty") {
    InlineVector<Tensor, 2> v{zeros({1}), ones({2})};
    CHECK(v.size() == 2);
    v.push_back(full({3}, 7.0));  // spills
    REQUIRE(v.size() == 3);
    CHECK(v[0].numel() == 1);
    CHECK(v[1].numel() == 2);
    CHECK(v[2].tolist() == std::vector<double>{7.0, 7.0, 7.0});
    InlineVector<Tensor, 2> w = std::move(v);
    CHECK(w.size() == 3);
    CHECK(v.empty());  // NOLINT(bugprone-use-after-move): the documented state
    w.resize(1);
    CHECK(w.size() == 1);
    InlineVector<int, 3> counted(2);
    counted.push_back(5);
    counted.pop_back();
    CHECK(counted.size() == 2);
    CHECK(counted[0] == 0);
  }

  TEST_CASE("cat of more inputs than Grads holds inline: every gradient arrives") {
    std::vector<Variable> xs;
    for (int i = 0; i < 6; ++i) xs.push_back(Variable(full({2}, static_cast<double>(i), kFloat64), true));
    Variable y = cat(xs, 0);
    sum(y * y).backward();
    for (int i = 0; i < 6; ++i) CHECK(equal(xs[i].grad(), full({2}, 2.0 * i, kFloat64)));
  }
}

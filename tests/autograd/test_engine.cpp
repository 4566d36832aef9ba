// Tests for autograd/engine.cpp (with variable.h, node.h, grad_mode.h and gradcheck.cpp): how requires_grad spreads,
// how gradients accumulate and are reset, the errors of backward (non-scalar without a gradient, a freed graph), the
// grad-mode guards, detach, the ownership of a leaf's .grad(), a 100,000-op chain (backward and destruction without
// recursion), flat memory over 10,000 training and evaluation steps, anomaly mode in forward and backward, and
// gradcheck catching wrong backward functions.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/grad_mode.h"
#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/storage.h"

using namespace glimpse;

namespace {

Variable leaf(const std::vector<double>& values, const Shape& shape = {-1}, bool requires_grad = true) {
  return Variable(tensor(values, shape, kFloat64), requires_grad);
}

// ---- custom ops for the gradcheck tests, defined with record(...) as a user would

// y = x², with a backward off by a factor of 2 (g x instead of 2 g x).
Variable square_off_by_two(const Variable& x) {
  return record("square_off_by_two", square(x.data()), {x}, [x = x.data()](const Tensor& g) -> Grads {
    return {g * x};
  });
}

// y = a b + b², with a backward that forgets the 2b term of dy/db.
Variable product_missing_term(const Variable& a, const Variable& b) {
  return record("product_missing_term", add(mul(a.data(), b.data()), square(b.data())), {a, b},
                [a = a.data(), b = b.data()](const Tensor& g) -> Grads { return {g * b, g * a}; });
}

// SiLU, y = x σ(x), with the right derivative σ(x) (1 + x (1 - σ(x))).
Variable silu(const Variable& x) {
  Tensor s = sigmoid(x.data());
  return record("silu", mul(x.data(), s), {x}, [x = x.data(), s](const Tensor& g) -> Grads {
    return {g * s * (1.0 + x * (1.0 - s))};
  });
}

}  // namespace

TEST_SUITE("engine") {
  TEST_CASE("requires_grad spreads from inputs to results, leaves and grad_fn") {
    Variable a = leaf({1, 2}), b = leaf({3, 4}, {-1}, false);
    CHECK(a.requires_grad());
    CHECK(a.is_leaf());
    CHECK_FALSE(b.requires_grad());
    Variable ab = a * b;
    CHECK(ab.requires_grad());
    CHECK_FALSE(ab.is_leaf());
    CHECK(std::string(ab.grad_fn()->name) == "mul");
    Variable bb = b * b;
    CHECK_FALSE(bb.requires_grad());
    CHECK(bb.is_leaf());
    CHECK(bb.grad_fn() == nullptr);
    CHECK((bb + ab).requires_grad());
    // requires_grad_ is for leaves only; only floating point can require grad.
    CHECK_THROWS_WITH_AS(ab.requires_grad_(false), doctest::Contains("requires_grad_"), Error);
    CHECK_THROWS_WITH_AS(Variable(zeros({2}, kInt64), true), doctest::Contains("floating"), Error);
    CHECK_THROWS_WITH_AS(Variable{Tensor()}, doctest::Contains("Variable"), Error);
  }

  // A regression test: requires_grad_ once formatted its error message from `grad_fn->name` even when the check
  // passed, reading the null grad_fn of every leaf (undefined behaviour the sanitizer build reports).
  TEST_CASE("requires_grad_ on a leaf toggles the flag without touching its null grad_fn") {
    Variable b = leaf({3, 4}, {-1}, false);
    b.requires_grad_();
    CHECK(b.requires_grad());
    b.requires_grad_(false);
    CHECK_FALSE(b.requires_grad());
    CHECK_THROWS_WITH_AS(Variable(zeros({2}, kInt64)).requires_grad_(), doctest::Contains("requires_grad_"), Error);
  }

  TEST_CASE("gradients accumulate across backward calls, zero_grad resets") {
    Variable x = leaf({1, 2});
    (x * 3.0).backward(ones({2}, kFloat64));
    CHECK(x.grad().tolist() == std::vector<double>{3, 3});
    (x * x).backward(ones({2}, kFloat64));  // + 2x
    CHECK(x.grad().tolist() == std::vector<double>{5, 7});
    x.zero_grad();
    CHECK_FALSE(x.grad().defined());
    (x * 3.0).backward(ones({2}, kFloat64));
    CHECK(x.grad().tolist() == std::vector<double>{3, 3});
    // A value used twice in one graph gets both contributions: d(x·x + x)/dx = 2x + 1.
    Variable z = leaf({1.5});
    (z * z + z).backward();
    CHECK(z.grad().item() == 4.0);
  }

  TEST_CASE("backward: scalar seed, explicit gradient, and its errors") {
    Variable x = leaf({1, 2, 3});
    Variable y = x * x;
    CHECK_THROWS_WITH_AS(y.backward(), doctest::Contains("backward: called on a Variable of shape [3] without a gradient"),
                         Error);
    CHECK_THROWS_WITH_AS(y.backward(ones({2}, kFloat64)), doctest::Contains("backward"), Error);
    y.backward(tensor({1, 0.5, -1}, {3}, kFloat64));  // vector-Jacobian product: g · 2x
    CHECK(x.grad().tolist() == std::vector<double>{2, 2, -6});
    // A float32 gradient for a float64 output is converted.
    Variable w = leaf({2});
    (w * w).backward(tensor({1.0f}));
    CHECK(w.grad().item() == 4.0);
    // Nothing to differentiate.
    CHECK_THROWS_WITH_AS(leaf({1}, {-1}, false).backward(), doctest::Contains("does not require grad"), Error);
    // backward on a leaf: its gradient is the seed.
    Variable l = leaf({5});
    l.backward();
    CHECK(l.grad().item() == 1.0);
  }

  TEST_CASE("a freed graph cannot be run twice unless retain_graph was set") {
    Variable x = leaf({1, 2});
    Variable y = x * x;
    y.backward(ones({2}, kFloat64));
    CHECK_THROWS_WITH_AS(y.backward(ones({2}, kFloat64)), doctest::Contains("retain_graph"), Error);
    // With retain_graph the second backward works and accumulates.
    Variable a = leaf({1, 2});
    Variable b = exp(a) * a;
    b.backward(ones({2}, kFloat64), /*retain_graph=*/true);
    std::vector<double> once = a.grad().tolist();
    b.backward(ones({2}, kFloat64));
    std::vector<double> twice = a.grad().tolist();
    CHECK(twice[0] == doctest::Approx(2 * once[0]));
    CHECK(twice[1] == doctest::Approx(2 * once[1]));
    CHECK(once[0] == doctest::Approx(2 * std::exp(1.0)));  // (1 + x) e^x at 1
    // ... and then it is freed.
    CHECK_THROWS_WITH_AS(b.backward(ones({2}, kFloat64)), doctest::Contains("retain_graph"), Error);
  }

  TEST_CASE("NoGradGuard records nothing (nested), EnableGradGuard re-enables inside it") {
    Variable a = leaf({1, 2}), b = leaf({3, 4});
    const int64_t nodes = Node::live_count();
    CHECK(is_grad_enabled());
    {
      NoGradGuard outer;
      {
        NoGradGuard inner;
        Variable y = a * b + a;
        CHECK_FALSE(y.requires_grad());
        CHECK(y.is_leaf());
        CHECK(Node::live_count() == nodes);
      }
      CHECK_FALSE(is_grad_enabled());  // the inner guard restored "off", not "on"
      Variable y2 = exp(a);
      CHECK_FALSE(y2.requires_grad());
      CHECK(Node::live_count() == nodes);
      {
        EnableGradGuard enable;
        Variable y3 = a * b;
        CHECK(y3.requires_grad());
        CHECK(Node::live_count() == nodes + 1);
        y3.backward(ones({2}, kFloat64));
        CHECK(a.grad().tolist() == std::vector<double>{3, 4});
      }
      CHECK_FALSE(is_grad_enabled());
    }
    CHECK(is_grad_enabled());
    CHECK(Node::live_count() == nodes);
  }

  TEST_CASE("detach cuts the tape but shares the numbers") {
    Variable a = leaf({1, 2});
    Variable y = a * 2.0;
    Variable d = y.detach();
    CHECK(d.data().shares_storage_with(y.data()));
    CHECK_FALSE(d.requires_grad());
    CHECK(d.is_leaf());
    const int64_t nodes = Node::live_count();
    Variable z = d * d;
    CHECK_FALSE(z.requires_grad());
    CHECK(Node::live_count() == nodes);
    // Mixing: gradient flows through y only, not through the detached copy.
    (y * d).backward(ones({2}, kFloat64));  // d(2a · const)/da = 2 · const = 2 · 2a
    CHECK(a.grad().tolist() == std::vector<double>{4, 8});
  }

  TEST_CASE("a leaf's grad is its own memory") {
    // add hands the same gradient tensor to both inputs; each leaf must still get its own copy.
    Variable a = leaf({1, 2}), b = leaf({3, 4});
    Tensor seed = ones({2}, kFloat64);
    (a + b).backward(seed);
    CHECK_FALSE(a.grad().shares_storage_with(b.grad()));
    CHECK_FALSE(a.grad().shares_storage_with(seed));
    Tensor ga = a.grad();
    add_(ga, ones({2}, kFloat64), 10.0);  // the user (or an optimizer) changes a's grad in place
    CHECK(a.grad().tolist() == std::vector<double>{11, 11});
    CHECK(b.grad().tolist() == std::vector<double>{1, 1});
    CHECK(seed.tolist() == std::vector<double>{1, 1});
    // The same with the implicit seed of a scalar, and an identity-like op (x + 0).
    Variable c = leaf({1}), e = leaf({2});
    (c + e).backward();
    CHECK_FALSE(c.grad().shares_storage_with(e.grad()));
    Variable f = leaf({1});
    Variable g = f + 0.0;
    g.backward();
    Tensor gf = f.grad();
    mul_(gf, 5.0);
    CHECK(f.grad().item() == 5.0);
  }

  TEST_CASE("a chain of 100,000 ops: backward and destruction without recursion") {
    const int64_t nodes = Node::live_count();
    const int64_t storages = Storage::live_count();
    {
      Variable x0 = leaf({1});
      Variable x = x0;
      for (int i = 0; i < 100000; ++i) x = x * 1.0000001;
      CHECK(Node::live_count() == nodes + 100000);
      x.backward();
      // d/dx0 of x0 · 1.0000001^100000
      CHECK(x0.grad().item() == doctest::Approx(std::pow(1.0000001, 100000)).epsilon(1e-9));
    }  // the whole chain dies here
    CHECK(Node::live_count() == nodes);
    {
      // Never differentiated: the graph still holds its saved tensors when it is destroyed.
      Variable x = leaf({0.5});
      for (int i = 0; i < 100000; ++i) x = (i % 2 == 0) ? x + 1e-6 : tanh(x) * 0.5;
      CHECK(Node::live_count() >= nodes + 100000);
    }
    CHECK(Node::live_count() == nodes);
    CHECK(Storage::live_count() == storages);
  }

  TEST_CASE("memory stays flat over 10,000 training steps and 10,000 forward passes") {
    Generator gen(3);
    // A small MLP-like graph from broadcasting ops: h = tanh(x w1 + b1), y = h w2, loss = (y - 0.5)².
    Tensor x = randn({16, 1}, kFloat32, gen);
    Variable w1(randn({1, 8}, kFloat32, gen), true), b1(randn({8}, kFloat32, gen), true),
        w2(randn({8}, kFloat32, gen), true);
    auto forward = [&]() {
      Variable h = tanh(Variable(x) * w1 + b1);
      return square(h * w2 - 0.5);
    };
    auto train_step = [&]() {
      Variable loss = forward();
      loss.backward(ones_like(loss.data()));
      w1.zero_grad();
      b1.zero_grad();
      w2.zero_grad();
    };
    train_step();  // warm-up: whatever is created once and kept
    const int64_t nodes = Node::live_count();
    const int64_t storages = Storage::live_count();
    for (int i = 0; i < 10000; ++i) {
      train_step();
      if (i % 1000 == 0) {
        CHECK(Node::live_count() == nodes);
        CHECK(Storage::live_count() == storages);
      }
    }
    CHECK(Node::live_count() == nodes);
    CHECK(Storage::live_count() == storages);

    // Forward passes that are never differentiated: each graph dies with its output.
    Variable keep;
    for (int i = 0; i < 10000; ++i) {
      keep = forward();
      if (i % 1000 == 0) CHECK(Node::live_count() <= nodes + 8);
    }
    keep = Variable();
    CHECK(Node::live_count() == nodes);
    CHECK(Storage::live_count() == storages);
    // And under NoGradGuard nothing is recorded at all.
    {
      NoGradGuard no_grad;
      for (int i = 0; i < 10000; ++i) keep = forward();
      CHECK(Node::live_count() == nodes);
    }
    keep = Variable();
    CHECK(Storage::live_count() == storages);
  }

  TEST_CASE("anomaly mode names the op that made a NaN/Inf, in forward and in backward") {
    CHECK_FALSE(is_anomaly_enabled());
    Variable neg_one = leaf({-1, 2});
    Variable zero = leaf({0, 4});
    // Off: NaN and Inf pass silently.
    CHECK(std::isnan(log(neg_one).data().tolist()[0]));
    sqrt(zero).backward(ones({2}, kFloat64));
    CHECK(std::isinf(zero.grad().tolist()[0]));
    zero.zero_grad();
    {
      AnomalyModeGuard anomaly;
      CHECK(is_anomaly_enabled());
      // log(-1) = NaN in forward
      CHECK_THROWS_WITH_AS(log(neg_one), doctest::Contains("forward of 'log'"), Error);
      CHECK_THROWS_WITH_AS(log(leaf({-1}, {-1}, false)), doctest::Contains("'log'"), Error);
      // sqrt(0) = 0 is fine in forward, but its derivative 1 / (2 sqrt(0)) is inf in backward.
      Variable y = sqrt(zero);
      CHECK_THROWS_WITH_AS(y.backward(ones({2}, kFloat64)), doctest::Contains("backward of 'sqrt'"), Error);
      // Finite values pass.
      Variable ok = leaf({1, 2});
      log(ok).backward(ones({2}, kFloat64));
      CHECK(ok.grad().tolist() == std::vector<double>{1, 0.5});
    }
    CHECK_FALSE(is_anomaly_enabled());
  }

  TEST_CASE("gradcheck catches a wrong backward and names the input and the index") {
    // Off by a factor of 2. x is zero except at [1, 0], so that is the only element whose gradient is wrong.
    Variable x = leaf({0, 0, 1.5, 0}, {2, 2});
    CHECK_THROWS_WITH_AS(gradcheck([](const std::vector<Variable>& in) { return square_off_by_two(in[0]); }, {x}),
                         doctest::Contains("gradient of input 0 (shape [2, 2]) is wrong at index [1, 0]"), Error);
    CHECK_THROWS_WITH_AS(gradcheck([](const std::vector<Variable>& in) { return square_off_by_two(in[0]); },
                                   {leaf({0.3, -1.2, 2.0})}),
                         doctest::Contains("input 0"), Error);
    // A missing term in the second input's gradient: b = [0, 0, 3] makes index [2] the only wrong one, and input 0
    // (whose gradient is right) is not blamed.
    CHECK_THROWS_WITH_AS(
        gradcheck([](const std::vector<Variable>& in) { return product_missing_term(in[0], in[1]); },
                  {leaf({1, 2, 3}), leaf({0, 0, 3})}),
        doctest::Contains("gradient of input 1 (shape [3]) is wrong at index [2]"), Error);
    // raise_exception = false reports by return value.
    CHECK_FALSE(gradcheck([](const std::vector<Variable>& in) { return square_off_by_two(in[0]); }, {x},
                          {.raise_exception = false}));
    // A correct custom op passes, on random and on transposed inputs.
    CHECK(gradcheck([](const std::vector<Variable>& in) { return silu(in[0]); }, {Variable(randn({4, 5}, kFloat64), true)}));
    CHECK(gradcheck([](const std::vector<Variable>& in) { return silu(in[0]); },
                    {Variable(randn({5, 4}, kFloat64).t(), true)}));
    // gradcheck needs float64.
    CHECK_THROWS_WITH_AS(gradcheck([](const std::vector<Variable>& in) { return silu(in[0]); },
                                   {Variable(randn({3}), true)}),
                         doctest::Contains("float64"), Error);
  }

  TEST_CASE("retain_grad keeps a non-leaf's gradient, accumulates like a leaf's, and leaves others alone") {
    Variable x(tensor({1.0, 2.0}, {2}, kFloat64), true);
    Variable h = x * 3.0;
    Variable untouched = h * 1.0;
    h.retain_grad();
    Variable y = sum(square(h));  // dy/dh = 2h = [6, 12]
    y.backward(Tensor(), /*retain_graph=*/true);
    CHECK(equal(h.grad(), tensor({6.0, 12.0}, {2}, kFloat64)));
    CHECK(equal(x.grad(), tensor({18.0, 36.0}, {2}, kFloat64)));
    CHECK_FALSE(untouched.grad().defined());  // not asked to retain
    y.backward();
    CHECK(equal(h.grad(), tensor({12.0, 24.0}, {2}, kFloat64)));  // accumulated, as a leaf's would be
    CHECK_THROWS_WITH_AS(Variable(zeros({2})).retain_grad(), doctest::Contains("does not require grad"), Error);
  }
}

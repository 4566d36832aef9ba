// A randomized bad-input test: random shapes (empty, negative, huge), dims, indices and dtypes, views that are not
// contiguous, thrown at the public tensor and autograd ops, with a backward through whatever was built. Each call must
// give a result or a glimpse::Error; any other exception fails the test, and a crash or a sanitizer report (the test
// suite also runs under ASan + UBSan) fails the process. Seeded, so a failure replays; bounded by time (about two
// seconds) and by a count, so it costs the same in both builds.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_loss.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

constexpr int64_t kHuge = int64_t{1} << 62;

struct Fuzzer {
  std::mt19937_64 rng;
  explicit Fuzzer(uint64_t seed) : rng(seed) {}

  int64_t pick(std::initializer_list<int64_t> values) {
    return values.begin()[std::uniform_int_distribution<size_t>(0, values.size() - 1)(rng)];
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  // A size: mostly small and valid, sometimes 0, negative or huge.
  int64_t size() { return chance(0.9) ? pick({0, 1, 1, 2, 2, 3, 3, 4}) : pick({-1, -3, kHuge, -kHuge}); }
  // A dim or an index: mostly in range for small tensors, sometimes far outside.
  int64_t index() {
    return chance(0.85) ? pick({-3, -2, -1, 0, 0, 1, 1, 2, 3})
                        : pick({-9, 8, std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()});
  }
  DType dtype() { return chance(0.6) ? kFloat32 : (chance(0.6) ? kFloat64 : kInt64); }
  Shape shape() {
    Shape s;
    const int n = static_cast<int>(pick({0, 1, 2, 2, 3, 3, 4}));
    for (int i = 0; i < n; ++i) s.push_back(size());
    return s;
  }
  // A valid tensor of small random shape (any dtype), sometimes a non-contiguous or expanded view.
  Tensor tensor() {
    Shape s;
    const int n = static_cast<int>(pick({0, 1, 2, 2, 3, 4}));
    for (int i = 0; i < n; ++i) s.push_back(pick({0, 1, 2, 3, 4}));
    const DType dt = dtype();
    Tensor t = dt == kInt64 ? randint(-3, 4, s) : randn(s, dt);
    if (t.dim() >= 2 && chance(0.3)) t = t.transpose(0, -1);
    if (t.dim() >= 1 && t.size(0) == 1 && chance(0.3)) t = t.expand(Shape([&] {
      Shape e = t.shape();
      e[0] = 3;
      return e;
    }()));
    return t;
  }
  Variable variable() {
    Tensor t = tensor();
    return Variable(t, is_floating(t.dtype()) && chance(0.7));
  }
  Tensor index_tensor() {
    Shape s;
    for (int i = 0, n = static_cast<int>(pick({0, 1, 1, 2})); i < n; ++i) s.push_back(pick({0, 1, 2, 3}));
    return chance(0.85) ? randint(-4, 5, s) : randn(s);
  }
};

// The ops, each drawing its own arguments. They return a Variable when they built one (for the backward that follows).
using Op = std::function<Variable(Fuzzer&)>;

std::vector<std::pair<const char*, Op>> ops() {
  return {
      {"creation", [](Fuzzer& f) {
         switch (f.pick({0, 1, 2, 3, 4, 5})) {
           case 0: return Variable(zeros(f.shape(), f.dtype()));
           case 1: return Variable(eye(f.size(), f.dtype()));
           case 2: return Variable(linspace(0, 1, f.size(), f.dtype()));
           case 3: return Variable(arange(f.chance(0.5) ? 1e300 : 4.0, f.dtype()));
           case 4: return Variable(full(f.shape(), 2.0, f.dtype()));
           default: return Variable(randn(f.shape(), f.chance(0.8) ? kFloat32 : kInt64));
         }
       }},
      {"binary", [](Fuzzer& f) {
         Variable a = f.variable(), b = f.variable();
         switch (f.pick({0, 1, 2, 3, 4, 5})) {
           case 0: return add(a, b);
           case 1: return mul(a, b);
           case 2: return div(a, b);
           case 3: return maximum(a, b);
           case 4: return pow(a, b);
           default: return matmul(a, b);
         }
       }},
      {"unary", [](Fuzzer& f) {
         Variable x = f.variable();
         switch (f.pick({0, 1, 2, 3, 4})) {
           case 0: return exp(x);
           case 1: return tanh(x);
           case 2: return gelu(x, f.chance(0.5) ? "tanh" : "bogus");
           case 3: return clamp(x, f.chance(0.5) ? 1.0 : -1.0, 0.0);
           default: return dropout(x, f.chance(0.5) ? 0.5 : 1.5);
         }
       }},
      {"reduce", [](Fuzzer& f) {
         Variable x = f.variable();
         Shape dims;
         for (int i = 0, n = static_cast<int>(f.pick({0, 1, 2})); i < n; ++i) dims.push_back(f.index());
         switch (f.pick({0, 1, 2, 3, 4, 5})) {
           case 0: return sum(x, dims, f.chance(0.5));
           case 1: return mean(x, dims);
           case 2: return amax(x, dims);
           case 3: return var(x, dims, f.index());
           case 4: return softmax(x, f.index());
           default: return logsumexp(x, dims);
         }
       }},
      {"view", [](Fuzzer& f) {
         Variable x = f.variable();
         switch (f.pick({0, 1, 2, 3, 4, 5, 6, 7, 8})) {
           case 0: return x.reshape(f.shape());
           case 1: return x.view(f.shape());
           case 2: return x.transpose(f.index(), f.index());
           case 3: return x.narrow(f.index(), f.index(), f.size());
           case 4: return x.select(f.index(), f.index());
           case 5: return x.slice(f.index(), f.index(), f.index(), f.index());
           case 6: return x.expand(f.shape());
           case 7: return x.flatten(f.index(), f.index());
           default: return x.unsqueeze(f.index()).squeeze(f.index());
         }
       }},
      {"join and index", [](Fuzzer& f) {
         Variable x = f.variable();
         switch (f.pick({0, 1, 2, 3, 4, 5})) {
           case 0: return cat({x, f.variable()}, f.index());
           case 1: return stack({x, f.variable()}, f.index());
           case 2: return index_select(x, f.index(), f.index_tensor());
           case 3: return gather(x, f.index(), f.index_tensor());
           case 4: return where(f.index_tensor(), x, f.variable());
           default: return masked_fill(x, f.index_tensor(), 1.0);
         }
       }},
      {"losses", [](Fuzzer& f) {
         Variable x = f.variable();
         switch (f.pick({0, 1, 2, 3})) {
           case 0: return cross_entropy(x, f.index_tensor());
           case 1: return nll_loss(x, f.index_tensor(), {.ignore_index = f.index()});
           case 2: return mse_loss(x, f.variable());
           default: return layer_norm(x, f.shape());
         }
       }},
      {"in place", [](Fuzzer& f) {
         Tensor t = f.tensor();
         if (f.chance(0.5)) {
           t.copy_(f.tensor());
         } else {
           t.fill_(3.0);
           Tensor s = f.tensor();
           add_(t, s);
         }
         return Variable(t);
       }},
  };
}

}  // namespace

TEST_SUITE("random_inputs") {
  TEST_CASE("random bad inputs to the public ops give a result or a glimpse::Error, never a crash") {
    const uint64_t seed = 20261201;
    Fuzzer f(seed);
    manual_seed(1);
    const auto table = ops();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    int calls = 0, errors = 0, backwards = 0;
    for (; calls < 20000 && std::chrono::steady_clock::now() < deadline; ++calls) {
      const auto& [name, op] = table[static_cast<size_t>(f.pick({0, 1, 2, 3, 4, 5, 6, 7}))];
      INFO("seed ", seed, ", call ", calls, ": ", name);
      try {
        Variable y = op(f);
        if (y.defined() && y.requires_grad()) {
          y.backward(f.chance(0.9) ? ones_like(y.data()) : ones({3}));  // sometimes a gradient of the wrong shape
          ++backwards;
        }
      } catch (const Error&) {
        ++errors;
      } catch (const std::exception& e) {
        FAIL("not a glimpse::Error: ", e.what());
      }
    }
    MESSAGE(calls, " calls: ", errors, " glimpse::Errors, ", backwards, " backward passes");
    // The mix must exercise both sides: valid calls (with backward) and rejected ones.
    CHECK(calls >= 200);
    CHECK(errors > calls / 20);
    CHECK(backwards > calls / 20);
  }
}

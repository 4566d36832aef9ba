// Adam::clip_and_step (clipping folded into the update) against the two calls it replaces, clip_grad_norm_ then
// step(): the same parameters, moments and gradients, bit for bit, with clipping active and not.
#include <doctest/doctest.h>

#include <functional>
#include <vector>

#include "autograd/variable.h"
#include "optim/adam.h"
#include "optim/clip_grad.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

struct Run {
  std::vector<Tensor> params, grads;
  std::vector<double> norms;
};

// Three parameters (one whose gradient arrives transposed, so the optimizer packs a copy; one never given a
// gradient), four steps with gradients from a fixed generator scaled by `size` (large: clipping is active).
Run run(bool fused, bool decoupled, DType dtype, double size) {
  Generator gen(7);
  std::vector<Variable> params{Variable(randn({5, 3}, dtype, gen), true), Variable(randn({4, 6}, dtype, gen), true),
                               Variable(randn({2}, dtype, gen), true)};
  std::unique_ptr<optim::Adam> opt;
  if (decoupled) {
    opt = std::make_unique<optim::AdamW>(params, optim::AdamWOptions{.lr = 0.05, .weight_decay = 0.1});
  } else {
    opt = std::make_unique<optim::Adam>(params, optim::AdamOptions{.lr = 0.05, .weight_decay = 0.01});
  }
  Run r;
  for (int step = 0; step < 4; ++step) {
    Tensor g0 = randn({5, 3}, dtype, gen), g1 = randn({6, 4}, dtype, gen);
    mul_(g0, size);
    mul_(g1, size);
    params[0].set_grad(g0);
    params[1].set_grad(g1.t());  // a strided gradient of the right shape
    r.norms.push_back(fused ? opt->clip_and_step(1.0) : optim::clip_grad_norm_(params, 1.0));
    if (!fused) opt->step();
    for (size_t i = 0; i < 2; ++i) r.grads.push_back(params[i].grad().contiguous().clone());
  }
  for (const Variable& p : params) r.params.push_back(p.data().clone());
  return r;
}

void check_same(const Run& a, const Run& b) {
  REQUIRE(a.params.size() == b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) CHECK(equal(a.params[i], b.params[i]));
  for (size_t i = 0; i < a.grads.size(); ++i) CHECK(equal(a.grads[i], b.grads[i]));
  CHECK(a.norms == b.norms);
}

}  // namespace

TEST_SUITE("clip_and_step") {
  TEST_CASE("AdamW clip_and_step equals clip_grad_norm_ then step bit for bit in float32") {
    const Run fused = run(true, true, kFloat32, 3.0), plain = run(false, true, kFloat32, 3.0);
    CHECK(plain.norms[0] > 1.0);  // clipping was active
    check_same(fused, plain);
  }
  TEST_CASE("Adam clip_and_step equals clip_grad_norm_ then step in float64 and without clipping") {
    check_same(run(true, false, kFloat64, 3.0), run(false, false, kFloat64, 3.0));
    const Run small = run(true, false, kFloat32, 0.01);
    CHECK(small.norms[0] < 1.0);  // below max_norm: no scaling
    check_same(small, run(false, false, kFloat32, 0.01));
  }
  TEST_CASE("clip_and_step refuses a negative max_norm") {
    Variable w(zeros({2}), true);
    optim::AdamW opt({w});
    w.set_grad(ones({2}));
    CHECK_THROWS_WITH_AS(opt.clip_and_step(-1.0), doctest::Contains("max_norm"), Error);
  }
}

// The fixed small problem of tests/optim/reference/make_reference.py, rebuilt with glimpse ops, and its reference
// trajectories. loss = sum((tanh(X @ W) + b - Y)^2) / 5 in float64.
#pragma once

#include <string>

#include "glimpse.h"

namespace optim_test {
using namespace glimpse;

inline const NamedTensors& reference() {
  static const NamedTensors ref =
      load_safetensors(std::string(GLIMPSE_SOURCE_DIR) + "/tests/optim/reference/trajectories.safetensors");
  return ref;
}

struct Problem {
  Variable W{reference().at("W.init").clone(), true};
  Variable b{reference().at("b.init").clone(), true};
  Variable X{reference().at("X")};
  Variable Y{reference().at("Y")};

  Variable loss() const { return sum(square(tanh(matmul(X, W)) + b - Y)) / 5.0; }
  std::vector<Variable> params() const { return {W, b}; }
  // One training step: zero_grad, backward, step.
  template <class Opt>
  void step(Opt& opt) const {
    opt.zero_grad();
    loss().backward();
    opt.step();
  }
};

// The largest |a - b| / max(1, |b|) over all elements.
inline double max_rel_diff(const Tensor& a, const Tensor& b) {
  std::vector<double> x = a.tolist(), y = b.tolist();
  double worst = 0.0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]) / std::max(1.0, std::abs(y[i])));
  return worst;
}

// Runs 10 steps of `opt` on `p` and checks every step against the reference trajectory `config`.
template <class Opt>
void check_trajectory(const std::string& config, const Problem& p, Opt& opt) {
  for (int t = 1; t <= 10; ++t) {
    p.step(opt);
    const Tensor& W = reference().at(config + ".W." + std::to_string(t));
    const Tensor& b = reference().at(config + ".b." + std::to_string(t));
    INFO(config, " step ", t);
    CHECK(max_rel_diff(p.W.data(), W) < 1e-10);
    CHECK(max_rel_diff(p.b.data(), b) < 1e-10);
  }
  // The trajectory must actually move (a reference identical to the start would prove nothing).
  CHECK(max_rel_diff(p.W.data(), reference().at("W.init")) > 1e-3);
}

}  // namespace optim_test

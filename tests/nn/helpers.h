// Test helpers shared by the nn suites: module gradient checks, parameter snapshots, PyTorch reference files.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autograd/grad_mode.h"
#include "nn/gradcheck.h"
#include "nn/module.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/safetensors.h"

namespace glimpse::nn_test {

// The sum of every element of t, in double (plain Tensor math, no autograd).
inline double sum_all(const Tensor& t) {
  double s = 0;
  for (double x : t.tolist()) s += x;
  return s;
}

// nn::gradcheck (the public API) as a string for CHECK(... == ""): empty on success, else the Error's message.
inline std::string module_gradcheck(nn::Module& module, const std::function<Variable(const std::vector<Variable>&)>& fn,
                                    const std::vector<Variable>& inputs, double eps = 1e-6, double atol = 1e-5,
                                    double rtol = 1e-3) {
  try {
    nn::gradcheck(module, fn, inputs, {.eps = eps, .atol = atol, .rtol = rtol, .seed = 7});
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Writes `value` into a parameter's (or a tensor's) numbers in place (Tensor::copy_ needs a non-const handle).
inline void assign(const Variable& v, const Tensor& value) {
  Tensor t = v.data();
  t.copy_(value);
}
inline void assign(const Tensor& dst, const Tensor& value) {
  Tensor t = dst;
  t.copy_(value);
}

// Deep copies of every parameter and buffer, to prove a failed load changed nothing.
inline std::vector<std::pair<std::string, Tensor>> snapshot(const nn::Module& m) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [name, t] : m.state_dict().tensors) out.emplace_back(name, t.clone());
  return out;
}

inline bool same_as_snapshot(const nn::Module& m, const std::vector<std::pair<std::string, Tensor>>& snap) {
  auto now = m.state_dict().tensors;
  if (now.size() != snap.size()) return false;
  for (size_t i = 0; i < now.size(); ++i) {
    if (now[i].first != snap[i].first || !equal(now[i].second, snap[i].second)) return false;
  }
  return true;
}

// A PyTorch reference file from tests/nn/reference (see make_reference.py for what it holds).
inline NamedTensors load_reference(const std::string& layer) {
  return load_safetensors(std::string(GLIMPSE_SOURCE_DIR) + "/tests/nn/reference/" + layer + ".safetensors");
}

// The tensors of `ref` named like the module's parameters: what load_state_dict takes.
inline NamedTensors reference_weights(const NamedTensors& ref, const nn::Module& m) {
  NamedTensors out;
  for (const auto& [name, _] : m.named_parameters()) out.add(name, ref.at(name));
  return out;
}

// Elementwise |a - b| <= atol + rtol * |b| with equal shapes; prints the worst element on failure.
inline bool close(const Tensor& a, const Tensor& b, double rtol = 1e-5, double atol = 1e-6) {
  if (!(a.shape() == b.shape())) {
    MESSAGE(fmt::format("shape {} vs {}", a.shape(), b.shape()));
    return false;
  }
  auto x = a.tolist(), y = b.tolist();
  for (size_t i = 0; i < x.size(); ++i) {
    if (!(std::abs(x[i] - y[i]) <= atol + rtol * std::abs(y[i]))) {
      MESSAGE(fmt::format("element {}: {} vs {}", i, x[i], y[i]));
      return false;
    }
  }
  return true;
}

// A unique path in the build tree for files a test writes.
inline std::string temp_path(const std::string& name) {
  return std::string(GLIMPSE_BINARY_DIR) + "/test_nn_" + name;
}

}  // namespace glimpse::nn_test

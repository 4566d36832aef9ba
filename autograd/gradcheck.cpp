// gradcheck: analytic vector-Jacobian product against central differences (see gradcheck.h for the method).
#include "autograd/gradcheck.h"

#include <cmath>

#include "autograd/grad_mode.h"
#include "tensor/random.h"

namespace glimpse {
namespace {

// sum(v * y) in float64, computed directly (no autograd).
double project(const Tensor& y, const std::vector<double>& v) {
  std::vector<double> ys = y.tolist();
  double s = 0.0;
  for (size_t i = 0; i < ys.size(); ++i) s += ys[i] * v[i];
  return s;
}

// The storage offset of the i-th element (row-major) of t.
int64_t element_offset(const Tensor& t, int64_t i) {
  int64_t off = 0;
  for (int d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.shape()[d]) * t.strides()[d];
    i /= t.shape()[d];
  }
  return off;
}

std::string index_string(const Tensor& t, int64_t i) {
  Shape idx = Shape::filled(t.dim(), 0);
  for (int d = t.dim() - 1; d >= 0; --d) {
    idx[d] = i % t.shape()[d];
    i /= t.shape()[d];
  }
  return fmt::format("{}", idx);
}

// What gradcheck perturbs: a leaf, the name errors use for it ("input 0", "parameter 'fc.weight'").
struct Checked {
  std::string name;
  Variable leaf;
};

void check_perturbable(const Variable& x, const std::string& name, const char* fix) {
  check(x.dtype() == kFloat64, "gradcheck: {} has dtype {}; finite differences need float64 ({})", name,
        dtype_name(x.dtype()), fix);
  for (int d = 0; d < x.dim(); ++d) {
    check(x.data().strides()[d] != 0 || x.shape()[d] <= 1, "gradcheck: {} of shape {} is an expanded view "
          "(stride 0), so one element stands for many; pass a contiguous copy", name, x.shape());
  }
}

// Central differences for every element of each checked leaf against the gradient backward left in it; throws (or
// returns false) at the first leaf with a wrong element, describing its worst one.
bool compare(const GradcheckFn& fn, const std::vector<Variable>& leaves, const std::vector<Checked>& checked,
             const std::vector<double>& vs, const GradcheckOptions& options) {
  for (const auto& [name, x] : checked) {
    Tensor analytic = x.grad().defined() ? x.grad() : zeros_like(x.data());
    std::vector<double> a = analytic.tolist();
    double* base = x.data().data<double>();
    double worst_excess = 0.0;
    int64_t worst = -1;
    double worst_a = 0.0, worst_n = 0.0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      double& elem = base[element_offset(x.data(), i)];
      const double orig = elem;
      double plus, minus;
      {
        NoGradGuard no_grad;
        elem = orig + options.eps;
        plus = project(fn(leaves).data(), vs);
        elem = orig - options.eps;
        minus = project(fn(leaves).data(), vs);
      }
      elem = orig;
      double numeric = (plus - minus) / (2.0 * options.eps);
      double excess = std::abs(a[i] - numeric) - (options.atol + options.rtol * std::abs(numeric));
      if (!(excess <= 0.0) && (worst < 0 || !(excess <= worst_excess))) {  // NaN counts as the worst
        worst_excess = excess;
        worst = i;
        worst_a = a[i];
        worst_n = numeric;
      }
    }
    if (worst >= 0) {
      if (!options.raise_exception) return false;
      throw Error(fmt::format("gradcheck: gradient of {} (shape {}) is wrong at index {}: analytic {:.8g} vs "
                              "numerical {:.8g} (allowed difference {:.3g} = atol {} + rtol {} * |numerical|)",
                              name, x.shape(), index_string(x.data(), worst), worst_a, worst_n,
                              options.atol + options.rtol * std::abs(worst_n), options.atol, options.rtol));
    }
  }
  return true;
}

}  // namespace

bool gradcheck_with_params(const GradcheckFn& fn, const std::vector<Variable>& inputs, const NamedVariables& params,
                           const GradcheckOptions& options) {
  EnableGradGuard grad_on;
  // Fresh leaves that share the callers' tensors, so perturbing them is seen by fn.
  std::vector<Variable> leaves;
  std::vector<Checked> checked;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Variable& in = inputs[k];
    check(in.defined(), "gradcheck: input {} is undefined", k);
    leaves.emplace_back(in.data(), in.requires_grad());
    if (in.requires_grad()) {
      checked.push_back({fmt::format("input {}", k), leaves.back()});
      check_perturbable(in, checked.back().name, "pass Variable(x.to(kFloat64), true)");
    }
  }
  for (const auto& [name, p] : params) {
    check(p.defined() && p.is_leaf() && p.requires_grad(), "gradcheck: parameter '{}' must be a leaf that requires "
          "grad", name);
    checked.push_back({fmt::format("parameter '{}'", name), p});
    check_perturbable(p, checked.back().name, "convert the module first: module.to(kFloat64)");
    p.zero_grad();
  }

  Variable y = fn(leaves);
  check(y.defined() && y.dtype() == kFloat64, "gradcheck: fn must return a float64 Variable");
  Generator gen(options.seed);
  Tensor v = randn(y.shape(), kFloat64, gen);
  if (y.requires_grad()) y.backward(v);
  return compare(fn, leaves, checked, v.tolist(), options);
}

bool gradcheck(const GradcheckFn& fn, const std::vector<Variable>& inputs, const GradcheckOptions& options) {
  return gradcheck_with_params(fn, inputs, NamedVariables{}, options);
}

}  // namespace glimpse

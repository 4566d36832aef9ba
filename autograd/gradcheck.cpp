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

}  // namespace

bool gradcheck(const GradcheckFn& fn, const std::vector<Variable>& inputs, const GradcheckOptions& options) {
  EnableGradGuard grad_on;
  // Fresh leaves that share the callers' tensors, so perturbing them is seen by fn.
  std::vector<Variable> leaves;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Variable& in = inputs[k];
    check(in.defined(), "gradcheck: input {} is undefined", k);
    if (in.requires_grad()) {
      check(in.dtype() == kFloat64, "gradcheck: input {} has dtype {}; finite differences need float64 "
            "(pass Variable(x.to(kFloat64), true))", k, dtype_name(in.dtype()));
      for (int d = 0; d < in.dim(); ++d) {
        check(in.data().strides()[d] != 0 || in.shape()[d] <= 1, "gradcheck: input {} of shape {} is an expanded view "
              "(stride 0), so one element stands for many; pass a contiguous copy", k, in.shape());
      }
    }
    leaves.emplace_back(in.data(), in.requires_grad());
  }

  Variable y = fn(leaves);
  check(y.defined() && y.dtype() == kFloat64, "gradcheck: fn must return a float64 Variable");
  Generator gen(options.seed);
  Tensor v = randn(y.shape(), kFloat64, gen);
  std::vector<double> vs = v.tolist();
  if (y.requires_grad()) y.backward(v);

  for (size_t k = 0; k < leaves.size(); ++k) {
    const Variable& x = leaves[k];
    if (!x.requires_grad()) continue;
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
      throw Error(fmt::format("gradcheck: gradient of input {} (shape {}) is wrong at index {}: analytic {:.8g} vs "
                              "numerical {:.8g} (allowed difference {:.3g} = atol {} + rtol {} * |numerical|)",
                              k, x.shape(), index_string(x.data(), worst), worst_a, worst_n,
                              options.atol + options.rtol * std::abs(worst_n), options.atol, options.rtol));
    }
  }
  return true;
}

}  // namespace glimpse

// Adam / AdamW: one fused pass over each parameter and its moments (see adam.h for the update).
#include "optim/adam.h"

#include <cmath>

#include "optim/clip_grad.h"
#include "tensor/elementwise.h"
#include "tensor/parallel.h"

namespace glimpse::optim {
namespace {

void validate(const char* name, const AdamOptions& o) {
  check_option(o.lr >= 0.0, name, "lr", o.lr, "must be >= 0");
  check_option(o.eps >= 0.0, name, "eps", o.eps, "must be >= 0");
  check_option(o.beta1 >= 0.0 && o.beta1 < 1.0, name, "beta1", o.beta1, "must be in [0, 1)");
  check_option(o.beta2 >= 0.0 && o.beta2 < 1.0, name, "beta2", o.beta2, "must be in [0, 1)");
  check_option(o.weight_decay >= 0.0, name, "weight_decay", o.weight_decay, "must be >= 0");
}

// Everything one element's update needs besides its own numbers, by value: a function parameter the loop cannot
// change, so the compiler keeps it in registers.
template <class T>
struct Coefs {
  T b1, b2, one_b1, one_b2, wd, eps, step_size, bc2, scale;
  T sign;    // -1 to maximize, else 1: g * sign is exactly -g or g
  T shrink;  // AdamW's decoupled decay 1 - lr * weight_decay, else 1: p * 1 is exactly p
  bool scaled, l2, amsgrad;
};

// Elements [begin, end) of one parameter. The options that only flip a sign or scale by 1 are folded into the
// arithmetic, and clipping's scale is its own pass, so the loop keeps two flags (L2 decay, amsgrad): GCC then makes
// one copy of the loop per combination and vectorises each (sqrt and division are exact in SIMD too, so the bits are
// those of the scalar loop). With five flags tested per element it stayed scalar, and was the largest single cost of
// a context-network step (issue 14). __restrict on the parameters (where GCC honours it): the five arrays never
// overlap, they are one parameter's own buffers.
template <class T>
void adam_range(T* __restrict p, T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax, int64_t begin,
                int64_t end, const Coefs<T> c) {
  if (c.scaled) {
    for (int64_t i = begin; i < end; ++i) g[i] *= c.scale;  // the gradient is left clipped, as clip_grad_norm_ would
  }
  for (int64_t i = begin; i < end; ++i) {
    T gi = g[i] * c.sign;
    p[i] *= c.shrink;
    if (c.l2) gi += c.wd * p[i];
    m[i] = c.b1 * m[i] + c.one_b1 * gi;
    v[i] = c.b2 * v[i] + c.one_b2 * gi * gi;
    T second = v[i];
    if (c.amsgrad) {
      vmax[i] = std::max(vmax[i], v[i]);
      second = vmax[i];
    }
    p[i] -= c.step_size * m[i] / (std::sqrt(second) / c.bc2 + c.eps);
  }
}

std::vector<ParamGroup> one_group(std::vector<Variable> params) { return {ParamGroup{.params = std::move(params)}}; }

}  // namespace

Adam::Adam(std::vector<Variable> params, const AdamOptions& options) : Adam(one_group(std::move(params)), options) {}
Adam::Adam(std::vector<ParamGroup> groups, const AdamOptions& options) : Adam("Adam", std::move(groups), options, false) {}

Adam::Adam(const char* name, std::vector<ParamGroup> groups, const AdamOptions& options, bool decoupled)
    : Optimizer(name, (validate(name, options), std::move(groups)), options.lr, options.weight_decay),
      options_(options),
      decoupled_(decoupled) {}

std::vector<std::string> Adam::buffer_names() const {
  if (options_.amsgrad) return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  return {"exp_avg", "exp_avg_sq"};
}

void Adam::step() { step_scaled(1.0); }

double Adam::clip_and_step(double max_norm) {
  check(max_norm >= 0.0, "{}.clip_and_step: max_norm must be >= 0, got {}", name(), max_norm);
  std::vector<Variable> all;
  for (size_t g = 0; g < num_groups(); ++g) all.insert(all.end(), params(g).begin(), params(g).end());
  const double norm = grad_norm(all, 2.0);
  const double coef = max_norm / (norm + 1e-6);  // clip_grad_norm_'s scale, applied only below 1
  step_scaled(coef < 1.0 ? coef : 1.0);
  return norm;
}

// grad_scale != 1 is gradient clipping folded into the update: each gradient element is scaled as it is read and
// written back scaled (to the parameter's own gradient), the values clip_grad_norm_'s separate mul_ pass would have
// left there, so the step reads and writes the gradient once instead of twice.
void Adam::step_scaled(double grad_scale) {
  std::vector<Update> updates = prepare_step();
  // The bias corrections depend on the step count alone, which the parameters usually share: two pow calls per
  // distinct count, not per parameter (for a tiny model they were a noticeable part of the step).
  int64_t corrected_step = -1;
  double correction1 = 1.0, correction2_sqrt = 1.0;
  sizes_.clear();
  scalars_.clear();
  for (const Update& u : updates) {
    State& s = *u.state;
    ++s.step;
    if (s.step != corrected_step) {
      const double t = static_cast<double>(s.step);
      corrected_step = s.step;
      correction1 = 1.0 - std::pow(options_.beta1, t);
      correction2_sqrt = std::sqrt(1.0 - std::pow(options_.beta2, t));
    }
    const double lr = u.group->lr;
    sizes_.push_back(u.param->numel());
    scalars_.push_back({lr, u.group->weight_decay, lr / correction1, correction2_sqrt});
  }
  // One parallel loop over the chunks of every parameter (chunks.h); each element is updated on its own, so the
  // split does not change a bit.
  make_chunks(sizes_, chunks_);
  for_each_chunk(chunks_, [&](int64_t, const Chunk& ch) {
    const Update& u = updates[ch.index];
    const Scalars& sc = scalars_[ch.index];
    const std::vector<Tensor>& buf = u.state->buffers;
    dispatch_float(u.param->dtype(), "Adam.step", [&]<class T>() {
      const Coefs<T> c{.b1 = T(options_.beta1), .b2 = T(options_.beta2), .one_b1 = T(1.0 - options_.beta1),
                       .one_b2 = T(1.0 - options_.beta2), .wd = T(sc.weight_decay), .eps = T(options_.eps),
                       .step_size = T(sc.step_size), .bc2 = T(sc.bias_correction2_sqrt),
                       .scale = static_cast<T>(grad_scale),  // the same rounding as mul_(grad, coef)
                       .sign = T(options_.maximize ? -1 : 1),
                       .shrink = decoupled_ ? T(1.0 - sc.lr * sc.weight_decay) : T(1),
                       .scaled = grad_scale != 1.0, .l2 = !decoupled_ && sc.weight_decay != 0.0,
                       .amsgrad = options_.amsgrad};
      T* vmax = options_.amsgrad ? buf[2].data<T>() : nullptr;
      adam_range(u.param->data().data<T>(), u.grad.data<T>(), buf[0].data<T>(), buf[1].data<T>(), vmax, ch.begin,
                 ch.end, c);
    });
  });
  // A strided gradient was packed into a copy for the step: scale the parameter's own, as clip_grad_norm_ would.
  for (const Update& u : updates) {
    if (grad_scale != 1.0 && u.grad.raw_data() != u.param->grad().raw_data()) {
      Tensor g = u.param->grad();
      mul_(g, grad_scale);
    }
  }
  finish_step(std::move(updates));
}

AdamW::AdamW(std::vector<Variable> params, const AdamWOptions& options)
    : Adam("AdamW", one_group(std::move(params)), options.adam(), true) {}
AdamW::AdamW(std::vector<ParamGroup> groups, const AdamWOptions& options)
    : Adam("AdamW", std::move(groups), options.adam(), true) {}

}  // namespace glimpse::optim

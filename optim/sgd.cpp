// SGD: one fused pass over each parameter (see sgd.h for the update).
#include "optim/sgd.h"

#include "tensor/parallel.h"

namespace glimpse::optim {
namespace {

void validate(const SGDOptions& o) {
  check_option(o.lr >= 0.0, "SGD", "lr", o.lr, "must be >= 0");
  check_option(o.momentum >= 0.0, "SGD", "momentum", o.momentum, "must be >= 0");
  check_option(o.weight_decay >= 0.0, "SGD", "weight_decay", o.weight_decay, "must be >= 0");
  check(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
        "SGD: nesterov needs momentum > 0 and dampening = 0 (got momentum {}, dampening {})", o.momentum, o.dampening);
}

template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, bool first, const SGDOptions& o, double lr, double wd) {
  const T mom = T(o.momentum), damp = T(1.0 - o.dampening), decay = T(wd), rate = T(lr);
  // Every element updates on its own, so big parameters split across threads (same result on any thread count).
  parallel_for(n, kParallelGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      T d = o.maximize ? -g[i] : g[i];
      if (wd != 0.0) d += decay * p[i];
      if (o.momentum != 0.0) {
        buf[i] = first ? d : mom * buf[i] + damp * d;
        d = o.nesterov ? d + mom * buf[i] : buf[i];
      }
      p[i] -= rate * d;
    }
  });
}

std::vector<ParamGroup> one_group(std::vector<Variable> params) { return {ParamGroup{.params = std::move(params)}}; }

}  // namespace

SGD::SGD(std::vector<Variable> params, const SGDOptions& options) : SGD(one_group(std::move(params)), options) {}

SGD::SGD(std::vector<ParamGroup> groups, const SGDOptions& options)
    : Optimizer("SGD", (validate(options), std::move(groups)), options.lr, options.weight_decay), options_(options) {}

std::vector<std::string> SGD::buffer_names() const {
  if (options_.momentum == 0.0) return {};
  return {"momentum_buffer"};
}

void SGD::step() {
  std::vector<Update> updates = prepare_step();
  for (const Update& u : updates) {
    const Variable& p = *u.param;
    State& s = *u.state;
    bool first = s.step == 0;
    ++s.step;
    dispatch_float(p.dtype(), "SGD", [&]<class T>() {
      T* buf = s.buffers.empty() ? nullptr : s.buffers[0].data<T>();
      sgd_step<T>(p.data().data<T>(), u.grad.data<T>(), buf, p.numel(), first, options_, u.group->lr,
                  u.group->weight_decay);
    });
  }
  finish_step(std::move(updates));
}

}  // namespace glimpse::optim

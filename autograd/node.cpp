// The tape's entries: making a result Variable, destroying long chains without recursion, and anomaly checks.
#include "autograd/node.h"

#include <cmath>

namespace glimpse {

void check_finite(const Tensor& t, const char* op, const char* where) {
  if (!t.defined() || t.dtype() == kInt64) return;
  for (double v : t.tolist()) {
    check(std::isfinite(v), "anomaly: {} of '{}' produced {} (output shape {}); anomaly mode stops at the first op "
          "that makes a non-finite value", where, op, v, t.shape());
  }
}

Node::~Node() {
  --live_count_;
  for (const auto& in : inputs) --in->tape_uses;  // see Variable::let_go: the tape's count of its holds is exact
  // Destroying a long chain naively recurses once per link (Node -> input Variable -> its Node -> ...). Instead, take
  // over the inputs of every Node that would die with us and let them die here, one at a time. (Inline capacity: a
  // short chain, the usual case, allocates nothing.)
  auto dies_with_us = [](const std::shared_ptr<VariableImpl>& impl) {
    return impl.use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1;
  };
  bool chain = false;
  for (const auto& in : inputs) chain = chain || dies_with_us(in);
  if (!chain) return;  // no Node dies with us: the members' own destructors are enough
  InlineVector<std::shared_ptr<VariableImpl>, 8> pending;
  for (auto& in : inputs) pending.push_back(std::move(in));
  inputs.clear();
  while (!pending.empty()) {
    std::shared_ptr<VariableImpl> impl = std::move(pending.back());
    pending.pop_back();
    if (dies_with_us(impl)) {
      std::shared_ptr<Node> node = std::move(impl->grad_fn);
      for (auto& in : node->inputs) {
        --in->tape_uses;  // node's destructor finds its inputs gone, so they are counted out here
        pending.push_back(std::move(in));
      }
      node->inputs.clear();
    }  // impl (and node) are destroyed here with nothing left below them
  }
}

Variable attach(std::shared_ptr<Node> node, const Tensor& output, std::span<const Variable> inputs) {
  node->inputs.reserve(inputs.size());
  for (const Variable& v : inputs) {
    node->inputs.push_back(v.impl());
    ++v.impl()->tape_uses;
  }
  node->output_shape = output.shape();
  node->output_dtype = output.dtype();
  if (TapeProfiler* profiler = TapeProfiler::active()) profiler->on_record(*node);  // the tape inspector, if on
  return make_result(output, std::move(node));
}

Variable make_result(const Tensor& output, std::shared_ptr<Node> node) {
  Variable v(output);
  v.impl()->requires_grad = true;
  v.impl()->grad_fn = std::move(node);
  return v;
}

}  // namespace glimpse

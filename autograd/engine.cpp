// The reverse-mode engine: Variable's methods, the tape's bookkeeping, and backward().
//
// backward() from a root Variable:
//   1. orders every Variable the root depends on so that each comes after all Variables that use it (an iterative
//      depth-first search: no recursion, so a chain of a million ops cannot overflow the stack);
//   2. seeds the root's gradient and sweeps that order once: each Variable's Node turns the gradient arriving at it
//      into one gradient per input, which the engine checks, un-broadcasts and adds into the input's pending
//      gradient (or, for a leaf, into its .grad());
//   3. frees what each Node saved as soon as it has run, unless retain_graph is set.
// Before a Node runs, the tensors it saved are checked against their versions (node.h): a tensor changed in place
// since the forward would give silently wrong gradients, so that is an Error instead.
#include <cmath>

#include "autograd/node.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

namespace glimpse {

// ---- modes
namespace {
thread_local bool g_grad_enabled = true;
thread_local bool g_anomaly_enabled = false;
thread_local uint64_t g_visit_epoch = 0;
}  // namespace

bool is_grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool enabled) { g_grad_enabled = enabled; }
bool is_anomaly_enabled() { return g_anomaly_enabled; }
void set_anomaly_enabled(bool enabled) { g_anomaly_enabled = enabled; }

void check_finite(const Tensor& t, const char* op, const char* where) {
  if (!t.defined() || t.dtype() == kInt64) return;
  for (double v : t.tolist()) {
    check(std::isfinite(v), "anomaly: {} of '{}' produced {} (output shape {}); anomaly mode stops at the first op "
          "that makes a non-finite value", where, op, v, t.shape());
  }
}

// ---- Variable

Variable::Variable(Tensor data, bool requires_grad) : impl_(std::make_shared<VariableImpl>()) {
  check_defined(data, "Variable");
  check(!requires_grad || is_floating(data.dtype()),
        "Variable: only floating-point tensors can require gradients (got dtype {})", dtype_name(data.dtype()));
  impl_->data = std::move(data);
  impl_->requires_grad = requires_grad;
}

namespace {
void check_var(const std::shared_ptr<VariableImpl>& impl, const char* op) {
  check(impl != nullptr, "{}: the Variable is undefined (default-constructed); give it a value first, e.g. "
        "Variable(zeros({{2, 3}}))", op);
}
}  // namespace

const Tensor& Variable::data() const {
  check_var(impl_, "data");
  return impl_->data;
}

void Variable::set_data(const Tensor& data) const {
  check_var(impl_, "set_data");
  check_defined(data, "set_data");
  impl_->data = data;
}

const Tensor& Variable::grad() const {
  check_var(impl_, "grad");
  return impl_->grad;
}

void Variable::set_grad(const Tensor& grad) const {
  check_var(impl_, "set_grad");
  if (grad.defined()) {
    check(grad.shape() == impl_->data.shape() && grad.dtype() == impl_->data.dtype(),
          "set_grad: gradient of shape {} ({}) does not match the Variable's shape {} ({})", grad.shape(),
          dtype_name(grad.dtype()), impl_->data.shape(), dtype_name(impl_->data.dtype()));
  }
  impl_->grad = grad;
}

void Variable::zero_grad() const {
  check_var(impl_, "zero_grad");
  impl_->grad = Tensor();
}

const Variable& Variable::requires_grad_(bool value) const {
  check_var(impl_, "requires_grad_");
  check(is_leaf(), "requires_grad_: only leaves can change requires_grad; this Variable was made by '{}' "
        "(use detach() to make a leaf)", is_leaf() ? "" : impl_->grad_fn->name);
  check(!value || is_floating(impl_->data.dtype()),
        "requires_grad_: only floating-point tensors can require gradients (got dtype {})",
        dtype_name(impl_->data.dtype()));
  impl_->requires_grad = value;
  return *this;
}

const std::shared_ptr<Node>& Variable::grad_fn() const {
  check_var(impl_, "grad_fn");
  return impl_->grad_fn;
}

// ---- Node

Node::~Node() {
  --live_count_;
  // Destroying a long chain naively recurses once per link (Node -> input Variable -> its Node -> ...). Instead, take
  // over the inputs of every Node that would die with us and let them die here, one at a time.
  std::vector<std::shared_ptr<VariableImpl>> pending = std::move(inputs);
  while (!pending.empty()) {
    std::shared_ptr<VariableImpl> impl = std::move(pending.back());
    pending.pop_back();
    if (impl.use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1) {
      std::shared_ptr<Node> node = std::move(impl->grad_fn);
      for (auto& in : node->inputs) pending.push_back(std::move(in));
      node->inputs.clear();
    }  // impl (and node) are destroyed here with nothing left below them
  }
}

Variable make_result(const Tensor& output, std::shared_ptr<Node> node) {
  Variable v(output);
  v.impl()->requires_grad = true;
  v.impl()->grad_fn = std::move(node);
  return v;
}

// ---- backward

namespace {

// Is `t` the only handle to its storage? Then the engine may add into it in place.
bool exclusively_owned(const Tensor& t) { return t.storage().use_count() == 1 && t.is_contiguous(); }

// acc += g, in place when acc's memory is ours alone, else into a new tensor.
void accumulate(Tensor& acc, const Tensor& g) {
  if (!acc.defined()) {
    acc = g;
  } else if (exclusively_owned(acc)) {
    add_(acc, g);
  } else {
    acc = add(acc, g);
  }
}

// Every Variable with a grad_fn that `root` depends on, each listed after all Variables that use it.
std::vector<VariableImpl*> topological_order(VariableImpl* root) {
  const uint64_t mark = ++g_visit_epoch;
  std::vector<VariableImpl*> post_order;
  std::vector<std::pair<VariableImpl*, size_t>> stack;  // (variable, index of the next input to visit)
  root->visit_mark = mark;
  stack.emplace_back(root, 0);
  while (!stack.empty()) {
    auto& [impl, next] = stack.back();
    const auto& ins = impl->grad_fn->inputs;
    if (next < ins.size()) {
      VariableImpl* child = ins[next++].get();
      if (child->grad_fn && child->visit_mark != mark) {
        child->visit_mark = mark;
        stack.emplace_back(child, 0);
      }
    } else {
      post_order.push_back(impl);
      stack.pop_back();
    }
  }
  return {post_order.rbegin(), post_order.rend()};
}

// Checks one gradient returned by `node` for input i and brings it to the input's shape.
Tensor conform(const Tensor& g, const VariableImpl& input, const Node& node, size_t i) {
  const Tensor& x = input.data;
  check(g.dtype() == x.dtype() || (is_floating(g.dtype()) && is_floating(x.dtype())),
        "backward of '{}': gradient for input {} has dtype {} but the input is {}", node.name, i,
        dtype_name(g.dtype()), dtype_name(x.dtype()));
  // A float32 input of an op that promoted to float64 (x32 + x64, as in PyTorch) gets its gradient in its own dtype.
  const Tensor gx = g.dtype() == x.dtype() ? g : g.to(x.dtype());
  if (gx.shape() == x.shape()) return gx;
  try {
    return sum_to_size(gx, x.shape());
  } catch (const Error&) {
    throw Error(fmt::format("backward of '{}': gradient for input {} has shape {}, which does not reduce to the "
                            "input's shape {}", node.name, i, g.shape(), x.shape()));
  }
}

// Throws if a tensor `node` saved for backward was changed in place since the op ran. `output` is the value the node
// made; the message says which of the node's tensors it was, when it is one the user can name.
void check_saved(const Node& node, const VariableImpl& output) {
  for (int k = 0; k < node.saved.count; ++k) {
    const Saved::Entry& e = node.saved.entries[k];
    if (e.storage->version() == e.version) [[likely]] continue;
    std::string which = "a tensor it saved";
    if (output.data.storage().get() == e.storage) {
      which = fmt::format("its output (shape {})", output.data.shape());
    } else {
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const Tensor& x = node.inputs[i]->data;
        if (x.storage().get() != e.storage) continue;
        which = fmt::format("its input {} (shape {}, {})", i, x.shape(), dtype_name(x.dtype()));
        break;
      }
    }
    throw Error(fmt::format("backward of '{}': {} was modified in place after the op saved it for backward (version "
                            "{}, saved at version {}), so its gradient would be computed from the new numbers; change "
                            "a clone() instead, or make the change before the forward or after backward", node.name,
                            which, e.storage->version(), e.version));
  }
}

}  // namespace

void Variable::backward(const Tensor& gradient, bool retain_graph) const {
  check_var(impl_, "backward");
  const Tensor& value = impl_->data;
  Tensor seed = gradient;
  if (!seed.defined()) {
    check(value.numel() == 1, "backward: called on a Variable of shape {} without a gradient; backward() without "
          "arguments needs a single-element output (a loss), otherwise pass a gradient of shape {}", value.shape(),
          value.shape());
    seed = ones_like(value);
  } else {
    check(seed.shape() == value.shape(), "backward: gradient of shape {} does not match the output's shape {}",
          seed.shape(), value.shape());
    seed = seed.to(value.dtype());
  }
  check(impl_->requires_grad, "backward: this Variable does not require grad and has no grad_fn; create the leaves "
        "with requires_grad = true (or check that a NoGradGuard is not active)");
  if (!impl_->grad_fn) {  // a leaf: the gradient of itself is the seed
    accumulate(impl_->grad, seed.contiguous().clone());
    return;
  }

  std::vector<VariableImpl*> order = topological_order(impl_.get());
  impl_->pending_grad = seed;
  for (VariableImpl* impl : order) {
    Node& node = *impl->grad_fn;
    Tensor g = std::move(impl->pending_grad);
    impl->pending_grad = Tensor();
    if (!g.defined()) continue;  // no gradient reached this value (e.g. a branch the loss does not use)
    check(!node.released(), "backward: the graph through '{}' was already freed by an earlier backward; pass "
          "retain_graph = true to the first backward() to run backward twice", node.name);
    check_saved(node, *impl);
    Grads grads = node.apply(g);
    g = Tensor();
    check(grads.size() == node.inputs.size(), "backward of '{}': returned {} gradients for {} inputs", node.name,
          grads.size(), node.inputs.size());
    for (size_t i = 0; i < grads.size(); ++i) {
      VariableImpl& input = *node.inputs[i];
      if (!input.requires_grad || !grads[i].defined()) continue;
      Tensor gi = conform(grads[i], input, node, i);
      grads[i] = Tensor();  // drop our handle so that a gradient nobody else holds can be reused in place
      if (is_anomaly_enabled()) check_finite(gi, node.name, "backward");
      if (input.grad_fn) {
        accumulate(input.pending_grad, gi);
      } else {
        // A leaf's .grad() must be its own memory: the user and the optimizers may change it in place.
        accumulate(input.grad, exclusively_owned(gi) && gi.shape() == input.data.shape() ? gi : gi.clone());
      }
    }
    if (!retain_graph) node.release();
  }
}

}  // namespace glimpse

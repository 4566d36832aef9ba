// The reverse-mode engine: Variable::backward().
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
#include <algorithm>
#include <chrono>

#include "autograd/node.h"
#include "tensor/elementwise.h"
#include "tensor/reduce.h"

namespace glimpse {

namespace {
thread_local uint64_t g_visit_epoch = 0;  // marks the Variables one backward has visited
}  // namespace

namespace {

// ---- the ownership rules, in one place

// Is `t` the only handle to its storage? Then the engine may add into it in place.
bool exclusively_owned(const Tensor& t) { return t.storage().use_count() == 1 && t.is_contiguous(); }

// acc += g, in place when acc's memory is ours alone, else into a new tensor. The first gradient is moved in.
void accumulate(Tensor& acc, Tensor&& g) {
  if (!acc.defined()) {
    acc = std::move(g);
  } else if (exclusively_owned(acc)) {
    add_(acc, g);
  } else {
    acc = add(acc, g);
  }
}

// Adds the gradient `g` that reached `input` to what it has gathered: a non-leaf's pending gradient (passed on when
// its own Node runs) or a leaf's .grad(). A leaf's .grad() must be its own memory, because the user and the
// optimizers change it in place: `g` is taken as it is only when nobody else holds it.
void deliver(VariableImpl& input, Tensor&& g) {
  if (!input.grad_fn) {
    if (!exclusively_owned(g) || g.shape() != input.data.shape()) g = g.clone();
    accumulate(input.grad, std::move(g));
  } else {
    accumulate(input.pending_grad, std::move(g));
  }
}

// ---- the steps of the sweep

// Every Variable with a grad_fn that `root` depends on, each listed after all Variables that use it, into `order`.
// The caller's buffers are reused from one backward to the next: a training step allocates nothing here.
void topological_order(VariableImpl* root, std::vector<VariableImpl*>& order,
                       std::vector<std::pair<VariableImpl*, size_t>>& stack) {
  const uint64_t mark = ++g_visit_epoch;
  order.clear();  // filled in post-order (inputs before users), reversed at the end
  stack.clear();  // (variable, index of the next input to visit)
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
      order.push_back(impl);
      stack.pop_back();
    }
  }
  std::reverse(order.begin(), order.end());
}

// Checks one gradient returned by `node` for input i and brings it to the input's shape, in place (the engine's own
// handle: the gradient itself is not changed).
void conform(Tensor& g, const VariableImpl& input, const Node& node, size_t i) {
  const Shape& shape = value_shape(input);  // the input's data may have been let go (Variable::let_go)
  const DType dtype = value_dtype(input);
  check(g.dtype() == dtype || (is_floating(g.dtype()) && is_floating(dtype)),
        "backward of '{}': gradient for input {} has dtype {} but the input is {}", node.name, i,
        dtype_name(g.dtype()), dtype_name(dtype));
  // A float32 input of an op that promoted to float64 (x32 + x64, as in PyTorch) gets its gradient in its own dtype.
  if (g.dtype() != dtype) g = g.to(dtype);
  if (g.shape() == shape) return;
  try {
    g = sum_to_size(g, shape);
  } catch (const Error&) {
    throw Error(fmt::format("backward of '{}': gradient for input {} has shape {}, which does not reduce to the "
                            "input's shape {}", node.name, i, g.shape(), shape));
  }
}

double micros_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

// node.apply(g), timed for the tape inspector (autograd/profile.h) when one is watching.
Grads apply_node(Node& node, const Tensor& g) {
  TapeProfiler* profiler = TapeProfiler::active();
  if (!profiler) return node.apply(g);
  const auto start = std::chrono::steady_clock::now();
  Grads grads = node.apply(g);
  profiler->on_backward(node, micros_since(start));
  return grads;
}

// For a Node that takes a part of its input (node.h: narrow, slice, select): adds g into that part of the input's
// pending gradient, allocating it (zeros) on the first part, and returns true. The parts a loop took one at a time then
// share one buffer (O(T) for T steps) instead of each making an input-sized zero gradient that is added into the rest
// (O(T²)). Leaves, anomaly mode and a dtype change take the general path (apply, conform, deliver).
bool add_part(Node& node, const Tensor& g) {
  if (!node.takes_part() || is_anomaly_enabled()) return false;
  VariableImpl& input = *node.inputs[0];
  if (!input.grad_fn || !input.requires_grad || g.dtype() != value_dtype(input)) return false;
  TapeProfiler* profiler = TapeProfiler::active();
  const auto start = std::chrono::steady_clock::now();
  Tensor& acc = input.pending_grad;
  if (!acc.defined()) {
    acc = zeros(value_shape(input), value_dtype(input));
  } else if (!exclusively_owned(acc)) {
    acc = acc.clone();  // a packed copy of our own
  }
  node.add_into_part(acc, g);
  if (profiler) profiler->on_backward(node, micros_since(start));
  return true;
}

// Throws if a tensor `node` saved for backward was changed in place since the op ran. `output` is the value the node
// made; the message says which of the node's tensors it was, when it is one the user can name.
void check_saved(const Node& node, const VariableImpl& output) {
  for (int k = 0; k < node.saved.count; ++k) {
    const Saved::Entry& e = node.saved.entries[k];
    if (e.storage->version() == e.version) [[likely]] continue;
    std::string which = "a tensor it saved";
    // (A value whose data was let go, Variable::let_go, is one nobody holds: it cannot be the tensor changed.)
    if (output.data.defined() && output.data.storage().get() == e.storage) {
      which = fmt::format("its output (shape {})", output.data.shape());
    } else {
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        const Tensor& x = node.inputs[i]->data;
        if (!x.defined() || x.storage().get() != e.storage) continue;
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
  check(impl_ != nullptr, "backward: the Variable is undefined (default-constructed)");
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
    deliver(*impl_, seed.contiguous().clone());
    return;
  }

  // The algorithm: order the graph, then one sweep in that order. The order's buffers are taken from this thread's
  // spares and given back at the end, so a training loop reuses their memory; a backward started inside this one (a
  // closure calling backward) finds the spares taken (moved-from vectors are empty) and grows its own.
  thread_local std::vector<VariableImpl*> spare_order;
  thread_local std::vector<std::pair<VariableImpl*, size_t>> spare_stack;
  std::vector<VariableImpl*> order = std::move(spare_order);
  std::vector<std::pair<VariableImpl*, size_t>> stack = std::move(spare_stack);
  topological_order(impl_.get(), order, stack);
  impl_->pending_grad = seed;
  for (VariableImpl* impl : order) {
    Node& node = *impl->grad_fn;
    // Every use of this value has delivered its part by now. (A moved-from Tensor is undefined: its storage pointer
    // moved out with it, so pending_grad is empty again.)
    Tensor g = std::move(impl->pending_grad);
    if (!g.defined()) continue;  // no gradient reached this value (e.g. a branch the loss does not use)
    if (impl->retains_grad) accumulate(impl->grad, g.clone());  // retain_grad(): keep a copy for the user
    check(!node.released(), "backward: the graph through '{}' was already freed by an earlier backward; pass "
          "retain_graph = true to the first backward() to run backward twice", node.name);
    check_saved(node, *impl);
    if (add_part(node, g)) {  // narrow, slice, select of a non-leaf: straight into the input's pending gradient
      if (!retain_graph) node.release();
      continue;
    }
    Grads grads = apply_node(node, g);
    g.reset();
    check(grads.size() == node.inputs.size(), "backward of '{}': returned {} gradients for {} inputs", node.name,
          grads.size(), node.inputs.size());
    for (size_t i = 0; i < grads.size(); ++i) {
      VariableImpl& input = *node.inputs[i];
      if (!input.requires_grad || !grads[i].defined()) continue;
      conform(grads[i], input, node, i);
      if (is_anomaly_enabled()) check_finite(grads[i], node.name, "backward");
      // Moved on, not copied: a gradient nobody else holds stays ours alone, and can be added into in place.
      deliver(input, std::move(grads[i]));
    }
    if (!retain_graph) node.release();
  }
  spare_order = std::move(order);
  spare_stack = std::move(stack);
}

}  // namespace glimpse

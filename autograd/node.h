// Node: one entry of the autograd tape, and `record`, the one call through which every differentiable op is defined.
//
// A differentiable op computes its forward on plain Tensors, then calls
//
//   return record("exp", y, {x}, [y](const Tensor& grad) -> Grads { return {grad * y}; });
//
// with its name, its output, its Variable inputs and a backward closure. The closure gets the gradient of the loss with
// respect to the output and returns one gradient per input (an undefined Tensor for an input that needs none). It works
// on raw Tensors, so backward never builds a graph. The engine (engine.cpp) checks the count and shapes of what it
// returns, sums broadcast gradients back to each input's shape, and accumulates.
//
// When no input needs a gradient, or recording is off (NoGradGuard), record() returns a plain Variable and the closure
// is dropped: evaluation costs no tape memory.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/profile.h"
#include "autograd/variable.h"

namespace glimpse {

using Grads = std::vector<Tensor>;

struct Node {
  explicit Node(const char* name) : name(name) { ++live_count_; }
  virtual ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Gradients of the inputs given the gradient of the output.
  virtual Grads apply(const Tensor& grad_output) = 0;
  // Frees what the closure saved (after a backward without retain_graph).
  virtual void release() = 0;
  virtual bool released() const = 0;

  const char* name;                                    // op name, for errors and graph pictures
  std::vector<std::shared_ptr<VariableImpl>> inputs;   // the Variables this op read
  Shape output_shape;
  DType output_dtype = kFloat32;

  // How many Nodes are alive (tests prove the tape does not grow).
  static int64_t live_count() { return live_count_; }

 private:
  static inline thread_local int64_t live_count_ = 0;
};

// A Node whose backward is a closure stored inline (one allocation per recorded op).
template <class Backward>
struct ClosureNode final : Node {
  ClosureNode(const char* name, Backward fn) : Node(name), fn(std::move(fn)) {}
  Grads apply(const Tensor& grad_output) override { return (*fn)(grad_output); }
  void release() override { fn.reset(); }
  bool released() const override { return !fn.has_value(); }
  std::optional<Backward> fn;
};

// Throws naming `op` if t holds a NaN or Inf (used in anomaly mode).
void check_finite(const Tensor& t, const char* op, const char* where);

// A non-leaf Variable holding `output`, made by `node`.
Variable make_result(const Tensor& output, std::shared_ptr<Node> node);

// Wraps `output` as a Variable made by op `name` from `inputs`, recording `backward` if any input requires grad.
template <class Backward>
Variable record(const char* name, const Tensor& output, std::span<const Variable> inputs, Backward&& backward) {
  if (is_anomaly_enabled()) check_finite(output, name, "forward");
  bool needs_grad = false;
  if (is_grad_enabled()) {
    for (const Variable& v : inputs) needs_grad = needs_grad || v.requires_grad();
  }
  if (!needs_grad) return Variable(output);
  auto node = std::make_shared<ClosureNode<std::decay_t<Backward>>>(name, std::forward<Backward>(backward));
  node->inputs.reserve(inputs.size());
  for (const Variable& v : inputs) node->inputs.push_back(v.impl());
  node->output_shape = output.shape();
  node->output_dtype = output.dtype();
  if (TapeProfiler* profiler = TapeProfiler::active()) profiler->on_record(*node);  // the tape inspector, if on
  return make_result(output, std::move(node));
}

template <class Backward>
Variable record(const char* name, const Tensor& output, std::initializer_list<Variable> inputs, Backward&& backward) {
  return record(name, output, std::span<const Variable>(inputs.begin(), inputs.size()),
                std::forward<Backward>(backward));
}

}  // namespace glimpse

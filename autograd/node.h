// Node: one entry of the autograd tape, and `record`, the one call through which every differentiable op is defined.
//
// A differentiable op computes its forward on plain Tensors, then calls
//
//   return record("exp", y, {x}, saved(y), [y](const Tensor& grad) -> Grads { return {grad * y}; });
//
// with its name, its output, its Variable inputs, the tensors its backward reads, and a backward closure. The closure
// gets the gradient of the loss with respect to the output and returns one gradient per input (an undefined Tensor for
// an input that needs none). It works on raw Tensors, so backward never builds a graph. The engine (engine.cpp) checks
// the count and shapes of what it returns, sums broadcast gradients back to each input's shape, and accumulates.
//
// saved(...) is PyTorch's save_for_backward: it lists the Tensors the closure captures (at least every one that may
// share memory with what the caller holds: an input's data, the output, a mask or target passed in; buffers the op
// allocated for itself may be left out). record() notes each one's version (tensor/storage.h); if any is changed in
// place before backward runs (x.data().fill_(5), an optimizer step), backward throws naming the op and the tensor
// instead of computing gradients from the new numbers. Tensors not listed are not checked, so
// `y = x + 1; x.data().fill_(5); y.backward()` is fine, as in PyTorch: add saves nothing. A closure that captures
// nothing but plain values (bools, doubles, a Shape) may leave saved() out; one that captures anything else must say
// what it saves (saved() for nothing), which the compiler enforces.
//
// When no input needs a gradient, or recording is off (NoGradGuard), record() returns a plain Variable and the closure
// is dropped: evaluation costs no tape memory.
#pragma once

#include <array>
#include <initializer_list>
#include <memory>
#include <optional>
#include <type_traits>
#include <span>
#include <utility>
#include <vector>

#include "autograd/grad_mode.h"
#include "autograd/profile.h"
#include "autograd/variable.h"

namespace glimpse {

using Grads = std::vector<Tensor>;

// The tensors a backward reads, each as its storage and the storage's version when the op ran (see above). Kept inline
// (no allocation): noting one costs two loads. The storage pointers stay valid as long as the closure that captured
// the tensors lives, and are only read before it runs.
struct Saved {
  static constexpr int kMax = 4;
  struct Entry {
    const Storage* storage;
    uint64_t version;
  };
  std::array<Entry, kMax> entries{};
  int count = 0;
};

// saved(a, b, ...): the Saved of up to Saved::kMax Tensors; undefined Tensors (an operand not kept) are skipped.
template <class... Tensors>
  requires(sizeof...(Tensors) <= Saved::kMax && (std::is_same_v<Tensors, Tensor> && ...))
Saved saved(const Tensors&... tensors) {
  Saved s;
  ((tensors.defined() ? void(s.entries[s.count++] = {tensors.storage().get(), tensors.version()}) : void()), ...);
  return s;
}

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
  Saved saved;                                         // what the closure reads, with versions (checked by the engine)

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

// Wraps `output` as a Variable made by op `name` from `inputs`, recording `backward` (which reads `saved`) if any input
// requires grad.
template <class Backward>
Variable record(const char* name, const Tensor& output, std::span<const Variable> inputs, const Saved& saved,
                Backward&& backward) {
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
  node->saved = saved;
  if (TapeProfiler* profiler = TapeProfiler::active()) profiler->on_record(*node);  // the tape inspector, if on
  return make_result(output, std::move(node));
}

template <class Backward>
Variable record(const char* name, const Tensor& output, std::initializer_list<Variable> inputs, const Saved& saved,
                Backward&& backward) {
  return record(name, output, std::span<const Variable>(inputs.begin(), inputs.size()), saved,
                std::forward<Backward>(backward));
}

// An op whose backward reads no tensor (add, a view): `record("add", y, {a, b}, [](const Tensor& g) ...)`. A closure
// that holds a Tensor (or a vector, a string) is not trivially copyable, so it cannot come here unnoticed.
template <class Backward>
Variable record(const char* name, const Tensor& output, std::initializer_list<Variable> inputs, Backward&& backward) {
  static_assert(std::is_trivially_copyable_v<std::decay_t<Backward>>,
                "record(): this backward captures more than plain values; list the Tensors it reads with "
                "record(name, output, inputs, saved(t1, t2, ...), backward), or saved() if it keeps none");
  return record(name, output, inputs, Saved{}, std::forward<Backward>(backward));
}
template <class Backward>
Variable record(const char* name, const Tensor& output, std::span<const Variable> inputs, Backward&& backward) {
  static_assert(std::is_trivially_copyable_v<std::decay_t<Backward>>,
                "record(): this backward captures more than plain values; list the Tensors it reads with "
                "record(name, output, inputs, saved(t1, t2, ...), backward), or saved() if it keeps none");
  return record(name, output, inputs, Saved{}, std::forward<Backward>(backward));
}

}  // namespace glimpse

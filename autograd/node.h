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
#include "autograd/inline_vector.h"
#include "autograd/profile.h"
#include "autograd/variable.h"
#include "tensor/elementwise.h"
#include "tensor/small_objects.h"

namespace glimpse {

// One gradient per input of an op, returned by its backward: `return {da, db};`. Up to four are stored inline (no
// allocation; autograd/inline_vector.h), more spill to the heap.
using Grads = InlineVector<Tensor, 4>;

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
  // An op whose output is a part of its one input (narrow, slice, select: PartNode below) says so, and can add a
  // gradient into that part of a gradient of the input's shape. The engine then gathers the parts' gradients in one
  // buffer instead of one zero-filled input-sized gradient per part: a loop that takes the T steps of a sequence one
  // at a time costs O(T) in backward, not O(T²).
  virtual bool takes_part() const { return false; }
  virtual void add_into_part(Tensor& /*input_grad*/, const Tensor& /*grad_output*/) const {}

  const char* name;                                    // op name, for errors and graph pictures
  InlineVector<std::shared_ptr<VariableImpl>, 3> inputs;  // the Variables this op read (inline up to 3)
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

// The Node of a view that keeps a part of its input. part_of(t) takes that part of any tensor of the input's shape,
// exactly as the forward took it of the input: apply(g) is "zeros of the input's shape, g in that part".
template <class PartOf>
struct PartNode final : Node {
  PartNode(const char* name, const Shape& input_shape, PartOf part_of)
      : Node(name), input_shape(input_shape), part_of(part_of) {}
  Grads apply(const Tensor& grad_output) override {
    Tensor dx = zeros(input_shape, grad_output.dtype());
    add_into_part(dx, grad_output);
    return {dx};
  }
  void release() override { released_ = true; }  // it saved nothing
  bool released() const override { return released_; }
  bool takes_part() const override { return true; }
  void add_into_part(Tensor& input_grad, const Tensor& grad_output) const override {
    if (grad_output.numel() == 0) return;
    Tensor part = part_of(input_grad);
    add_(part, grad_output);
  }
  Shape input_shape;
  PartOf part_of;
  bool released_ = false;
};

// The shape and dtype of a Variable's value, also after its data was let go (Variable::let_go: only results, whose
// Node noted them, are let go).
inline const Shape& value_shape(const VariableImpl& v) {
  return v.data.defined() || !v.grad_fn ? v.data.shape() : v.grad_fn->output_shape;
}
inline DType value_dtype(const VariableImpl& v) {
  return v.data.defined() || !v.grad_fn ? v.data.dtype() : v.grad_fn->output_dtype;
}

// Throws naming `op` if t holds a NaN or Inf (used in anomaly mode).
void check_finite(const Tensor& t, const char* op, const char* where);

// A non-leaf Variable holding `output`, made by `node`.
Variable make_result(const Tensor& output, std::shared_ptr<Node> node);
// What every recorded op does once its Node exists: links the inputs, notes the output's shape and dtype, tells the
// tape inspector (if one is on), and returns make_result(output, node).
Variable attach(std::shared_ptr<Node> node, const Tensor& output, std::span<const Variable> inputs);

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
  using NodeType = ClosureNode<std::decay_t<Backward>>;  // from the small-object lists (tensor/small_objects.h)
  auto node = std::allocate_shared<NodeType>(SmallObjectAllocator<NodeType>(), name, std::forward<Backward>(backward));
  node->saved = saved;
  return attach(std::move(node), output, inputs);
}

// x: [*S] -> a part of x (a view): records a PartNode. `part_of(t)` must take the same part of any tensor of x's shape
// as the forward took of x: `record_part("select", x.data().select(d, i), x, [=](const Tensor& t) { return
// t.select(d, i); })`.
template <class PartOf>
Variable record_part(const char* name, const Tensor& output, const Variable& input, PartOf part_of) {
  if (is_anomaly_enabled()) check_finite(output, name, "forward");
  if (!is_grad_enabled() || !input.requires_grad()) return Variable(output);
  auto node = std::allocate_shared<PartNode<PartOf>>(SmallObjectAllocator<PartNode<PartOf>>(), name, input.shape(),
                                                     part_of);
  return attach(std::move(node), output, std::span<const Variable>(&input, 1));
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

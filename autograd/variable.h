// Variable: a Tensor that remembers how it was made, so that gradients can flow back to it.
//
// A Variable is a cheap handle to a shared VariableImpl holding the value (`data()`), the accumulated gradient
// (`grad()`), the `requires_grad` flag and, for results of ops, the tape entry (`Node`, node.h) that made it. Layers,
// losses and models speak Variable; the math underneath is plain Tensor code.
//
//   Variable w(randn({3, 2}), /*requires_grad=*/true);   // a leaf: grads accumulate into w.grad()
//   Variable y = sum(matmul(x, w));                        // results inherit requires_grad and record a Node
//   y.backward();                                          // w.grad() now holds dy/dw
#pragma once

#include <cstdint>
#include <memory>

#include "tensor/tensor.h"

namespace glimpse {

struct Node;

// The shared state behind Variable handles. Op writers never touch it; the engine (engine.cpp) does.
struct VariableImpl {
  // (A constructor of its own, so that making one does not first clear the whole object, as value-initialising it
  // would: each member is set once, below.)
  VariableImpl(Tensor data, bool requires_grad) : data(std::move(data)), requires_grad(requires_grad) {}
  Tensor data;
  Tensor grad;                    // leaves (and retain_grad() non-leaves): the accumulated gradient
  bool requires_grad = false;
  bool retains_grad = false;      // a non-leaf asked to keep its gradient (retain_grad())
  std::shared_ptr<Node> grad_fn;  // the op that made this value; null for leaves
  // Engine bookkeeping during one backward sweep.
  Tensor pending_grad;
  uint64_t visit_mark = 0;
  // How many input slots of recorded Nodes hold this (node.cpp counts them): the other owners are Variable handles.
  int64_t tape_uses = 0;
};

namespace detail {
// The Error of a call on an undefined (default-constructed) Variable, naming the call `op`.
[[noreturn]] void throw_undefined_variable(const char* op);
}  // namespace detail

class Variable {
 public:
  Variable() = default;  // undefined
  // Wraps a tensor (shared, not copied). Leaves that should receive gradients pass requires_grad = true.
  explicit Variable(Tensor data, bool requires_grad = false);
  // Copying and moving share the value. Dropping a handle (destruction, assignment) may let go of the value's data,
  // see let_go() below.
  Variable(const Variable&) = default;
  Variable(Variable&&) noexcept = default;
  Variable& operator=(const Variable& other) {
    if (impl_ != other.impl_) {
      let_go();
      impl_ = other.impl_;
    }
    return *this;
  }
  Variable& operator=(Variable&& other) noexcept {
    if (this != &other) {
      let_go();
      impl_ = std::move(other.impl_);
    }
    return *this;
  }
  ~Variable() { let_go(); }

  bool defined() const { return impl_ != nullptr; }
  // (Inline, since every op reads it; an undefined Variable is an Error naming the call.)
  const Tensor& data() const {
    if (impl_ == nullptr) [[unlikely]] detail::throw_undefined_variable("data");
    return impl_->data;
  }
  // Replaces the value in place of everything (optimizers update through data(); loading a checkpoint uses this).
  void set_data(const Tensor& data) const;

  // The gradient accumulated by backward (undefined until one reaches this Variable). As in PyTorch, only leaves keep
  // one, unless a non-leaf called retain_grad() before the backward.
  const Tensor& grad() const {
    if (impl_ == nullptr) [[unlikely]] detail::throw_undefined_variable("grad");
    return impl_->grad;
  }
  void set_grad(const Tensor& grad) const;
  void zero_grad() const;  // undefines the gradient (PyTorch's set_to_none)

  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  // Marks a leaf as needing gradients. Error on a non-leaf (its flag follows from its inputs).
  const Variable& requires_grad_(bool value = true) const;
  // Makes backward keep this non-leaf's gradient in grad() too (PyTorch's retain_grad), for inspecting what flows
  // through an intermediate value: `Variable h = tanh(x); h.retain_grad(); loss.backward(); h.grad()`.
  const Variable& retain_grad() const;
  bool is_leaf() const { return !impl_ || impl_->grad_fn == nullptr; }
  const std::shared_ptr<Node>& grad_fn() const;
  // The same numbers, cut from the tape: a leaf with requires_grad false.
  Variable detach() const { return Variable(data()); }

  // Runs reverse-mode differentiation from this Variable. On a scalar the seed gradient is 1; on anything else pass
  // `gradient` of the same shape. The graph's saved tensors are freed afterwards unless retain_graph is true.
  void backward(const Tensor& gradient = Tensor(), bool retain_graph = false) const;

  // Shortcuts to the data's description.
  const Shape& shape() const { return data().shape(); }
  int64_t size(int64_t dim) const { return data().size(dim); }
  int dim() const { return data().dim(); }
  int64_t numel() const { return data().numel(); }
  DType dtype() const { return data().dtype(); }
  template <class T = double>
  T item() const {
    return data().item<T>();
  }

  // Views, differentiable, as on Tensor (defined in autograd/ops_shape.cpp). Dims may be negative.
  Variable view(const Shape& shape) const;
  Variable reshape(const Shape& shape) const;
  Variable flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Variable transpose(int64_t dim0, int64_t dim1) const;
  Variable permute(const Shape& dims) const;
  Variable t() const;
  Variable unsqueeze(int64_t dim) const;
  Variable squeeze() const;
  Variable squeeze(int64_t dim) const;
  Variable narrow(int64_t dim, int64_t start, int64_t length) const;
  Variable slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Variable select(int64_t dim, int64_t index) const;
  Variable expand(const Shape& shape) const;
  Variable contiguous() const;

  const std::shared_ptr<VariableImpl>& impl() const { return impl_; }
  bool same(const Variable& other) const { return impl_ == other.impl_; }  // the same Variable (not equal values)

 private:
  // Called as this handle goes. The tape keeps every op's inputs (Node::inputs) so that backward can route
  // gradients to them, but it needs their numbers only where a backward saved them (node.h), and a saved tensor
  // holds its own reference to the storage. So when the last handle of an op's result goes and only the tape still
  // holds it, the result's data is let go: the storage lives on if a backward saved it, and is freed otherwise (the
  // output of a Linear feeding a residual add, which saves nothing: 3.4 of the baby GPT's 30 MB of activations).
  // That is PyTorch's rule too, where a graph holds only what backward saved. After backward has freed the saved
  // tensors, the results the loop no longer holds are gone, not kept until the loss Variable goes (issue 14). Leaves
  // keep their data: they are parameters and inputs whose .grad() the engine fills. The engine and graph pictures read
  // the shape and dtype of a let-go value from its grad_fn (node.h: value_shape, value_dtype).
  void let_go() {
    if (impl_ && impl_->tape_uses > 0 && impl_->grad_fn && impl_.use_count() == impl_->tape_uses + 1) let_go_of_data();
  }
  void let_go_of_data();  // variable.cpp: drops the data, and tells the tape inspector (autograd/profile.h) if one is on

  std::shared_ptr<VariableImpl> impl_;
};

// Throws a clear Error when `v` is undefined; `op` names the call the user made ("add: the Variable is undefined").
inline void check_defined(const Variable& v, const char* op) {
  check(v.defined(), "{}: the Variable is undefined (default-constructed); give it a value first, e.g. "
        "Variable(zeros({{2, 3}}))", op);
}

}  // namespace glimpse

// Variable's methods: construction, the value and the gradient, requires_grad. (Its view and shape methods are ops,
// in ops_shape.cpp; backward() is the engine, in engine.cpp.)
#include "autograd/variable.h"

#include "autograd/node.h"
#include "tensor/small_objects.h"
#include "tensor/storage.h"

namespace glimpse {

// The VariableImpl comes from the small-object lists (tensor/small_objects.h): a step makes several.
Variable::Variable(Tensor data, bool requires_grad) {
  check_defined(data, "Variable");
  check(!requires_grad || is_floating(data.dtype()),
        "Variable: only floating-point tensors can require gradients (got dtype {})", dtype_name(data.dtype()));
  impl_ = std::allocate_shared<VariableImpl>(SmallObjectAllocator<VariableImpl>(), std::move(data), requires_grad);
}

void detail::throw_undefined_variable(const char* op) {
  throw Error(fmt::format("{}: the Variable is undefined (default-constructed); give it a value first, e.g. "
                          "Variable(zeros({{2, 3}}))", op));
}

namespace {
void check_var(const std::shared_ptr<VariableImpl>& impl, const char* op) {
  if (impl == nullptr) detail::throw_undefined_variable(op);
}
}  // namespace

void Variable::set_data(const Tensor& data) const {
  check_var(impl_, "set_data");
  check_defined(data, "set_data");
  impl_->data = data;
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
  impl_->grad.reset();
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

const Variable& Variable::retain_grad() const {
  check_var(impl_, "retain_grad");
  check(impl_->requires_grad, "retain_grad: this Variable does not require grad, so no gradient will reach it");
  if (!is_leaf()) impl_->retains_grad = true;  // a leaf keeps its gradient anyway
  return *this;
}

void Variable::let_go_of_data() {
  TapeProfiler* profiler = TapeProfiler::active();
  const int64_t before = profiler != nullptr ? Storage::live_bytes() : 0;
  impl_->data.reset();
  if (profiler != nullptr) profiler->on_let_go(*impl_->grad_fn, before - Storage::live_bytes());
}

const std::shared_ptr<Node>& Variable::grad_fn() const {
  check_var(impl_, "grad_fn");
  return impl_->grad_fn;
}

}  // namespace glimpse

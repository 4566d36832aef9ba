// nn::Module: the base of every layer and model. It knows its parameters and children by name.
//
// A layer registers what it owns in its constructor and writes an ordinary (non-virtual) forward with whatever
// signature it needs:
//
//   class Linear : public Module {
//    public:
//     Linear(int64_t in, int64_t out) : Module("Linear") {
//       weight = register_parameter("weight", ...);
//     }
//     Variable forward(const Variable& x) const;   // x: [*, in] -> [*, out]
//     Variable weight, bias;
//   };
//
// Children are members registered with register_module("encoder", encoder_), so names nest with dots
// ("encoder.lstm.weight_ih_l0"); repeated blocks live in a ModuleList (nn/module_list.h) registered as "h", so they
// are named "h.0", "h.1", ... as in PyTorch. A Module cannot be copied or moved (its parent keeps a pointer to it);
// hold models by value in main() or by unique_ptr.
//
// Weight tying (one parameter used by two layers, as a GPT's token embedding and output head): tie_parameter makes a
// registered parameter the very Variable of another module. A shared parameter is listed once, under the first name
// met (PyTorch's rule), in named_parameters(), parameters() and the optimizers built from them; state_dict() lists it
// under every name, as PyTorch's does, so checkpoints carry the same keys on both sides.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/variable.h"
#include "tensor/safetensors.h"

namespace glimpse::nn {

// How Module::save writes a checkpoint: model.save(path, {.dtype = kFloat16}) stores every floating-point parameter
// and buffer as float16 (or bfloat16): half the bytes, and load() converts back to the model's dtype.
struct SaveOptions {
  std::optional<DType> dtype = std::nullopt;  // default: each tensor's own dtype
};

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Every parameter of this module and its children, in registration order, with dotted names. A parameter shared by
  // several modules (tie_parameter) appears once, under the first of its names.
  std::vector<std::pair<std::string, Variable>> named_parameters() const;
  std::vector<Variable> parameters() const;
  // Buffers: tensors that belong to the state (saved and loaded) but are not trained (e.g. running statistics).
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  // This module ("") and every descendant, depth first, with dotted names.
  std::vector<std::pair<std::string, const Module*>> named_modules() const;
  const std::vector<std::pair<std::string, Module*>>& children() const { return children_; }
  int64_t num_parameters() const;

  // Training mode switches dropout and friends; it propagates to all children.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Undefines every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  // Converts every floating-point parameter and buffer to `dtype` in place (PyTorch's model.to(dtype); to(kFloat64)
  // is model.double(), what gradcheck needs). Parameters keep their identity (optimizers holding them stay valid) but
  // lose their gradients; int64 buffers are left alone.
  void to(DType dtype);

  // Weight tying: replaces this module's registered parameter `name` by `shared` (a parameter of another module), so
  // both modules use and train one Variable: one Storage, gradients from both uses summed into one .grad(). Returns
  // `shared`, so the layer's member is set in the same line (PyTorch: `self.lm_head.weight = self.wte.weight`):
  //   lm_head.weight = lm_head.tie_parameter("weight", wte.weight);
  // The shape and dtype must match the parameter it replaces.
  Variable tie_parameter(const std::string& name, const Variable& shared);

  // ---- checkpoints (nn/state_dict.cpp)
  // Every parameter and buffer by dotted name (the tensors are shared, not copied); a tied parameter appears under
  // each of its names (PyTorch's state_dict()), the entries sharing one storage.
  NamedTensors state_dict() const;
  // All or nothing: with strict, missing and unexpected names are errors; a shape or dtype mismatch always is. All
  // problems are listed in one Error and the module is left unchanged. A tied parameter is found under any of its
  // names (a checkpoint written by PyTorch holds it under each; one written here, under the first). The one dtype
  // difference allowed: a float16 or bfloat16 tensor loads into a float32 or float64 one, converted (a checkpoint
  // saved at half size).
  void load_state_dict(const NamedTensors& state, bool strict = true);
  // state_dict() to / from a safetensors file (saving is atomic); options.dtype converts on the way out.
  void save(const std::string& path, const SaveOptions& options = {}) const;
  void load(const std::string& path, bool strict = true);

  // PyTorch-style summary: one line per layer with its settings, then the parameter count.
  std::string repr() const;
  const std::string& type_name() const { return type_name_; }
  // The settings shown in repr() beside the type name, e.g. "in_features=8, out_features=1, bias=true".
  virtual std::string extra_repr() const { return ""; }

 protected:
  // Registers a trainable parameter holding `value` (requires_grad = true) and returns it.
  Variable register_parameter(const std::string& name, const Tensor& value);
  // Registers a non-trainable tensor that is part of the saved state.
  Tensor& register_buffer(const std::string& name, const Tensor& value);
  // Registers a child module (a member of the derived class, or owned through a unique_ptr).
  template <class M>
  M& register_module(const std::string& name, M& child) {
    add_child(name, &child);
    return child;
  }

 private:
  void add_child(const std::string& name, Module* child);
  void check_new_name(const std::string& name) const;
  // Every registered parameter with its dotted name, duplicates (tied parameters) included, pre-order.
  std::vector<std::pair<std::string, Variable>> all_named_parameters() const;
  // Names under which a tied parameter also appears -> the name it is listed under.
  std::vector<std::pair<std::string, std::string>> tied_aliases() const;
  void repr_into(std::string& out, int indent) const;

  std::string type_name_;
  bool training_ = true;
  std::vector<std::pair<std::string, Variable>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, Module*>> children_;
};

}  // namespace glimpse::nn

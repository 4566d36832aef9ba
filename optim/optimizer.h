// Optimizer: the base of SGD, Adam and AdamW. It owns parameter groups and per-parameter state, and saves both.
//
// One list of parameters:
//   optim::Adam opt(model.parameters(), {.lr = 1e-3});
// Groups with their own learning rate or weight decay (nanoGPT: decay the matrices, not the biases and norms):
//   optim::AdamW opt({{.params = matrices, .weight_decay = 0.1}, {.params = others, .weight_decay = 0.0}}, {.lr = 6e-4});
// A group's unset options take the optimizer's. Every step: opt.zero_grad(); loss.backward(); opt.step();
// Parameters whose gradient is undefined (no backward reached them) are skipped, and so is their state.
//
// State lives beside the model in a checkpoint: state_dict() names every tensor
//   "state.<i>.step"                 int64, steps taken by parameter i (its index across all groups, in order)
//   "state.<i>.<buffer>"             e.g. exp_avg, exp_avg_sq, max_exp_avg_sq, momentum_buffer
//   "param_groups.<g>.lr"            float64, the group's current learning rate (schedules change it)
//   "param_groups.<g>.initial_lr"    float64, the learning rate it started with (schedules scale it)
// and its metadata records the optimizer's type and the number of parameters, so that loading into a different
// optimizer or model is refused.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "autograd/variable.h"
#include "tensor/safetensors.h"

namespace glimpse::optim {

struct ParamGroup {
  std::vector<Variable> params = {};
  std::optional<double> lr = {};            // unset: the optimizer's
  std::optional<double> weight_decay = {};  // unset: the optimizer's
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Undefines every parameter's gradient (PyTorch's zero_grad(set_to_none=True)).
  void zero_grad();
  // One update of every parameter that has a gradient.
  virtual void step() = 0;

  size_t num_groups() const { return groups_.size(); }
  const std::vector<Variable>& params(size_t group) const;
  double lr(size_t group = 0) const;
  double initial_lr(size_t group = 0) const;
  void set_lr(size_t group, double lr);
  void set_lr(double lr);  // every group
  double weight_decay(size_t group = 0) const;
  const std::string& name() const { return name_; }

  NamedTensors state_dict() const;
  // All or nothing: a checkpoint of another optimizer type, another number of parameters, or a buffer whose shape or
  // dtype does not match is refused with one Error listing the problems, and this optimizer is left unchanged.
  void load_state_dict(const NamedTensors& state);
  void save(const std::string& path) const;
  void load(const std::string& path);

 protected:
  struct Group {
    std::vector<Variable> params;
    double lr;
    double weight_decay;
    double initial_lr;
    size_t first_index;  // index of params[0] across all groups (the "<i>" in state names)
  };
  // State of one parameter: its step count and named buffers shaped like it (allocated on its first step).
  struct State {
    int64_t step = 0;
    std::vector<Tensor> buffers;  // in the order of buffer_names()
  };

  Optimizer(std::string name, std::vector<ParamGroup> groups, double lr, double weight_decay);
  // The names of the per-parameter buffers this optimizer keeps ("exp_avg", ...).
  virtual std::vector<std::string> buffer_names() const = 0;
  // One parameter a step will update: its gradient (packed) and its state.
  struct Update {
    const Variable* param;
    const Group* group;
    Tensor grad;
    State* state;
  };
  // Every parameter with a gradient, checked before any is changed (so a bad one leaves the model as it was), because
  // set_data, set_grad and model.to() may have changed them since the constructor looked: a parameter must still be
  // contiguous and its gradient of its shape and dtype (a transposed or expanded gradient is packed, as PyTorch
  // accepts it); its state gets zero buffers on first use, follows the parameter's dtype after model.to(dtype), and
  // is an Error naming the parameter if its shape no longer matches. Each parameter's version is bumped (the step
  // changes it in place: a graph that saved it refuses to run backward).
  std::vector<Update> prepare_step();
  // Hands the list back when the step is done: its memory serves the next prepare_step (a tiny model's step is short
  // enough for that allocation to show). Clears it first, so no gradient is kept alive between steps.
  void finish_step(std::vector<Update>&& updates);
  Tensor grad_for_step(size_t index, const Variable& p) const;
  State& state_for(size_t index, const Variable& p);

  std::vector<Group> groups_;
  std::vector<State> state_;

 private:
  std::string name_;
  std::vector<Update> spare_updates_;  // see finish_step
};

// Validation helper for options: throws "<optimizer>: invalid <option> <value>: <reason>".
void check_option(bool ok, const std::string& optimizer, const char* option, double value, const char* reason);

}  // namespace glimpse::optim

// Optimizer: groups, state allocation, and the state_dict format described in optimizer.h.
#include "optim/optimizer.h"

#include <cmath>
#include <unordered_set>

namespace glimpse::optim {

void check_option(bool ok, const std::string& optimizer, const char* option, double value, const char* reason) {
  check(ok, "{}: invalid {} {}: {}", optimizer, option, value, reason);
}

Optimizer::Optimizer(std::string name, std::vector<ParamGroup> groups, double lr, double weight_decay)
    : name_(std::move(name)) {
  check(!groups.empty(), "{}: got no parameter groups", name_);
  std::unordered_set<const VariableImpl*> seen;  // a parameter listed twice would be updated twice per step
  size_t index = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    ParamGroup& pg = groups[g];
    double glr = pg.lr.value_or(lr), gwd = pg.weight_decay.value_or(weight_decay);
    check_option(glr >= 0.0 && std::isfinite(glr), name_, "lr", glr, "must be a finite number >= 0");
    check_option(gwd >= 0.0 && std::isfinite(gwd), name_, "weight_decay", gwd, "must be a finite number >= 0");
    for (size_t k = 0; k < pg.params.size(); ++k) {
      const Variable& p = pg.params[k];
      check(p.defined(), "{}: parameter {} of group {} is undefined", name_, k, g);
      check(p.is_leaf() && p.requires_grad(), "{}: parameter {} of group {} (shape {}) must be a leaf that requires "
            "grad", name_, k, g, p.shape());
      check(p.data().is_contiguous(), "{}: parameter {} of group {} (shape {}) is not contiguous; give it contiguous "
            "data (p.set_data(p.data().contiguous()))", name_, k, g, p.shape());
      check(seen.insert(p.impl().get()).second, "{}: parameter {} of group {} (shape {}) is listed twice (in the same "
            "group or in two groups); it would be updated twice per step, so list each parameter once", name_, k, g,
            p.shape());
    }
    groups_.push_back({std::move(pg.params), glr, gwd, glr, index});
    index += groups_.back().params.size();
  }
  check(index > 0, "{}: got an empty parameter list; pass the parameters to optimize (model.parameters()), and check "
        "that the model has some", name_);
  state_.resize(index);
}

void Optimizer::zero_grad() {
  for (const Group& g : groups_) {
    for (const Variable& p : g.params) p.zero_grad();
  }
}

const std::vector<Variable>& Optimizer::params(size_t group) const {
  check(group < groups_.size(), "{}: group {} does not exist ({} groups)", name_, group, groups_.size());
  return groups_[group].params;
}

double Optimizer::lr(size_t group) const {
  check(group < groups_.size(), "{}: group {} does not exist ({} groups)", name_, group, groups_.size());
  return groups_[group].lr;
}

double Optimizer::initial_lr(size_t group) const {
  check(group < groups_.size(), "{}: group {} does not exist ({} groups)", name_, group, groups_.size());
  return groups_[group].initial_lr;
}

double Optimizer::weight_decay(size_t group) const {
  check(group < groups_.size(), "{}: group {} does not exist ({} groups)", name_, group, groups_.size());
  return groups_[group].weight_decay;
}

void Optimizer::set_lr(size_t group, double lr) {
  check(group < groups_.size(), "{}: group {} does not exist ({} groups)", name_, group, groups_.size());
  check_option(lr >= 0.0 && std::isfinite(lr), name_, "lr", lr, "must be a finite number >= 0");
  groups_[group].lr = lr;
}

void Optimizer::set_lr(double lr) {
  for (size_t g = 0; g < groups_.size(); ++g) set_lr(g, lr);
}

std::vector<Optimizer::Update> Optimizer::prepare_step() {
  std::vector<Update> updates = std::move(spare_updates_);  // the last step's memory, if it was handed back
  updates.clear();
  updates.reserve(state_.size());  // at most one allocation, not one per doubling
  for (const Group& group : groups_) {
    for (size_t k = 0; k < group.params.size(); ++k) {
      const Variable& p = group.params[k];
      if (!p.grad().defined()) continue;
      const size_t index = group.first_index + k;
      Tensor grad = grad_for_step(index, p);
      updates.push_back({&p, &group, std::move(grad), &state_for(index, p)});
    }
  }
  for (const Update& u : updates) u.param->data().bump_version();
  return updates;
}

void Optimizer::finish_step(std::vector<Update>&& updates) {
  updates.clear();
  spare_updates_ = std::move(updates);
}

Tensor Optimizer::grad_for_step(size_t index, const Variable& p) const {
  const Tensor& g = p.grad();
  check(p.data().is_contiguous(), "{}.step: parameter {} (shape {}) is no longer contiguous: its data was replaced "
        "(set_data) by a view such as expand() or t(); give it its own memory with p.set_data(x.contiguous())",
        name_, index, p.shape());
  check(g.shape() == p.shape(), "{}.step: the gradient of parameter {} has shape {} but the parameter has shape {}",
        name_, index, g.shape(), p.shape());
  check(g.dtype() == p.dtype(), "{}.step: the gradient of parameter {} (shape {}) is {} but the parameter is {}; "
        "convert it with set_grad(g.to(...)), or zero_grad() and run backward again", name_, index, p.shape(),
        dtype_name(g.dtype()), dtype_name(p.dtype()));
  return g.contiguous();  // a transposed or expanded gradient of the right shape is packed, as PyTorch accepts it
}

Optimizer::State& Optimizer::state_for(size_t index, const Variable& p) {
  State& s = state_[index];
  if (s.buffers.empty()) {
    for (size_t b = 0; b < buffer_names().size(); ++b) s.buffers.push_back(zeros_like(p.data()));
    return s;
  }
  for (size_t b = 0; b < s.buffers.size(); ++b) {
    Tensor& buf = s.buffers[b];
    if (buf.shape() != p.shape()) {  // the names only on failure: building them every step allocates
      check(false, "{}.step: parameter {} now has shape {} but its state {} has shape {}: its data was replaced "
            "(set_data) with another shape after a step; build a new optimizer for the new shape", name_, index,
            p.shape(), buffer_names()[b], buf.shape());
    }
    // model.to(dtype) converts the parameters in place of the old ones; the moments follow them (nn/module.h
    // promises that optimizers holding the parameters stay valid).
    if (buf.dtype() != p.dtype()) buf = buf.to(p.dtype());
  }
  return s;
}

// ---- state_dict

NamedTensors Optimizer::state_dict() const {
  NamedTensors out;
  out.metadata["optimizer"] = name_;
  out.metadata["num_params"] = std::to_string(state_.size());
  out.metadata["num_groups"] = std::to_string(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    out.add(fmt::format("param_groups.{}.lr", g), scalar_tensor(groups_[g].lr, kFloat64));
    out.add(fmt::format("param_groups.{}.initial_lr", g), scalar_tensor(groups_[g].initial_lr, kFloat64));
  }
  std::vector<std::string> names = buffer_names();
  for (size_t i = 0; i < state_.size(); ++i) {
    const State& s = state_[i];
    if (s.buffers.empty()) continue;  // never stepped
    out.add(fmt::format("state.{}.step", i), scalar_tensor(static_cast<double>(s.step), kInt64));
    for (size_t b = 0; b < names.size(); ++b) out.add(fmt::format("state.{}.{}", i, names[b]), s.buffers[b].clone());
  }
  return out;
}

void Optimizer::load_state_dict(const NamedTensors& in) {
  std::vector<std::string> problems;
  auto meta = [&](const char* key) {
    auto it = in.metadata.find(key);
    return it == in.metadata.end() ? std::string("<missing>") : it->second;
  };
  if (meta("optimizer") != name_) problems.push_back(fmt::format("optimizer type is {}, not {}", meta("optimizer"), name_));
  if (meta("num_params") != std::to_string(state_.size())) {
    problems.push_back(fmt::format("it holds state for {} parameters, this optimizer has {}", meta("num_params"),
                                   state_.size()));
  }
  if (meta("num_groups") != std::to_string(groups_.size())) {
    problems.push_back(fmt::format("it has {} parameter groups, this optimizer has {}", meta("num_groups"),
                                   groups_.size()));
  }
  check(problems.empty(), "{}: load_state_dict refused: {}", name_, fmt::join(problems, "; "));

  // Build the new state completely before touching anything.
  std::vector<double> lrs(groups_.size()), initial(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    const Tensor* lr = in.find(fmt::format("param_groups.{}.lr", g));
    const Tensor* ilr = in.find(fmt::format("param_groups.{}.initial_lr", g));
    if (!lr || !ilr || lr->numel() != 1 || ilr->numel() != 1) {
      problems.push_back(fmt::format("param_groups.{}: lr or initial_lr missing", g));
      continue;
    }
    lrs[g] = lr->item<double>();
    initial[g] = ilr->item<double>();
  }
  std::vector<std::string> names = buffer_names();
  std::vector<State> state(state_.size());
  size_t used = 2 * groups_.size();
  for (const Group& group : groups_) {
    for (size_t k = 0; k < group.params.size(); ++k) {
      size_t i = group.first_index + k;
      const Tensor* step = in.find(fmt::format("state.{}.step", i));
      if (!step) continue;  // this parameter had not been stepped
      ++used;
      if (step->numel() != 1 || step->dtype() != kInt64) {
        problems.push_back(fmt::format("state.{}.step must be one int64", i));
        continue;
      }
      state[i].step = step->item<int64_t>();
      const Variable& p = group.params[k];
      for (const std::string& b : names) {
        std::string key = fmt::format("state.{}.{}", i, b);
        const Tensor* t = in.find(key);
        if (!t) {
          problems.push_back(fmt::format("{} is missing", key));
          continue;
        }
        ++used;
        if (t->shape() != p.shape() || t->dtype() != p.dtype()) {
          problems.push_back(fmt::format("{} has shape {} ({}) but the parameter has shape {} ({})", key, t->shape(),
                                         dtype_name(t->dtype()), p.shape(), dtype_name(p.dtype())));
          continue;
        }
        state[i].buffers.push_back(t->contiguous().clone());
      }
    }
  }
  if (used != in.size()) problems.push_back(fmt::format("{} unexpected entries", in.size() - used));
  check(problems.empty(), "{}: load_state_dict refused: {}", name_, fmt::join(problems, "; "));
  for (size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].lr = lrs[g];
    groups_[g].initial_lr = initial[g];
  }
  state_ = std::move(state);
}

void Optimizer::save(const std::string& path) const { save_safetensors(state_dict(), path); }
void Optimizer::load(const std::string& path) { load_state_dict(load_safetensors(path)); }

}  // namespace glimpse::optim

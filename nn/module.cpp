// nn::Module: name registries, traversal, train/eval, printing.
#include "nn/module.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace glimpse::nn {

void Module::check_new_name(const std::string& name) const {
  check(!name.empty() && name.find('.') == std::string::npos,
        "{}: invalid name \"{}\" (names must be non-empty and contain no '.')", type_name_, name);
  for (const auto& [n, _] : params_) check(n != name, "{}: \"{}\" is already registered", type_name_, name);
  for (const auto& [n, _] : buffers_) check(n != name, "{}: \"{}\" is already registered", type_name_, name);
  for (const auto& [n, _] : children_) check(n != name, "{}: \"{}\" is already registered", type_name_, name);
}

Variable Module::register_parameter(const std::string& name, const Tensor& value) {
  check_new_name(name);
  Variable p(value, /*requires_grad=*/true);
  params_.emplace_back(name, p);
  return p;
}

Tensor& Module::register_buffer(const std::string& name, const Tensor& value) {
  check_new_name(name);
  buffers_.emplace_back(name, value);
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, Module* child) {
  check_new_name(name);
  check(child != this, "{}: a module cannot be its own child", type_name_);
  children_.emplace_back(name, child);
}

std::vector<std::pair<std::string, Variable>> Module::all_named_parameters() const {
  std::vector<std::pair<std::string, Variable>> out;
  for (const auto& [prefix, m] : named_modules()) {
    for (const auto& [name, p] : m->params_) out.emplace_back(prefix.empty() ? name : prefix + "." + name, p);
  }
  return out;
}

// Pre-order, the first name of a shared Variable wins: PyTorch's named_parameters(remove_duplicate=True).
std::vector<std::pair<std::string, Variable>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Variable>> out;
  std::unordered_set<const VariableImpl*> seen;
  for (auto& [name, p] : all_named_parameters()) {
    if (seen.insert(p.impl().get()).second) out.emplace_back(std::move(name), std::move(p));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Module::tied_aliases() const {
  std::vector<std::pair<std::string, std::string>> out;
  std::unordered_map<const VariableImpl*, std::string> first;
  for (const auto& [name, p] : all_named_parameters()) {
    auto [it, fresh] = first.emplace(p.impl().get(), name);
    if (!fresh) out.emplace_back(name, it->second);
  }
  return out;
}

Variable Module::tie_parameter(const std::string& name, const Variable& shared) {
  auto it = std::find_if(params_.begin(), params_.end(), [&](const auto& entry) { return entry.first == name; });
  check(it != params_.end(), "{}.tie_parameter: \"{}\" is not a parameter of this module; tie an existing parameter "
        "(e.g. \"weight\")", type_name_, name);
  check(shared.defined() && shared.is_leaf() && shared.requires_grad(),
        "{}.tie_parameter(\"{}\"): the shared Variable must be a parameter (a leaf that requires grad)", type_name_,
        name);
  check(shared.shape() == it->second.shape() && shared.dtype() == it->second.dtype(),
        "{}.tie_parameter(\"{}\"): the shared parameter is {} {} but \"{}\" is {} {}; tied parameters must have one "
        "shape and dtype", type_name_, name, shared.shape(), dtype_name(shared.dtype()), name, it->second.shape(),
        dtype_name(it->second.dtype()));
  it->second = shared;
  return shared;
}

std::vector<Variable> Module::parameters() const {
  std::vector<Variable> out;
  for (auto& [_, p] : named_parameters()) out.push_back(p);
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const auto& [prefix, m] : named_modules()) {
    for (const auto& [name, b] : m->buffers_) out.emplace_back(prefix.empty() ? name : prefix + "." + name, b);
  }
  return out;
}

std::vector<std::pair<std::string, const Module*>> Module::named_modules() const {
  std::vector<std::pair<std::string, const Module*>> out;
  // Iterative depth-first walk, children in registration order.
  std::vector<std::pair<std::string, const Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [prefix, m] = stack.back();
    stack.pop_back();
    out.emplace_back(prefix, m);
    for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it) {
      stack.emplace_back(prefix.empty() ? it->first : prefix + "." + it->first, it->second);
    }
  }
  return out;
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (const auto& [_, p] : named_parameters()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [_, child] : children_) child->train(on);
}

void Module::zero_grad() {
  for (auto& [_, p] : named_parameters()) p.zero_grad();
}

void Module::to(DType dtype) {
  check(is_floating(dtype), "{}.to: dtype {} is not a floating-point type; parameters are float32 or float64",
        type_name_, dtype_name(dtype));
  for (const auto& [prefix, m] : named_modules()) {
    // named_modules() hands out const pointers to let readers walk the tree; this walk is the module's own.
    auto* mod = const_cast<Module*>(m);
    for (auto& [_, p] : mod->params_) {
      if (!is_floating(p.dtype()) || p.dtype() == dtype) continue;
      p.set_data(p.data().to(dtype));
      p.zero_grad();  // a gradient of the old dtype would not match the new value
    }
    for (auto& [_, b] : mod->buffers_) {
      if (b.defined() && is_floating(b.dtype())) b = b.to(dtype);
    }
  }
}

void Module::repr_into(std::string& out, int indent) const {
  out += type_name_ + "(" + extra_repr();
  if (!children_.empty()) {
    out += "\n";
    for (const auto& [name, child] : children_) {
      out += std::string(indent + 2, ' ') + "(" + name + "): ";
      child->repr_into(out, indent + 2);
      out += "\n";
    }
    out += std::string(indent, ' ');
  }
  out += ")";
}

std::string Module::repr() const {
  std::string out;
  repr_into(out, 0);
  out += fmt::format("\nparameters: {} in {} tensors", num_parameters(), named_parameters().size());
  return out;
}

}  // namespace glimpse::nn

// nn::Module: name registries, traversal, train/eval, printing.
#include "nn/module.h"

#include <fmt/format.h>

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

void Module::collect_parameters(const std::string& prefix, std::vector<std::pair<std::string, Variable>>& out) const {
  for (const auto& [name, p] : params_) out.emplace_back(prefix + name, p);
  for (const auto& [name, child] : children_) child->collect_parameters(prefix + name + ".", out);
}

std::vector<std::pair<std::string, Variable>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Variable>> out;
  collect_parameters("", out);
  return out;
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

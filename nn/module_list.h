// nn::ModuleList: a list of child modules registered as "0", "1", ... (torch.nn.ModuleList).
//
// Repeated blocks of a model live in one, registered under a name of the model, so their parameters are named as in
// PyTorch ("h.0.attn.c_attn.weight"):
//
//   nn::ModuleList<Block> h;                       // a member of the model
//   register_module("h", h);                       // in the model's constructor
//   for (int i = 0; i < n_layer; ++i) h.push_back(std::make_unique<Block>(config));
//   for (const Block& block : h) x = block.forward(x);
//
// Unlike Sequential it has no forward: the model decides how its blocks are called. The element type M is any Module
// (the default, nn::ModuleList<> , holds any mix, as PyTorch's); a typed list hands back M& without casts.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"

namespace glimpse::nn {

template <class M = Module>
  requires std::derived_from<M, Module>
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}

  // Appends a module (owned from now on) under the name "<size()>" and returns it.
  template <class D>
    requires std::derived_from<D, M>
  D& push_back(std::unique_ptr<D> module) {
    check(module != nullptr, "ModuleList::push_back: the module is null");
    D& ref = *module;
    register_module(std::to_string(modules_.size()), ref);
    modules_.push_back(std::move(module));
    return ref;
  }

  size_t size() const { return modules_.size(); }
  bool empty() const { return modules_.empty(); }
  // The i-th module, bounds-checked.
  M& operator[](size_t i) const {
    check(i < modules_.size(), "ModuleList: index {} is out of range for a list of {} modules", i, modules_.size());
    return *modules_[i];
  }

  // Range-for over the modules as M& (const or not, as the list is).
  class Iterator {
   public:
    explicit Iterator(typename std::vector<std::unique_ptr<M>>::const_iterator it) : it_(it) {}
    M& operator*() const { return **it_; }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    bool operator==(const Iterator& other) const = default;

   private:
    typename std::vector<std::unique_ptr<M>>::const_iterator it_;
  };
  Iterator begin() const { return Iterator(modules_.begin()); }
  Iterator end() const { return Iterator(modules_.end()); }

 private:
  std::vector<std::unique_ptr<M>> modules_;
};

}  // namespace glimpse::nn

// nn::Sequential: a chain of layers, each feeding the next (torch.nn.Sequential).
//
//   nn::Sequential mlp(std::make_unique<nn::Linear>(8, 32), std::make_unique<nn::ReLU>(),
//                      std::make_unique<nn::Linear>(32, 1));
//   mlp.add(std::make_unique<nn::Sigmoid>());
//   Variable y = mlp.forward(x);   // x: [B, 8] -> [B, 1]
//
// Any module with a `forward(const Variable&)` returning a Variable can be added, including your own: Module has no
// virtual forward (each layer's forward has the signature it needs), so Sequential remembers, for each layer, a small
// type-erased call to that layer's own forward. The layers register as children "0", "1", ..., as in PyTorch, so
// their parameters are named "0.weight", "2.bias", ....
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace glimpse::nn {

// A module Sequential can call: m.forward(x) takes and returns a Variable.
template <class M>
concept VariableModule = std::derived_from<M, Module> && requires(M& m, const Variable& x) {
  { m.forward(x) } -> std::convertible_to<Variable>;
};

class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  // Sequential(std::make_unique<A>(...), std::make_unique<B>(...), ...)
  template <VariableModule... Ms>
  explicit Sequential(std::unique_ptr<Ms>... layers) : Sequential() {
    (add(std::move(layers)), ...);
  }

  // Appends a layer (owned from now on) and returns it, so it can be configured or kept as a reference.
  template <VariableModule M>
  M& add(std::unique_ptr<M> layer) {
    check(layer != nullptr, "Sequential::add: the layer is null");
    M& ref = *layer;
    register_module(std::to_string(layers_.size()), ref);
    // The call is to M's own forward, chosen at compile time; only this little adapter is type-erased.
    layers_.push_back({std::move(layer), [](Module& m, const Variable& x) -> Variable {
                         return static_cast<M&>(m).forward(x);
                       }});
    return ref;
  }
  template <VariableModule M>
  M& push_back(std::unique_ptr<M> layer) {
    return add(std::move(layer));
  }

  // x -> layer 0 -> layer 1 -> ... -> result (shapes as the layers make them); an empty Sequential is the identity.
  Variable forward(const Variable& x) const;

  size_t size() const { return layers_.size(); }
  bool empty() const { return layers_.empty(); }
  // The i-th layer (bounds-checked), as a Module; use at<M>(i) for the concrete type.
  Module& operator[](size_t i) const;
  template <class M>
  M& at(size_t i) const {
    auto* m = dynamic_cast<M*>(&(*this)[i]);
    check(m != nullptr, "Sequential::at: layer {} is a {}, not the type asked for", i, (*this)[i].type_name());
    return *m;
  }

 private:
  struct Layer {
    std::unique_ptr<Module> module;
    Variable (*forward)(Module&, const Variable&);  // calls the concrete layer's forward
  };
  std::vector<Layer> layers_;
};

}  // namespace glimpse::nn

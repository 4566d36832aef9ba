// nn::Sequential: running the chain.
#include "nn/sequential.h"

namespace glimpse::nn {

// x: [*] -> whatever the last layer makes
Variable Sequential::forward(const Variable& x) const {
  Variable y = x;
  for (const Layer& layer : layers_) y = layer.forward(*layer.module, y);
  return y;
}

Module& Sequential::operator[](size_t i) const {
  check(i < layers_.size(), "Sequential: index {} is out of range for {} layers", i, layers_.size());
  return *layers_[i].module;
}

}  // namespace glimpse::nn

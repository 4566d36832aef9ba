// nn::Dropout: the module around autograd's dropout, switched by train() / eval().
#include "nn/dropout.h"

#include "autograd/ops_elementwise.h"

namespace glimpse::nn {

Dropout::Dropout(double p) : Module("Dropout"), p(p) {
  check(p >= 0.0 && p <= 1.0, "Dropout: probability p must be between 0 and 1, got {}", p);
}

// x: [*] -> [*]
Variable Dropout::forward(const Variable& x) const {
  check(x.defined(), "Dropout: the input is undefined");
  return dropout(x, p, is_training());
}

std::string Dropout::extra_repr() const { return fmt::format("p={}", p); }

}  // namespace glimpse::nn

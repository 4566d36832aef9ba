// nn::AdaptiveAvgPool2d: a thin module around autograd's adaptive_avg_pool2d.
#include "nn/adaptive_avg_pool2d.h"

namespace glimpse::nn {

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 output_size) : Module("AdaptiveAvgPool2d"), output_size(output_size) {
  check(output_size[0] > 0 && output_size[1] > 0, "AdaptiveAvgPool2d: output_size must be positive, got ({}, {})",
        output_size[0], output_size[1]);
}

// x: [N, C, H, W] -> [N, C, OH, OW]
Variable AdaptiveAvgPool2d::forward(const Variable& x) const { return adaptive_avg_pool2d(x, output_size); }

std::string AdaptiveAvgPool2d::extra_repr() const {
  return fmt::format("output_size=({}, {})", output_size[0], output_size[1]);
}

}  // namespace glimpse::nn

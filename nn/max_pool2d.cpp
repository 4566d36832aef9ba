// nn::MaxPool2d: a thin module around autograd's max_pool2d.
#include "nn/max_pool2d.h"

namespace glimpse::nn {

MaxPool2d::MaxPool2d(Size2 kernel_size, const MaxPool2dOptions& options)
    : Module("MaxPool2d"), kernel_size(kernel_size), options(options) {
  if (this->options.stride == Size2{0, 0}) this->options.stride = kernel_size;
}

// x: [N, C, H, W] -> [N, C, OH, OW]
Variable MaxPool2d::forward(const Variable& x) const {
  return max_pool2d(x, kernel_size, options.stride, options.padding, options.dilation);
}

std::string MaxPool2d::extra_repr() const {
  return fmt::format("kernel_size=({}, {}), stride=({}, {}), padding=({}, {})", kernel_size[0], kernel_size[1],
                     options.stride[0], options.stride[1], options.padding[0], options.padding[1]);
}

}  // namespace glimpse::nn

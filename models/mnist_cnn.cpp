// MnistCnn: the layers in order, the optional block at its place.
#include "models/mnist_cnn.h"

#include "autograd/ops_conv.h"
#include "autograd/ops_elementwise.h"

namespace glimpse::models {

MnistCnn::MnistCnn(const MnistCnnOptions& options)
    : Module("MnistCnn"),
      options(options),
      conv1(1, options.channels1, {3, 3}, {.padding = {1, 1}}),
      bn1(options.channels1),
      conv2(options.channels1, options.channels2, {3, 3}, {.padding = {1, 1}}),
      bn2(options.channels2),
      dropout(options.dropout),
      fc(options.channels2 * 49, 10) {
  check(options.block == "none" || options.block == "se" || options.block == "spatial" || options.block == "nonlocal",
        "MnistCnn: block must be none, se, spatial or nonlocal, got '{}'", options.block);
  register_module("conv1", conv1);
  register_module("bn1", bn1);
  register_module("conv2", conv2);
  register_module("bn2", bn2);
  if (options.block == "se") register_module("se", *(se = std::make_unique<nn::SqueezeExcitation>(options.channels2,
                                                                                                    options.se_ratio)));
  if (options.block == "spatial") register_module("spatial", *(spatial = std::make_unique<nn::SpatialAttention>(7)));
  if (options.block == "nonlocal") {
    register_module("nonlocal", *(nonlocal = std::make_unique<nn::NonLocalBlock>(options.channels2)));
  }
  register_module("dropout", dropout);
  register_module("fc", fc);
}

// x: [B, 1, 28, 28] -> logits [B, 10]
MnistCnnOutput MnistCnn::forward(const Variable& x) const {
  check(x.defined() && x.dim() == 4 && x.size(1) == 1 && x.size(2) == 28 && x.size(3) == 28,
        "MnistCnn: expected images [B, 1, 28, 28], got {}", x.defined() ? x.shape() : Shape{});
  MnistCnnOutput out;
  Variable h = max_pool2d(relu(bn1.forward(conv1.forward(x))), {2, 2});  // [B, c1, 14, 14]
  h = relu(bn2.forward(conv2.forward(h)));                               // [B, c2, 14, 14]
  if (se) h = se->forward(h);
  if (spatial) {
    auto [y, map] = spatial->forward(h);
    h = y;
    out.map = map;
  }
  h = max_pool2d(h, {2, 2});  // [B, c2, 7, 7]
  if (nonlocal) {
    auto [y, weights] = nonlocal->forward(h, /*need_weights=*/true);
    h = y;
    out.map = weights;
  }
  out.logits = fc.forward(dropout.forward(h.flatten(1)));
  return out;
}

}  // namespace glimpse::models

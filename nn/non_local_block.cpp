// nn::NonLocalBlock: three 1x1 convolutions, scaled dot-product attention over the H·W positions, a 1x1 convolution
// back, and the residual.
#include "nn/non_local_block.h"

#include "autograd/ops_elementwise.h"
#include "nn/attention.h"
#include "nn/init.h"

namespace glimpse::nn {
namespace {
int64_t default_inter(int64_t channels, int64_t inter) { return inter > 0 ? inter : (channels > 1 ? channels / 2 : 1); }
}  // namespace

NonLocalBlock::NonLocalBlock(int64_t channels, int64_t inter_channels)
    : Module("NonLocalBlock"),
      channels(channels),
      inter_channels(default_inter(channels, inter_channels)),
      theta(channels, this->inter_channels, {1, 1}),
      phi(channels, this->inter_channels, {1, 1}),
      g(channels, this->inter_channels, {1, 1}),
      W(this->inter_channels, channels, {1, 1}) {
  register_module("theta", theta);
  register_module("phi", phi);
  register_module("g", g);
  register_module("W", W);
  // Zero output projection: the block starts as the identity (Wang et al. zero the BatchNorm after W instead).
  init::zeros_(W.weight);
  init::zeros_(W.bias);
}

// x: [N, C, H, W] -> output [N, C, H, W], weights [N, H·W, H·W]
NonLocalOutput NonLocalBlock::forward(const Variable& x, bool need_weights) const {
  check(x.defined() && x.dim() == 4 && x.size(1) == channels,
        "NonLocalBlock(channels={}): expected input [N, {}, H, W], got {}", channels, channels,
        x.defined() ? x.shape() : Shape{});
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  // [N, C', H, W] -> [N, H·W, C']: one row per position
  auto rows = [&](const Variable& t) { return t.reshape({n, inter_channels, h * w}).transpose(1, 2); };
  auto [z, weights] = scaled_dot_product_attention(rows(theta.forward(x)), rows(phi.forward(x)), rows(g.forward(x)));
  Variable back = z.transpose(1, 2).reshape({n, inter_channels, h, w});  // [N, C', H, W]
  return {x + W.forward(back), need_weights ? weights : Variable()};
}

std::string NonLocalBlock::extra_repr() const {
  return fmt::format("channels={}, inter_channels={}", channels, inter_channels);
}

}  // namespace glimpse::nn

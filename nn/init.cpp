// nn::init: PyTorch's initialisers (torch.nn.init), computing the same bounds and standard deviations.
#include "nn/init.h"

#include <cmath>

namespace glimpse::nn::init {
namespace {

// The fans of `tensor` for initialiser `op`, or an Error naming it.
std::pair<int64_t, int64_t> fans(const Tensor& tensor, const char* op) {
  check_defined(tensor, op);
  check(tensor.dim() >= 2,
        "{}: fan in and fan out need a tensor of at least 2 dims ([out, in, *kernel]), got shape {}; use uniform_ or "
        "normal_ for biases and other 1-d tensors",
        op, tensor.shape());
  int64_t receptive_field = 1;  // the kernel's size for convolution weights, 1 for a Linear weight
  for (int d = 2; d < tensor.dim(); ++d) receptive_field *= tensor.size(d);
  return {tensor.size(1) * receptive_field, tensor.size(0) * receptive_field};
}

// The fan a Kaiming initialiser divides by.
int64_t fan_for_mode(const Tensor& tensor, const std::string& mode, const char* op) {
  check(mode == "fan_in" || mode == "fan_out", "{}: mode \"{}\" is not supported; use \"fan_in\" or \"fan_out\"", op,
        mode);
  auto [fan_in, fan_out] = fans(tensor, op);
  return mode == "fan_in" ? fan_in : fan_out;
}

}  // namespace

double calculate_gain(const std::string& nonlinearity, std::optional<double> param) {
  static const char* const kLinear[] = {"linear",           "conv1d",           "conv2d",          "conv3d",
                                        "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (const char* name : kLinear) {
    if (nonlinearity == name) return 1.0;
  }
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param.value_or(0.01);  // PyTorch's default negative slope
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  if (nonlinearity == "selu") return 3.0 / 4.0;  // PyTorch's choice for self-normalising networks
  throw Error(fmt::format(
      "calculate_gain: unsupported nonlinearity \"{}\"; use linear, conv1d/2d/3d, conv_transpose1d/2d/3d, sigmoid, "
      "tanh, relu, leaky_relu or selu",
      nonlinearity));
}

std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor) {
  return fans(tensor, "calculate_fan_in_and_fan_out");
}

Tensor uniform_(const Tensor& tensor, double a, double b, Generator& gen) {
  check_defined(tensor, "uniform_");
  Tensor t = tensor;  // a second handle to the same numbers
  return glimpse::uniform_(t, a, b, gen);
}

Tensor normal_(const Tensor& tensor, double mean, double stddev, Generator& gen) {
  check_defined(tensor, "normal_");
  Tensor t = tensor;
  return glimpse::normal_(t, mean, stddev, gen);
}

Tensor constant_(const Tensor& tensor, double val) {
  check_defined(tensor, "constant_");
  Tensor t = tensor;
  return t.fill_(val);
}

Tensor ones_(const Tensor& tensor) { return constant_(tensor, 1.0); }
Tensor zeros_(const Tensor& tensor) { return constant_(tensor, 0.0); }

Tensor xavier_uniform_(const Tensor& tensor, double gain, Generator& gen) {
  auto [fan_in, fan_out] = fans(tensor, "xavier_uniform_");
  if (tensor.numel() == 0) return tensor;  // nothing to fill (and the fans may be 0)
  const double stddev = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  const double bound = std::sqrt(3.0) * stddev;  // U(-b, b) has variance b² / 3
  return uniform_(tensor, -bound, bound, gen);
}

Tensor xavier_normal_(const Tensor& tensor, double gain, Generator& gen) {
  auto [fan_in, fan_out] = fans(tensor, "xavier_normal_");
  if (tensor.numel() == 0) return tensor;
  const double stddev = gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out));
  return normal_(tensor, 0.0, stddev, gen);
}

Tensor kaiming_uniform_(const Tensor& tensor, double a, const std::string& mode, const std::string& nonlinearity,
                        Generator& gen) {
  const int64_t fan = fan_for_mode(tensor, mode, "kaiming_uniform_");
  const double gain = calculate_gain(nonlinearity, a);
  if (tensor.numel() == 0) return tensor;  // PyTorch: "Initializing zero-element tensors is a no-op"
  const double stddev = gain / std::sqrt(static_cast<double>(fan));
  const double bound = std::sqrt(3.0) * stddev;
  return uniform_(tensor, -bound, bound, gen);
}

Tensor kaiming_normal_(const Tensor& tensor, double a, const std::string& mode, const std::string& nonlinearity,
                       Generator& gen) {
  const int64_t fan = fan_for_mode(tensor, mode, "kaiming_normal_");
  const double gain = calculate_gain(nonlinearity, a);
  if (tensor.numel() == 0) return tensor;
  const double stddev = gain / std::sqrt(static_cast<double>(fan));
  return normal_(tensor, 0.0, stddev, gen);
}

}  // namespace glimpse::nn::init

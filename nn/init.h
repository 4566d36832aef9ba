// nn::init: the weight initialisers of torch.nn.init, with the same names, arguments and numbers.
//
// Each fills a tensor in place and returns it, so a layer's constructor reads like PyTorch's reset_parameters():
//
//   nn::init::kaiming_uniform_(weight, std::sqrt(5.0));                 // Linear's default weight
//   nn::init::uniform_(bias, -1 / std::sqrt(fan_in), 1 / std::sqrt(fan_in));
//   nn::init::xavier_uniform_(fc.weight, nn::init::calculate_gain("tanh"));  // on a parameter, as in PyTorch
//
// Why the scaled ones exist: a layer y = W x with fan_in inputs of unit variance gives outputs of variance
// fan_in * Var(W). Choosing Var(W) ~ 1 / fan_in (Kaiming/He) or 2 / (fan_in + fan_out) (Xavier/Glorot) keeps the
// signal (and the gradient) from growing or vanishing layer after layer. The gain corrects for what the nonlinearity
// after the layer does to the variance (ReLU halves it, hence √2).
//
// Fans follow PyTorch for a weight of shape [out, in, *kernel]: fan_in = in * prod(kernel), fan_out = out *
// prod(kernel). Tensors are filled through tensor/random.h, so manual_seed() makes every initialisation reproducible.
// The tensors are modified through their handle (a Tensor shares its numbers), so a `const Tensor&` such as
// `param.data()` is filled in place; a Variable overload does the same on its data, without recording anything.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "autograd/variable.h"
#include "tensor/random.h"

namespace glimpse::nn::init {

// The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): "linear", "conv1d/2d/3d",
// "conv_transpose1d/2d/3d" and "sigmoid" -> 1, "tanh" -> 5/3, "relu" -> √2, "leaky_relu" -> √(2 / (1 + slope²))
// with slope = param (0.01 when not given), "selu" -> 3/4.
double calculate_gain(const std::string& nonlinearity, std::optional<double> param = std::nullopt);

// (fan_in, fan_out) of a weight [out, in, *kernel]; an Error for fewer than 2 dims.
std::pair<int64_t, int64_t> calculate_fan_in_and_fan_out(const Tensor& tensor);

// ---- plain fills, t: [*] -> [*] in place
Tensor uniform_(const Tensor& tensor, double a = 0.0, double b = 1.0, Generator& gen = default_generator());
Tensor normal_(const Tensor& tensor, double mean = 0.0, double std = 1.0, Generator& gen = default_generator());
Tensor constant_(const Tensor& tensor, double val);
Tensor ones_(const Tensor& tensor);
Tensor zeros_(const Tensor& tensor);

// ---- Xavier/Glorot: std = gain * √(2 / (fan_in + fan_out)); uniform on [-√3 std, √3 std] or normal(0, std)
Tensor xavier_uniform_(const Tensor& tensor, double gain = 1.0, Generator& gen = default_generator());
Tensor xavier_normal_(const Tensor& tensor, double gain = 1.0, Generator& gen = default_generator());

// ---- Kaiming/He: std = calculate_gain(nonlinearity, a) / √fan with fan = fan_in ("fan_in", preserves the forward
// signal) or fan_out ("fan_out", preserves the backward gradients); a is the negative slope of leaky_relu.
Tensor kaiming_uniform_(const Tensor& tensor, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu", Generator& gen = default_generator());
Tensor kaiming_normal_(const Tensor& tensor, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu", Generator& gen = default_generator());

// ---- the same on a parameter (fills its data; records nothing on the tape)
inline const Variable& uniform_(const Variable& v, double a = 0.0, double b = 1.0,
                                Generator& gen = default_generator()) {
  uniform_(v.data(), a, b, gen);
  return v;
}
inline const Variable& normal_(const Variable& v, double mean = 0.0, double std = 1.0,
                               Generator& gen = default_generator()) {
  normal_(v.data(), mean, std, gen);
  return v;
}
inline const Variable& constant_(const Variable& v, double val) {
  constant_(v.data(), val);
  return v;
}
inline const Variable& ones_(const Variable& v) {
  ones_(v.data());
  return v;
}
inline const Variable& zeros_(const Variable& v) {
  zeros_(v.data());
  return v;
}
inline const Variable& xavier_uniform_(const Variable& v, double gain = 1.0, Generator& gen = default_generator()) {
  xavier_uniform_(v.data(), gain, gen);
  return v;
}
inline const Variable& xavier_normal_(const Variable& v, double gain = 1.0, Generator& gen = default_generator()) {
  xavier_normal_(v.data(), gain, gen);
  return v;
}
inline const Variable& kaiming_uniform_(const Variable& v, double a = 0.0, const std::string& mode = "fan_in",
                                        const std::string& nonlinearity = "leaky_relu",
                                        Generator& gen = default_generator()) {
  kaiming_uniform_(v.data(), a, mode, nonlinearity, gen);
  return v;
}
inline const Variable& kaiming_normal_(const Variable& v, double a = 0.0, const std::string& mode = "fan_in",
                                       const std::string& nonlinearity = "leaky_relu",
                                       Generator& gen = default_generator()) {
  kaiming_normal_(v.data(), a, mode, nonlinearity, gen);
  return v;
}

}  // namespace glimpse::nn::init

// nn::RNNBase: the parameters and checks every stacked recurrent layer shares (see rnn_base.h).
#include "nn/rnn_base.h"

#include <fmt/format.h>

#include <cmath>

#include "nn/init.h"
#include "tensor/vecmath.h"

namespace glimpse::nn {

Variable recurrent_uniform_(Variable p, int64_t hidden_size) {
  const double bound = hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0;
  init::uniform_(p, -bound, bound);
  return p;
}

void sigmoid_inplace(float* p, int64_t n) { vec::sigmoid(p, p, n); }
void sigmoid_inplace(double* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = 1.0 / (1.0 + std::exp(-p[i]));
}
void tanh_inplace(float* p, int64_t n) { vec::tanh(p, p, n); }
void tanh_inplace(double* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
}

void check_recurrent_sizes(const char* op, int64_t input_size, int64_t hidden_size) {
  check(input_size >= 0, "{}: input_size must be >= 0, got {}", op, input_size);
  check(hidden_size > 0, "{}: hidden_size must be > 0, got {}", op, hidden_size);
}

RNNBase::RNNBase(const std::string& type_name, int64_t gates, int64_t input_size, int64_t hidden_size,
                 const RNNOptions& options)
    : Module(type_name), input_size(input_size), hidden_size(hidden_size), options(options) {
  const char* op = type_name.c_str();
  check_recurrent_sizes(op, input_size, hidden_size);
  check(options.num_layers >= 1, "{}: num_layers must be >= 1, got {}", op, options.num_layers);
  check(options.dropout >= 0.0 && options.dropout <= 1.0, "{}: dropout must be between 0 and 1, got {}", op,
        options.dropout);
  const int64_t H = hidden_size, G = gates * hidden_size;
  auto parameter = [&](const std::string& name, const Shape& shape) {
    return recurrent_uniform_(register_parameter(name, empty(shape)), H);
  };
  const int64_t D = options.bidirectional ? 2 : 1;
  for (int64_t k = 0; k < options.num_layers; ++k) {
    const int64_t in = k == 0 ? input_size : D * H;
    for (int64_t d = 0; d < D; ++d) {
      const std::string l = "_l" + std::to_string(k) + (d == 1 ? "_reverse" : "");
      LayerWeights w;
      w.weight_ih = parameter("weight_ih" + l, {G, in});
      w.weight_hh = parameter("weight_hh" + l, {G, H});
      if (options.bias) {
        w.bias_ih = parameter("bias_ih" + l, {G});
        w.bias_hh = parameter("bias_hh" + l, {G});
      }
      layers_.push_back(w);
    }
  }
}

RNNBase::SequenceSizes RNNBase::check_input(const Variable& input) const {
  const char* op = type_name().c_str();
  check(input.defined(), "{}: the input is undefined", op);
  const char* layout = options.batch_first ? "[B, T, input_size]" : "[T, B, input_size]";
  check(input.dim() == 3, "{}: input of shape {} should be 3-d, {} (for one sequence, unsqueeze a batch dim)", op,
        input.shape(), layout);
  check(input.size(2) == input_size, "{}: input of shape {} has {} features but input_size is {}; expected {}", op,
        input.shape(), input.size(2), input_size, layout);
  const DType want = layers_[0].weight_ih.dtype();
  check(input.dtype() == want, "{}: input of shape {} is {} but the layer's parameters are {}; {} wants a "
        "floating-point input of its dtype: convert with x.to({}){}", op, input.shape(), dtype_name(input.dtype()),
        dtype_name(want), op, want == kFloat64 ? "kFloat64" : "kFloat32",
        is_floating(input.dtype()) ? " or the layer with to()" : " (token ids go through nn::Embedding first)");
  return {input.size(options.batch_first ? 1 : 0), input.size(options.batch_first ? 0 : 1)};
}

void RNNBase::check_state(const Variable& state, const char* what, int64_t B) const {
  const int64_t L = options.num_layers * (options.bidirectional ? 2 : 1), H = hidden_size;
  check(!state.defined() || state.shape() == Shape{L, B, H},
        "{}: initial state {} of shape {} should be [num_layers{}, B, hidden_size] = [{}, {}, {}], with B = {} read "
        "from dim {} of the input because batch_first is {} (input {}); {}", type_name(), what,
        state.defined() ? state.shape() : Shape{}, options.bidirectional ? " * 2" : "", L, B, H, B,
        options.batch_first ? 0 : 1, options.batch_first ? "true" : "false",
        options.batch_first ? "[B, T, input_size]" : "[T, B, input_size]",
        options.batch_first ? "is the input time-major? then set batch_first = false"
                            : "is the input batch-major? then set batch_first = true");
}

std::vector<int64_t> RNNBase::check_lengths(const std::vector<int64_t>& lengths, int64_t T, int64_t B) const {
  if (lengths.empty()) return std::vector<int64_t>(B, T);
  check(static_cast<int64_t>(lengths.size()) == B, "{}: {} lengths given for a batch of {} sequences; give one per "
        "sequence (or none when none is padded)", type_name(), lengths.size(), B);
  for (size_t b = 0; b < lengths.size(); ++b) {
    check(lengths[b] >= 0 && lengths[b] <= T, "{}: lengths[{}] = {} is outside [0, {}] (the padded length T)",
          type_name(), b, lengths[b], T);
  }
  return lengths;
}

std::string RNNBase::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size, hidden_size);
  if (options.num_layers != 1) s += fmt::format(", num_layers={}", options.num_layers);
  if (!options.bias) s += ", bias=False";
  if (options.batch_first) s += ", batch_first=True";
  if (options.dropout != 0.0) s += fmt::format(", dropout={}", options.dropout);
  if (options.bidirectional) s += ", bidirectional=True";
  return s;
}

}  // namespace glimpse::nn

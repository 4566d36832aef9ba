// nn::RNNBase: what the stacked recurrent layers nn::LSTM and nn::GRU share, as torch.nn.RNNBase does for PyTorch's:
// their options, PyTorch's per-layer parameter names and initialisation, the checks of the input sequence and of the
// initial state, and the repr. Each subclass adds only its recurrence (nn/lstm.cpp, nn/gru.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/module.h"

namespace glimpse::nn {

// U(-1/√H, 1/√H) in place, PyTorch's initialisation of every recurrent weight and bias (LSTM, GRU, LSTMCell).
Variable recurrent_uniform_(Variable p, int64_t hidden_size);
// The gate activations of the fused recurrences (nn/lstm.cpp, nn/gru.cpp), in place over n contiguous elements:
// float32 through the vectorised kernels of tensor/vecmath.h (a few ulp from libm, see there), float64 through the
// scalar libm (gradcheck and the reference tests want it exact).
void sigmoid_inplace(float* p, int64_t n);
void sigmoid_inplace(double* p, int64_t n);
void tanh_inplace(float* p, int64_t n);
void tanh_inplace(double* p, int64_t n);
// The size checks every recurrent module makes, naming it: "LSTM: hidden_size must be > 0, got 0".
void check_recurrent_sizes(const char* op, int64_t input_size, int64_t hidden_size);

struct RNNOptions {
  int64_t num_layers = 1;    // stacked layers: layer k reads the output sequence of layer k-1
  bool bias = true;
  bool batch_first = false;  // input and output as [B, T, *] instead of [T, B, *] (the states stay [L, B, H])
  double dropout = 0.0;      // dropout on the output of every layer but the last, in training only
  bool bidirectional = false;  // a second set of weights per layer reads each sequence backwards (LSTM only so far)
};

class RNNBase : public Module {
 public:
  std::string extra_repr() const override;  // "3, 4, num_layers=2, batch_first=True"

  // One layer's parameters (weight_ih_lk, ...); the biases are undefined with bias = false. With bidirectional,
  // layer(k, 1) is the reverse direction (weight_ih_lk_reverse, ...).
  struct LayerWeights {
    Variable weight_ih, weight_hh, bias_ih, bias_hh;
  };
  const LayerWeights& layer(int64_t k, int64_t direction = 0) const {
    return layers_.at(k * (options.bidirectional ? 2 : 1) + direction);
  }

  int64_t input_size, hidden_size;
  RNNOptions options;

 protected:
  // Registers, for every layer k, weight_ih_lk [gates*H, in_k], weight_hh_lk [gates*H, H] and (with bias) bias_ih_lk,
  // bias_hh_lk [gates*H] (in_0 = input_size, in_k = D*H after), all ~ U(-1/√H, 1/√H) as PyTorch, and with
  // bidirectional the same again with the suffix _reverse. gates: 4 for LSTM (i, f, g, o), 3 for GRU (r, z, n).
  RNNBase(const std::string& type_name, int64_t gates, int64_t input_size, int64_t hidden_size,
          const RNNOptions& options);

  struct SequenceSizes {
    int64_t T, B;
  };
  // Checks the input is [T, B, input_size] ([B, T, input_size] with batch_first) and returns T and B.
  SequenceSizes check_input(const Variable& input) const;
  // Checks an initial state is undefined or [num_layers * D, B, hidden_size]; `what` names it in the Error ("h_0").
  void check_state(const Variable& state, const char* what, int64_t B) const;
  // Checks sequence lengths (empty, or B numbers in [0, T]) and returns B of them (all T when none were given).
  std::vector<int64_t> check_lengths(const std::vector<int64_t>& lengths, int64_t T, int64_t B) const;

  std::vector<LayerWeights> layers_;  // layer k, direction d at k * D + d
};

}  // namespace glimpse::nn

// nn::LSTMCell and nn::LSTM: long short-term memory recurrent layers (torch.nn.LSTMCell, torch.nn.LSTM).
//
// One step, for input x and state (h, c), with the gates in PyTorch's order i, f, g, o stacked in one weight:
//   [a_i, a_f, a_g, a_o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh          (each [B, H])
//   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
//   c' = f ⊙ c + i ⊙ g        h' = o ⊙ tanh(c')
// The cell state c is a running sum the forget gate f scales, so gradients can travel many steps without vanishing.
//
//   nn::LSTM lstm(3, 16, {.num_layers = 2, .batch_first = true});
//   auto [output, state] = lstm.forward(x);        // x: [B, T, 3] -> output: [B, T, 16]
//   auto [h_n, c_n] = state;                       // each [2, B, 16]
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"
#include "nn/rnn_base.h"

namespace glimpse::nn {

// (h, c). Undefined Variables as an initial state mean zeros, as PyTorch's default.
using LSTMState = std::pair<Variable, Variable>;

class LSTMCell : public Module {
 public:
  // weight_ih: [4H, input_size], weight_hh: [4H, H], bias_ih, bias_hh: [4H], all ~ U(-1/√H, 1/√H) as PyTorch.
  LSTMCell(int64_t input_size, int64_t hidden_size, bool bias = true);

  // x: [B, I] (or [I]), (h, c): [B, H] each (or [H]; undefined = zeros) -> (h', c'): [B, H] each (or [H])
  LSTMState forward(const Variable& x, const LSTMState& hx = {}) const;

  std::string extra_repr() const override;  // "3, 4"

  int64_t input_size, hidden_size;
  Variable weight_ih, weight_hh, bias_ih, bias_hh;  // the biases are undefined with bias = false
};

using LSTMOptions = RNNOptions;  // num_layers, bias, batch_first, dropout (nn/rnn_base.h)

class LSTM : public RNNBase {
 public:
  // Parameters per layer k, named as PyTorch's: weight_ih_lk [4H, in_k], weight_hh_lk [4H, H], bias_ih_lk,
  // bias_hh_lk [4H] (in_0 = input_size, in_k = H after), all ~ U(-1/√H, 1/√H).
  LSTM(int64_t input_size, int64_t hidden_size, const LSTMOptions& options = {});

  // input: [T, B, I] ([B, T, I] with batch_first), hx = (h_0, c_0): [L, B, H] each, or undefined for zeros
  //   -> (output: [T, B, H] ([B, T, H] with batch_first), the last layer's h at every step,
  //       (h_n, c_n): [L, B, H] each, every layer's final state)
  std::pair<Variable, LSTMState> forward(const Variable& input, const LSTMState& hx = {}) const;
};

}  // namespace glimpse::nn

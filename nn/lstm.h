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

// One LSTM step from precomputed input gates, the kernel under LSTMCell: gates_x = x W_ihᵀ + b_ih + b_hh. A decoder
// whose input is [embedding; context] uses it to compute the embeddings' half of the gates for every step in one
// GEMM and only the context's half per step (see models/seq2seq).
// gates_x: [B, 4H], w_hh: [4H, H], (h, c): [B, H] each -> (h', c'): [B, H] each
LSTMState lstm_cell(const Variable& gates_x, const Variable& w_hh, const LSTMState& hx);

using LSTMOptions = RNNOptions;  // num_layers, bias, batch_first, dropout, bidirectional (nn/rnn_base.h)

class LSTM : public RNNBase {
 public:
  // Parameters per layer k, named as PyTorch's: weight_ih_lk [4H, in_k], weight_hh_lk [4H, H], bias_ih_lk,
  // bias_hh_lk [4H] (in_0 = input_size, in_k = H after), all ~ U(-1/√H, 1/√H).
  LSTM(int64_t input_size, int64_t hidden_size, const LSTMOptions& options = {});

  // input: [T, B, I] ([B, T, I] with batch_first), hx = (h_0, c_0): [L*D, B, H] each (D = 2 if bidirectional,
  // else 1), or undefined for zeros; lengths: empty (every sequence is T long) or B numbers in [0, T], the real
  // length of each sequence of a padded batch (what torch's pack_padded_sequence carries; any order, no sorting)
  //   -> (output: [T, B, D*H] ([B, T, D*H] with batch_first), the last layer's h at every step, 0 at padding,
  //       (h_n, c_n): [L*D, B, H] each, every layer's state after each sequence's own last real step)
  // With lengths, padding never changes a real position: the result for a sequence is the same as running it alone.
  std::pair<Variable, LSTMState> forward(const Variable& input, const LSTMState& hx = {},
                                         const std::vector<int64_t>& lengths = {}) const;
};

}  // namespace glimpse::nn

// nn::GRU: gated recurrent unit layers (torch.nn.GRU).
//
// One step, for input x and state h, with the gates in PyTorch's order r, z, n stacked in one weight:
//   r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)             reset gate
//   z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)             update gate
//   n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))    candidate state
//   h' = (1 - z) ⊙ n + z ⊙ h
// (PyTorch's variant: r scales h W_hnᵀ + b_hn, not h before the product, so b_hn sits inside the product.)
//
//   nn::GRU gru(3, 16, {.num_layers = 2});
//   auto [output, h_n] = gru.forward(x);   // x: [T, B, 3] -> output: [T, B, 16], h_n: [2, B, 16]
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "nn/rnn_base.h"

namespace glimpse::nn {

using GRUOptions = RNNOptions;  // num_layers, bias, batch_first, dropout (nn/rnn_base.h); no bidirectional yet

class GRU : public RNNBase {
 public:
  // Parameters per layer k, named as PyTorch's: weight_ih_lk [3H, in_k], weight_hh_lk [3H, H], bias_ih_lk,
  // bias_hh_lk [3H] (in_0 = input_size, in_k = H after), all ~ U(-1/√H, 1/√H).
  GRU(int64_t input_size, int64_t hidden_size, const GRUOptions& options = {});

  // input: [T, B, I] ([B, T, I] with batch_first), h_0: [L, B, H] or undefined for zeros, lengths: empty (all T
  // long) or B numbers in [0, T], the real length of each sequence of a padded batch
  //   -> (output: [T, B, H] ([B, T, H] with batch_first), the last layer's h at every step, 0 at padding,
  //       h_n: [L, B, H], every layer's state after each sequence's own last real step)
  std::pair<Variable, Variable> forward(const Variable& input, const Variable& h0 = Variable(),
                                        const std::vector<int64_t>& lengths = {}) const;
};

}  // namespace glimpse::nn

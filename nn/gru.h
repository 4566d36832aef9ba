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
#include <string>
#include <utility>
#include <vector>

#include "nn/module.h"

namespace glimpse::nn {

struct GRUOptions {
  int64_t num_layers = 1;    // stacked layers: layer k reads the output sequence of layer k-1
  bool bias = true;
  bool batch_first = false;  // input and output as [B, T, *] instead of [T, B, *] (h stays [L, B, H])
  double dropout = 0.0;      // dropout on the output of every layer but the last, in training only
};

class GRU : public Module {
 public:
  // Parameters per layer k, named as PyTorch's: weight_ih_lk [3H, in_k], weight_hh_lk [3H, H], bias_ih_lk,
  // bias_hh_lk [3H] (in_0 = input_size, in_k = H after), all ~ U(-1/√H, 1/√H).
  GRU(int64_t input_size, int64_t hidden_size, const GRUOptions& options = {});

  // input: [T, B, I] ([B, T, I] with batch_first), h_0: [L, B, H] or undefined for zeros
  //   -> (output: [T, B, H] ([B, T, H] with batch_first), the last layer's h at every step,
  //       h_n: [L, B, H], every layer's final state)
  std::pair<Variable, Variable> forward(const Variable& input, const Variable& h0 = Variable()) const;

  std::string extra_repr() const override;  // "3, 4, num_layers=2"

  // One layer's parameters (weight_ih_lk, ...); the biases are undefined with bias = false.
  struct LayerWeights {
    Variable weight_ih, weight_hh, bias_ih, bias_hh;
  };
  const LayerWeights& layer(int64_t k) const { return layers_.at(k); }

  int64_t input_size, hidden_size;
  GRUOptions options;

 private:
  std::vector<LayerWeights> layers_;
};

}  // namespace glimpse::nn

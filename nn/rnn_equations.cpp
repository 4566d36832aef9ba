// The LSTM and GRU cells as equations on Variables (see rnn_equations.h).
#include "nn/rnn_equations.h"

#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_shape.h"

namespace glimpse::nn {
namespace {

// x Wᵀ + b, with b optional: x: [B, in], W: [out, in], b: [out] -> [B, out]
Variable affine(const Variable& x, const Variable& W, const Variable& b) {
  Variable y = matmul(x, W.t());
  return b.defined() ? y + b : y;
}

}  // namespace

LSTMState lstm_cell_equations(const Variable& x, const LSTMState& state, const Variable& weight_ih,
                              const Variable& weight_hh, const Variable& bias_ih, const Variable& bias_hh) {
  const auto& [h, c] = state;
  // The four gates' pre-activations, stacked along the last dim: [B, 4H] -> four [B, H].
  std::vector<Variable> a = chunk(affine(x, weight_ih, bias_ih) + affine(h, weight_hh, bias_hh), 4, 1);
  Variable i = sigmoid(a[0]);       // input gate: how much of the candidate to write
  Variable f = sigmoid(a[1]);       // forget gate: how much of the old cell to keep
  Variable g = tanh(a[2]);          // the candidate values
  Variable o = sigmoid(a[3]);       // output gate: how much of the cell to show
  Variable c_next = f * c + i * g;  // c' = f ⊙ c + i ⊙ g
  Variable h_next = o * tanh(c_next);
  return {h_next, c_next};
}

Variable gru_cell_equations(const Variable& x, const Variable& h, const Variable& weight_ih, const Variable& weight_hh,
                            const Variable& bias_ih, const Variable& bias_hh) {
  std::vector<Variable> xi = chunk(affine(x, weight_ih, bias_ih), 3, 1);  // x's part of r, z, n: three [B, H]
  std::vector<Variable> hh = chunk(affine(h, weight_hh, bias_hh), 3, 1);  // h's part
  Variable r = sigmoid(xi[0] + hh[0]);     // reset gate
  Variable z = sigmoid(xi[1] + hh[1]);     // update gate
  Variable n = tanh(xi[2] + r * hh[2]);    // candidate: r scales (h W_hnᵀ + b_hn), PyTorch's variant
  return (1.0 - z) * n + z * h;            // h' = (1 - z) ⊙ n + z ⊙ h
}

}  // namespace glimpse::nn

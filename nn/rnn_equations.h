// The LSTM and GRU cells written as their equations, with ordinary Variable ops: what nn::LSTMCell, nn::LSTM and
// nn::GRU compute, in the form a textbook writes it.
//
// The layers themselves run fused kernels (nn/rnn_base.cpp: one GEMM for all four gates, then one pass over the gate
// pre-activations with a hand-written backward), because an LSTM step built from a dozen small ops spends most of its
// time recording them. Those kernels are pointer arithmetic; these functions are the definition. The tests check the
// fused layers against them, in value and gradient (tests/nn/test_rnn_equations.cpp), so a reader can trust the
// fast path by reading this one.
#pragma once

#include "autograd/variable.h"
#include "nn/lstm.h"

namespace glimpse::nn {

// One LSTM step with the gates in PyTorch's order i, f, g, o (nn/lstm.h):
//   x: [B, I], h, c: [B, H], weight_ih: [4H, I], weight_hh: [4H, H], bias_ih, bias_hh: [4H] (or undefined)
//   -> (h', c'): [B, H] each
LSTMState lstm_cell_equations(const Variable& x, const LSTMState& state, const Variable& weight_ih,
                              const Variable& weight_hh, const Variable& bias_ih, const Variable& bias_hh);

// One GRU step with the gates in PyTorch's order r, z, n (nn/gru.h):
//   x: [B, I], h: [B, H], weight_ih: [3H, I], weight_hh: [3H, H], bias_ih, bias_hh: [3H] (or undefined) -> h': [B, H]
Variable gru_cell_equations(const Variable& x, const Variable& h, const Variable& weight_ih, const Variable& weight_hh,
                            const Variable& bias_ih, const Variable& bias_hh);

}  // namespace glimpse::nn

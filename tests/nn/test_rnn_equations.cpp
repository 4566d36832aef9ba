// The fused LSTM and GRU layers against their equations written with Variable ops (nn/rnn_equations.h): the same
// outputs, final states and gradients of every parameter, over several steps and two layers.
#include <doctest/doctest.h>

#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "nn/gru.h"
#include "nn/lstm.h"
#include "nn/rnn_equations.h"
#include "tensor/random.h"
#include "nn/helpers.h"

namespace glimpse {
namespace {

using nn_test::close;

// Copies of every parameter's gradient, in registration order.
std::vector<Tensor> grads_of(const nn::Module& m) {
  std::vector<Tensor> out;
  for (const Variable& p : m.parameters()) out.push_back(p.grad().clone());
  return out;
}

TEST_SUITE("nn.rnn_equations") {
  TEST_CASE("LSTM: the fused layer equals the equations unrolled, in value and every gradient (2 layers, float64)") {
    manual_seed(3);
    const int64_t T = 4, B = 3, I = 5, H = 6;
    nn::LSTM lstm(I, H, {.num_layers = 2});
    lstm.to(kFloat64);
    Tensor x = randn({T, B, I}, kFloat64), direction = randn({T, B, H}, kFloat64);

    auto [out, state] = lstm.forward(Variable(x));
    sum(out * Variable(direction) + sum(state.second)).backward();
    std::vector<Tensor> fused_grads = grads_of(lstm);
    lstm.zero_grad();

    // The equations: layer by layer, step by step, from zero states.
    std::vector<Variable> seq;
    for (int64_t t = 0; t < T; ++t) seq.push_back(Variable(x).select(0, t));
    Variable c_sum;
    for (int64_t k = 0; k < 2; ++k) {
      const auto& w = lstm.layer(k);
      nn::LSTMState s{Variable(zeros({B, H}, kFloat64)), Variable(zeros({B, H}, kFloat64))};
      for (int64_t t = 0; t < T; ++t) {
        s = nn::lstm_cell_equations(seq[t], s, w.weight_ih, w.weight_hh, w.bias_ih, w.bias_hh);
        seq[t] = s.first;
      }
      c_sum = c_sum.defined() ? c_sum + sum(s.second) : sum(s.second);
    }
    Variable eq_out = stack(seq, 0);
    CHECK(close(out.data(), eq_out.data(), 1e-12, 1e-12));
    sum(eq_out * Variable(direction) + c_sum).backward();
    std::vector<Tensor> eq_grads = grads_of(lstm);
    REQUIRE(eq_grads.size() == fused_grads.size());
    for (size_t i = 0; i < eq_grads.size(); ++i) CHECK(close(fused_grads[i], eq_grads[i], 1e-10, 1e-12));
  }

  TEST_CASE("GRU: the fused layer equals the equations unrolled, in value and every gradient (float64)") {
    manual_seed(4);
    const int64_t T = 5, B = 2, I = 3, H = 4;
    nn::GRU gru(I, H);
    gru.to(kFloat64);
    Tensor x = randn({T, B, I}, kFloat64), h0 = randn({1, B, H}, kFloat64), direction = randn({T, B, H}, kFloat64);

    auto [out, h_n] = gru.forward(Variable(x), Variable(h0));
    sum(out * Variable(direction)).backward();
    std::vector<Tensor> fused_grads = grads_of(gru);
    gru.zero_grad();

    const auto& w = gru.layer(0);
    Variable h = Variable(h0).select(0, 0);
    std::vector<Variable> hs;
    for (int64_t t = 0; t < T; ++t) {
      h = nn::gru_cell_equations(Variable(x).select(0, t), h, w.weight_ih, w.weight_hh, w.bias_ih, w.bias_hh);
      hs.push_back(h);
    }
    Variable eq_out = stack(hs, 0);
    CHECK(close(out.data(), eq_out.data(), 1e-12, 1e-12));
    CHECK(close(h_n.data().select(0, 0), h.data(), 1e-12, 1e-12));
    sum(eq_out * Variable(direction)).backward();
    std::vector<Tensor> eq_grads = grads_of(gru);
    for (size_t i = 0; i < eq_grads.size(); ++i) CHECK(close(fused_grads[i], eq_grads[i], 1e-10, 1e-12));
  }

  TEST_CASE("the equations themselves pass gradcheck (float64)") {
    manual_seed(5);
    auto p = [](const Shape& shape) { return Variable(randn(shape, kFloat64), true); };
    Variable x = p({2, 3}), h = p({2, 4}), c = p({2, 4});
    Variable wi = p({16, 3}), wh = p({16, 4}), bi = p({16}), bh = p({16});
    CHECK(gradcheck([](const std::vector<Variable>& in) {
            auto [h1, c1] = nn::lstm_cell_equations(in[0], {in[1], in[2]}, in[3], in[4], in[5], in[6]);
            return h1 + c1;
          }, {x, h, c, wi, wh, bi, bh}));
    Variable gwi = p({12, 3}), gwh = p({12, 4}), gbi = p({12}), gbh = p({12});
    CHECK(gradcheck([](const std::vector<Variable>& in) {
            return nn::gru_cell_equations(in[0], in[1], in[2], in[3], in[4], in[5]);
          }, {x, h, gwi, gwh, gbi, gbh}));
  }
}

}  // namespace
}  // namespace glimpse

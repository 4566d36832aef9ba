// Tests for nn/lstm: PyTorch's names and init, one step by hand, the layer against the cell, layouts, gradients,
// repr, errors, and PyTorch's numbers for a 2-layer batch_first LSTM.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "autograd/ops_shape.h"
#include "nn/helpers.h"
#include "nn/lstm.h"
#include "tensor/indexing.h"

using namespace glimpse;
using namespace glimpse::nn_test;

namespace {
double sig(double x) { return 1 / (1 + std::exp(-x)); }

std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [n, _] : m.named_parameters()) out.push_back(n);
  return out;
}

// Every output of an LSTM in one vector, so one gradient check covers output, h_n and c_n.
Variable flat(const Variable& y, const nn::LSTMState& s) {
  return cat({y.reshape({-1}), s.first.reshape({-1}), s.second.reshape({-1})});
}
}  // namespace

TEST_SUITE("lstm") {
  TEST_CASE("parameter names, shapes and count are PyTorch's (2 layers)") {
    nn::LSTM lstm(3, 4, {.num_layers = 2});
    CHECK(names_of(lstm) == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                                     "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"});
    CHECK(lstm.layer(0).weight_ih.shape() == Shape{16, 3});
    CHECK(lstm.layer(0).weight_hh.shape() == Shape{16, 4});
    CHECK(lstm.layer(1).weight_ih.shape() == Shape{16, 4});
    CHECK(lstm.layer(1).bias_hh.shape() == Shape{16});
    CHECK(lstm.num_parameters() == 16 * 3 + 16 * 4 + 32 + 16 * 4 + 16 * 4 + 32);  // 304, as torch counts
    nn::LSTM no_bias(3, 4, {.bias = false});
    CHECK(names_of(no_bias) == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"});
    nn::LSTMCell cell(3, 4);
    CHECK(names_of(cell) == std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  }

  TEST_CASE("init: every parameter in U(-1/sqrt(H), 1/sqrt(H))") {
    manual_seed(0);
    nn::LSTM lstm(5, 16, {.num_layers = 2});
    for (const auto& [name, p] : lstm.named_parameters()) {
      double m = 0;
      for (double v : p.data().tolist()) m = std::max(m, std::abs(v));
      CHECK(m <= 0.25);
      CHECK(m > 0.2);
    }
  }

  TEST_CASE("one cell step by hand (gate order i, f, g, o)") {
    nn::LSTMCell cell(1, 1);
    assign(cell.weight_ih, tensor({1, 2, 3, 4}, {4, 1}));
    assign(cell.weight_hh, tensor({0.5, -0.5, 1, -1}, {4, 1}));
    assign(cell.bias_ih, tensor({0, 0.25, 0, 0}, {4}));
    assign(cell.bias_hh, tensor({0, -0.25, 0.5, 0}, {4}));
    // x = 1, h = 1, c = 0.5: pre-activations [1.5, 1.5, 4.5, 3]
    auto [h, c] = cell.forward(Variable(tensor({1.0}, {1, 1})),
                               {Variable(tensor({1.0}, {1, 1})), Variable(tensor({0.5}, {1, 1}))});
    const double i = sig(1.5), f = sig(1.5), g = std::tanh(4.5), o = sig(3.0);
    const double c1 = f * 0.5 + i * g, h1 = o * std::tanh(c1);
    CHECK(c.data().item() == doctest::Approx(c1).epsilon(1e-6));
    CHECK(h.data().item() == doctest::Approx(h1).epsilon(1e-6));
    CHECK(h.shape() == Shape{1, 1});
    // No state means zeros: c' = i g, h' = o tanh(c') with pre-activations x W_ih + b = [1, 2.25, 3.5, 4]
    auto [h0, c0] = cell.forward(Variable(tensor({1.0}, {1, 1})));
    const double c_z = sig(1.0) * std::tanh(3.5);
    CHECK(c0.data().item() == doctest::Approx(c_z).epsilon(1e-6));
    CHECK(h0.data().item() == doctest::Approx(sig(4.0) * std::tanh(c_z)).epsilon(1e-6));
    // Unbatched input [I] gives unbatched states [H].
    auto [hu, cu] =
        cell.forward(Variable(tensor({1.0}, {1})), {Variable(tensor({1.0}, {1})), Variable(tensor({0.5}, {1}))});
    CHECK(hu.shape() == Shape{1});
    CHECK(hu.data().item() == doctest::Approx(h1).epsilon(1e-6));
    CHECK(cu.data().item() == doctest::Approx(c1).epsilon(1e-6));
  }

  TEST_CASE("two steps of a one-layer LSTM by hand") {
    nn::LSTM lstm(1, 1);
    assign(lstm.layer(0).weight_ih, tensor({1, 2, 3, 4}, {4, 1}));
    assign(lstm.layer(0).weight_hh, tensor({0.5, -0.5, 1, -1}, {4, 1}));
    assign(lstm.layer(0).bias_ih, zeros({4}));
    assign(lstm.layer(0).bias_hh, zeros({4}));
    auto [y, state] = lstm.forward(Variable(tensor({1.0, -1.0}, {2, 1, 1})));  // T = 2, B = 1
    double h = 0, c = 0;
    std::vector<double> hs;
    for (double x : {1.0, -1.0}) {
      const double i = sig(x + 0.5 * h), f = sig(2 * x - 0.5 * h), g = std::tanh(3 * x + h), o = sig(4 * x - h);
      c = f * c + i * g;
      h = o * std::tanh(c);
      hs.push_back(h);
    }
    CHECK(close(y.data(), tensor(hs, {2, 1, 1})));
    CHECK(close(state.first.data(), tensor({h}, {1, 1, 1})));
    CHECK(close(state.second.data(), tensor({c}, {1, 1, 1})));
  }

  TEST_CASE("the layer equals the cell unrolled, batch_first is the same numbers transposed") {
    manual_seed(1);
    nn::LSTM lstm(3, 4);
    nn::LSTMCell cell(3, 4);
    cell.load_state_dict({.tensors = {{"weight_ih", lstm.layer(0).weight_ih.data()},
                                      {"weight_hh", lstm.layer(0).weight_hh.data()},
                                      {"bias_ih", lstm.layer(0).bias_ih.data()},
                                      {"bias_hh", lstm.layer(0).bias_hh.data()}}});
    Tensor x = randn({5, 2, 3});
    Variable h0(randn({1, 2, 4})), c0(randn({1, 2, 4}));
    auto [y, state] = lstm.forward(Variable(x), {h0, c0});
    nn::LSTMState s{h0.select(0, 0), c0.select(0, 0)};
    for (int64_t t = 0; t < 5; ++t) {
      s = cell.forward(Variable(x.select(0, t)), s);
      CHECK(close(y.data().select(0, t), s.first.data()));
    }
    CHECK(close(state.second.data().select(0, 0), s.second.data()));

    nn::LSTM bf(3, 4, {.batch_first = true});
    bf.load_state_dict(lstm.state_dict());
    auto [yb, sb] = bf.forward(Variable(x.transpose(0, 1)), {h0, c0});  // a transposed (non-contiguous) view
    CHECK(yb.shape() == Shape{2, 5, 4});
    CHECK(close(yb.data(), y.data().transpose(0, 1)));
    CHECK(close(sb.first.data(), state.first.data()));
  }

  TEST_CASE("zero initial state equals explicit zeros, empty sequences, dropout is off in eval") {
    manual_seed(2);
    nn::LSTM lstm(2, 3, {.num_layers = 2, .dropout = 0.5});
    lstm.eval();
    Variable x(randn({4, 2, 2}));
    auto [y1, s1] = lstm.forward(x);
    auto [y2, s2] = lstm.forward(x, {Variable(zeros({2, 2, 3})), Variable(zeros({2, 2, 3}))});
    CHECK(equal(y1.data(), y2.data()));
    CHECK(equal(s1.second.data(), s2.second.data()));
    auto [y0, s0] = lstm.forward(Variable(zeros({0, 2, 2})));
    CHECK(y0.shape() == Shape{0, 2, 3});
    CHECK(s0.first.shape() == Shape{2, 2, 3});
    CHECK(s0.first.data().tolist() == std::vector<double>(12, 0.0));
    auto [yb, sb] = lstm.forward(Variable(zeros({4, 0, 2})));  // an empty batch
    CHECK(yb.shape() == Shape{4, 0, 3});
    CHECK(sb.second.shape() == Shape{2, 0, 3});
  }

  TEST_CASE("gradcheck of a 2-layer LSTM w.r.t. input, h0, c0 and every parameter (float64)") {
    manual_seed(3);
    nn::LSTM lstm(2, 3, {.num_layers = 2, .batch_first = true});
    lstm.to(kFloat64);
    Variable x(randn({2, 3, 2}, kFloat64), true);
    Variable h0(randn({2, 2, 3}, kFloat64), true), c0(randn({2, 2, 3}, kFloat64), true);
    auto fn = [&](const std::vector<Variable>& in) {
      auto [y, s] = lstm.forward(in[0], {in[1], in[2]});
      return flat(y, s);
    };
    CHECK(module_gradcheck(lstm, fn, {x, h0, c0}) == "");
    auto no_state = [&](const std::vector<Variable>& in) {
      auto [y, s] = lstm.forward(in[0]);
      return flat(y, s);
    };
    CHECK(module_gradcheck(lstm, no_state, {x}) == "");

    nn::LSTMCell cell(2, 3);
    cell.to(kFloat64);
    Variable xc(randn({2, 2}, kFloat64), true);
    auto cell_fn = [&](const std::vector<Variable>& in) {
      auto [h, c] = cell.forward(in[0], {in[1], in[2]});
      return cat({h.reshape({-1}), c.reshape({-1})});
    };
    Variable hc(randn({2, 3}, kFloat64), true), cc(randn({2, 3}, kFloat64), true);
    CHECK(module_gradcheck(cell, cell_fn, {xc, hc, cc}) == "");
  }

  TEST_CASE("lengths: a padded batch gives each sequence what it gives alone (2 layers, bidirectional)") {
    manual_seed(11);
    nn::LSTM lstm(2, 3, {.num_layers = 2, .bidirectional = true});
    const std::vector<int64_t> lengths{5, 2, 3, 1};
    Tensor x = randn({5, 4, 2});
    Variable h0(randn({4, 4, 3})), c0(randn({4, 4, 3}));
    auto [y, s] = lstm.forward(Variable(x), {h0, c0}, lengths);
    CHECK(y.shape() == Shape{5, 4, 6});
    CHECK(s.first.shape() == Shape{4, 4, 3});
    for (int64_t b = 0; b < 4; ++b) {
      const int64_t n = lengths[b];
      Variable xb(x.narrow(0, 0, n).narrow(1, b, 1).contiguous());
      auto [ya, sa] = lstm.forward(xb, {h0.narrow(1, b, 1), c0.narrow(1, b, 1)});
      CHECK(close(y.data().narrow(0, 0, n).narrow(1, b, 1), ya.data()));
      CHECK(close(s.first.data().narrow(1, b, 1), sa.first.data()));
      CHECK(close(s.second.data().narrow(1, b, 1), sa.second.data()));
      if (n < 5) CHECK(sum_all(abs(y.data().narrow(0, n, 5 - n).narrow(1, b, 1))) == 0.0);  // padding outputs 0
    }
    // Without lengths the padding does change the final state: the test above can fail.
    auto [yp, sp] = lstm.forward(Variable(x), {h0, c0});
    CHECK_FALSE(close(sp.first.data().narrow(1, 1, 1), s.first.data().narrow(1, 1, 1)));
  }

  TEST_CASE("bidirectional: the reverse half is a one-way LSTM over each sequence read backwards") {
    manual_seed(12);
    nn::LSTM bi(2, 3, {.bidirectional = true}), fwd(2, 3), bwd(2, 3);
    CHECK(names_of(bi) == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                                   "weight_ih_l0_reverse", "weight_hh_l0_reverse",
                                                   "bias_ih_l0_reverse", "bias_hh_l0_reverse"});
    const auto w = bi.state_dict();
    auto with_suffix = [&](const std::string& suffix) {
      NamedTensors d;
      for (const char* n : {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}) {
        d.add(n, w.at(std::string(n) + suffix));
      }
      return d;
    };
    fwd.load_state_dict(with_suffix(""));
    bwd.load_state_dict(with_suffix("_reverse"));
    Tensor x = randn({4, 1, 2});
    auto [y, s] = bi.forward(Variable(x), {}, {3});  // the last position is padding
    auto [yf, sf] = fwd.forward(Variable(x.narrow(0, 0, 3).contiguous()));
    Tensor flipped = index_select(x, 0, tensor(std::vector<int64_t>{2, 1, 0}));
    auto [yb, sb] = bwd.forward(Variable(flipped));
    CHECK(close(y.data().narrow(0, 0, 3).narrow(2, 0, 3), yf.data()));
    CHECK(close(y.data().narrow(0, 0, 3).narrow(2, 3, 3), index_select(yb.data(), 0,
                                                                      tensor(std::vector<int64_t>{2, 1, 0}))));
    CHECK(close(s.first.data().select(0, 1), sb.first.data().select(0, 0)));
    CHECK(bi.extra_repr() == "2, 3, bidirectional=True");
  }

  TEST_CASE("gradcheck with lengths: 2-layer bidirectional LSTM, input, h0, c0 and every parameter (float64)") {
    manual_seed(13);
    nn::LSTM lstm(2, 3, {.num_layers = 2, .batch_first = true, .bidirectional = true});
    lstm.to(kFloat64);
    Variable x(randn({3, 4, 2}, kFloat64), true);
    Variable h0(randn({4, 3, 3}, kFloat64), true), c0(randn({4, 3, 3}, kFloat64), true);
    auto fn = [&](const std::vector<Variable>& in) {
      auto [y, s] = lstm.forward(in[0], {in[1], in[2]}, {4, 1, 2});
      return flat(y, s);
    };
    CHECK(module_gradcheck(lstm, fn, {x, h0, c0}) == "");
  }

  TEST_CASE("lengths errors") {
    nn::LSTM lstm(3, 4);
    Variable x(zeros({5, 2, 3}));
    CHECK_THROWS_WITH_AS(lstm.forward(x, {}, {5}), doctest::Contains("1 lengths given for a batch of 2"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(lstm.forward(x, {}, {5, 6}), doctest::Contains("lengths[1] = 6 is outside [0, 5]"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(lstm.forward(x, {}, {-1, 2}), doctest::Contains("LSTM: lengths[0]"), glimpse::Error);
    nn::LSTM bi(3, 4, {.bidirectional = true});
    const Variable one(zeros({1, 2, 4}));
    CHECK_THROWS_WITH_AS(bi.forward(x, {one, one}), doctest::Contains("[num_layers * 2, B, hidden_size] = [2, 2, 4]"),
                         glimpse::Error);
  }

  TEST_CASE("repr as PyTorch") {
    CHECK(nn::LSTM(3, 4).extra_repr() == "3, 4");
    CHECK(nn::LSTM(3, 4, {.num_layers = 2, .batch_first = true}).extra_repr() ==
          "3, 4, num_layers=2, batch_first=True");
    CHECK(nn::LSTM(3, 4, {.bias = false, .dropout = 0.25}).extra_repr() == "3, 4, bias=False, dropout=0.25");
    CHECK(nn::LSTMCell(3, 4).repr() == "LSTMCell(3, 4)\nparameters: 144 in 4 tensors");
  }

  TEST_CASE("errors") {
    nn::LSTM lstm(3, 4, {.num_layers = 2});
    CHECK_THROWS_WITH_AS(lstm.forward(Variable(zeros({5, 2, 2}))), doctest::Contains("input_size is 3"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(lstm.forward(Variable(zeros({5, 3}))), doctest::Contains("LSTM"), glimpse::Error);
    const Variable one_layer(zeros({1, 2, 4}));
    CHECK_THROWS_WITH_AS(lstm.forward(Variable(zeros({5, 2, 3})), {one_layer, one_layer}),
                         doctest::Contains("[2, 2, 4]"), glimpse::Error);
    CHECK_THROWS_WITH_AS(lstm.forward(Variable(zeros({5, 2, 3})), {Variable(zeros({2, 2, 4})), Variable()}),
                         doctest::Contains("LSTM"), glimpse::Error);
    CHECK_THROWS_WITH_AS(lstm.forward(Variable(zeros({5, 2, 3}, kFloat64))), doctest::Contains("matmul"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::LSTM(3, 0), doctest::Contains("hidden_size"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::LSTM(3, 4, {.num_layers = 0}), doctest::Contains("num_layers"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::LSTM(3, 4, {.dropout = 2.0}), doctest::Contains("dropout"), glimpse::Error);
    nn::LSTMCell cell(3, 4);
    CHECK_THROWS_WITH_AS(cell.forward(Variable(zeros({2, 4}))), doctest::Contains("LSTMCell"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cell.forward(Variable(zeros({2, 3})), {Variable(zeros({2, 3})), Variable(zeros({2, 4}))}),
                         doctest::Contains("LSTMCell"), glimpse::Error);
  }

  TEST_CASE("matches PyTorch: 2 layers, batch_first, given (h0, c0): outputs and every gradient") {
    NamedTensors ref = load_reference("lstm");
    nn::LSTM lstm(3, 4, {.num_layers = 2, .batch_first = true});
    lstm.load_state_dict(reference_weights(ref, lstm));
    Variable x(ref.at("in.x").clone(), true), h0(ref.at("in.h0").clone(), true), c0(ref.at("in.c0").clone(), true);
    auto [y, state] = lstm.forward(x, {h0, c0});
    auto [h, c] = state;
    CHECK(close(y.data(), ref.at("out.y")));
    CHECK(close(h.data(), ref.at("out.h")));
    CHECK(close(c.data(), ref.at("out.c")));
    // L = sum(y w_y) + sum(h w_h) + sum(c w_c), as one backward through the concatenation.
    flat(y, state).backward(
        cat({ref.at("w.y").reshape({-1}), ref.at("w.h").reshape({-1}), ref.at("w.c").reshape({-1})}));
    CHECK(close(x.grad(), ref.at("grad.x")));
    CHECK(close(h0.grad(), ref.at("grad.h0")));
    CHECK(close(c0.grad(), ref.at("grad.c0")));
    for (const auto& [name, p] : lstm.named_parameters()) {
      INFO(name);
      CHECK(close(p.grad(), ref.at("grad." + name)));
    }
  }

  TEST_CASE("state_dict round trip through a file") {
    const std::string path = temp_path("lstm.safetensors");
    nn::LSTM a(3, 4, {.num_layers = 2}), b(3, 4, {.num_layers = 2});
    a.save(path);
    b.load(path);
    CHECK(same_as_snapshot(b, snapshot(a)));
    std::remove(path.c_str());
  }
}

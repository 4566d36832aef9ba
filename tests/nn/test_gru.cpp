// Tests for nn/gru: PyTorch's names, steps by hand (gate order r, z, n, with r on W_hn h + b_hn), layouts,
// gradients, repr, errors, and PyTorch's numbers for a 2-layer GRU.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/ops_shape.h"
#include "nn/gru.h"
#include "nn/helpers.h"
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

Variable flat(const Variable& y, const Variable& h) { return cat({y.reshape({-1}), h.reshape({-1})}); }
}  // namespace

TEST_SUITE("gru") {
  TEST_CASE("parameter names, shapes and count are PyTorch's") {
    nn::GRU gru(3, 4, {.num_layers = 2});
    CHECK(names_of(gru) == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                                    "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"});
    CHECK(gru.layer(0).weight_ih.shape() == Shape{12, 3});
    CHECK(gru.layer(1).weight_ih.shape() == Shape{12, 4});
    CHECK(gru.num_parameters() == 12 * 3 + 12 * 4 + 24 + 12 * 4 + 12 * 4 + 24);  // 228, as torch counts
    nn::GRU no_bias(3, 4, {.bias = false});
    CHECK(names_of(no_bias) == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0"});
    manual_seed(0);
    nn::GRU big(5, 16);
    for (const auto& [name, p] : big.named_parameters()) {
      double m = 0;
      for (double v : p.data().tolist()) m = std::max(m, std::abs(v));
      CHECK(m <= 0.25);
      CHECK(m > 0.2);
    }
  }

  TEST_CASE("two steps by hand, r multiplies (W_hn h + b_hn)") {
    nn::GRU gru(1, 1);
    assign(gru.layer(0).weight_ih, tensor({1, 2, 3}, {3, 1}));
    assign(gru.layer(0).weight_hh, tensor({0.5, -0.5, 2}, {3, 1}));
    assign(gru.layer(0).bias_ih, tensor({0.1, 0.2, 0.3}, {3}));
    assign(gru.layer(0).bias_hh, tensor({-0.1, 0.4, 0.7}, {3}));
    double h = 0.8;
    auto [y, hn] = gru.forward(Variable(tensor({1.0, -2.0}, {2, 1, 1})), Variable(tensor({h}, {1, 1, 1})));
    std::vector<double> hs;
    for (double x : {1.0, -2.0}) {
      const double r = sig(1 * x + 0.1 + 0.5 * h - 0.1);
      const double z = sig(2 * x + 0.2 - 0.5 * h + 0.4);
      const double n = std::tanh(3 * x + 0.3 + r * (2 * h + 0.7));
      h = (1 - z) * n + z * h;
      hs.push_back(h);
    }
    CHECK(close(y.data(), tensor(hs, {2, 1, 1})));
    CHECK(close(hn.data(), tensor({h}, {1, 1, 1})));
  }

  TEST_CASE("batch_first is the same numbers transposed, zero state equals explicit zeros, empty sequences") {
    manual_seed(1);
    nn::GRU gru(3, 4, {.num_layers = 2});
    nn::GRU bf(3, 4, {.num_layers = 2, .batch_first = true});
    bf.load_state_dict(gru.state_dict());
    Tensor x = randn({5, 2, 3});
    auto [y, h] = gru.forward(Variable(x));
    auto [yb, hb] = bf.forward(Variable(x.transpose(0, 1)));
    CHECK(close(yb.data(), y.data().transpose(0, 1)));
    CHECK(close(hb.data(), h.data()));
    auto [yz, hz] = gru.forward(Variable(x), Variable(zeros({2, 2, 4})));
    CHECK(equal(yz.data(), y.data()));
    auto [y0, h0] = gru.forward(Variable(zeros({0, 2, 3})));
    CHECK(y0.shape() == Shape{0, 2, 4});
    CHECK(h0.data().tolist() == std::vector<double>(16, 0.0));
    auto [ye, he] = gru.forward(Variable(zeros({5, 0, 3})));  // an empty batch
    CHECK(ye.shape() == Shape{5, 0, 4});
    CHECK(he.shape() == Shape{2, 0, 4});
  }

  TEST_CASE("gradcheck of a 2-layer GRU w.r.t. input, h0 and every parameter (float64)") {
    manual_seed(2);
    nn::GRU gru(2, 3, {.num_layers = 2});
    gru.to(kFloat64);
    Variable x(randn({3, 2, 2}, kFloat64), true), h0(randn({2, 2, 3}, kFloat64), true);
    auto fn = [&](const std::vector<Variable>& in) {
      auto [y, h] = gru.forward(in[0], in[1]);
      return flat(y, h);
    };
    CHECK(module_gradcheck(gru, fn, {x, h0}) == "");
    nn::GRU nb(2, 3, {.bias = false, .batch_first = true});
    nb.to(kFloat64);
    auto fn_nb = [&](const std::vector<Variable>& in) {
      auto [y, h] = nb.forward(in[0]);
      return flat(y, h);
    };
    CHECK(module_gradcheck(nb, fn_nb, {x}) == "");
  }

  TEST_CASE("lengths: a padded batch gives each sequence what it gives alone (2 layers)") {
    manual_seed(11);
    nn::GRU gru(2, 3, {.num_layers = 2});
    const std::vector<int64_t> lengths{2, 5, 0};
    Tensor x = randn({5, 3, 2});
    Variable h0(randn({2, 3, 3}));
    auto [y, h] = gru.forward(Variable(x), h0, lengths);
    for (int64_t b = 0; b < 3; ++b) {
      const int64_t n = lengths[b];
      if (n == 0) {  // nothing to read: the state passes through
        CHECK(close(h.data().narrow(1, b, 1), h0.data().narrow(1, b, 1)));
        continue;
      }
      auto [ya, ha] = gru.forward(Variable(x.narrow(0, 0, n).narrow(1, b, 1).contiguous()), h0.narrow(1, b, 1));
      CHECK(close(y.data().narrow(0, 0, n).narrow(1, b, 1), ya.data()));
      CHECK(close(h.data().narrow(1, b, 1), ha.data()));
      if (n < 5) CHECK(sum_all(abs(y.data().narrow(0, n, 5 - n).narrow(1, b, 1))) == 0.0);
    }
    CHECK_THROWS_WITH_AS(nn::GRU(2, 3, {.bidirectional = true}), doctest::Contains("GRU: bidirectional"),
                         glimpse::Error);
  }

  TEST_CASE("gradcheck with lengths: 2-layer GRU, input, h0 and every parameter (float64)") {
    manual_seed(12);
    nn::GRU gru(2, 3, {.num_layers = 2, .batch_first = true});
    gru.to(kFloat64);
    Variable x(randn({3, 4, 2}, kFloat64), true), h0(randn({2, 3, 3}, kFloat64), true);
    auto fn = [&](const std::vector<Variable>& in) {
      auto [y, h] = gru.forward(in[0], in[1], {3, 4, 1});
      return flat(y, h);
    };
    CHECK(module_gradcheck(gru, fn, {x, h0}) == "");
  }

  TEST_CASE("repr as PyTorch") {
    CHECK(nn::GRU(3, 4).repr() == "GRU(3, 4)\nparameters: 108 in 4 tensors");
    CHECK(nn::GRU(3, 4, {.num_layers = 2, .batch_first = true}).extra_repr() == "3, 4, num_layers=2, batch_first=True");
  }

  TEST_CASE("errors") {
    nn::GRU gru(3, 4);
    CHECK_THROWS_WITH_AS(gru.forward(Variable(zeros({5, 2, 2}))), doctest::Contains("input_size is 3"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(gru.forward(Variable(zeros({2, 3}))), doctest::Contains("GRU"), glimpse::Error);
    CHECK_THROWS_WITH_AS(gru.forward(Variable(zeros({5, 2, 3})), Variable(zeros({1, 3, 4}))),
                         doctest::Contains("[1, 2, 4]"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::GRU(3, 0), doctest::Contains("hidden_size"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::GRU(3, 4, {.num_layers = 0}), doctest::Contains("num_layers"), glimpse::Error);
  }

  TEST_CASE("matches PyTorch: 2 layers, time-major, given h0: outputs and every gradient") {
    NamedTensors ref = load_reference("gru");
    nn::GRU gru(3, 4, {.num_layers = 2});
    gru.load_state_dict(reference_weights(ref, gru));
    Variable x(ref.at("in.x").clone(), true), h0(ref.at("in.h0").clone(), true);
    auto [y, h] = gru.forward(x, h0);
    CHECK(close(y.data(), ref.at("out.y")));
    CHECK(close(h.data(), ref.at("out.h")));
    flat(y, h).backward(cat({ref.at("w.y").reshape({-1}), ref.at("w.h").reshape({-1})}));
    CHECK(close(x.grad(), ref.at("grad.x")));
    CHECK(close(h0.grad(), ref.at("grad.h0")));
    for (const auto& [name, p] : gru.named_parameters()) {
      INFO(name);
      CHECK(close(p.grad(), ref.at("grad." + name)));
    }
  }
}

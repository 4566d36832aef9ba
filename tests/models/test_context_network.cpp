// Tests for models/context_network.h: the forward equals the tutorial's formula, gradients are right, errors are clear.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/grad_mode.h"
#include "autograd/ops_loss.h"
#include "models/context_network.h"
#include "nn/helpers.h"
#include "tensor/error.h"
#include "optim/adam.h"
#include "tensor/random.h"

using namespace glimpse;
using nn_test::assign;

TEST_CASE("context network: forward is fc(x * a[c]) on fixed weights") {
  models::ContextNetwork net(3, 4);
  CHECK(net.named_parameters().size() == 3);
  CHECK(net.named_parameters()[0].first == "attention.weight");
  CHECK(net.named_parameters()[1].first == "fc.weight");
  CHECK(net.named_parameters()[2].first == "fc.bias");
  const std::vector<double> a = {1, 0, 0, 0, 0, 2, 0, -1, 0.5, 0.5, 0.5, 0.5};  // [3, 4]
  const std::vector<double> w = {1, 2, 3, 4}, b = {0.25};
  assign(net.attention_table.weight, tensor(a, {3, 4}));
  assign(net.fc.weight, tensor(w, {1, 4}));
  assign(net.fc.bias, tensor(b));
  const std::vector<double> x = {0.1, 0.2, 0.3, 0.4, 1, 2, 3, 4, -1, 0, 1, 2};  // [3, 4]
  const std::vector<int64_t> c = {1, 2, 0};
  const Variable y = net.forward(Variable(tensor(x, {3, 4})), tensor(c));
  REQUIRE(y.shape() == Shape{3, 1});
  const std::vector<double> got = y.data().tolist();
  for (int i = 0; i < 3; ++i) {
    double expect = b[0];
    for (int j = 0; j < 4; ++j) expect += x[i * 4 + j] * a[c[i] * 4 + j] * w[j];
    CHECK(got[i] == doctest::Approx(expect).epsilon(1e-6));
  }
  // attention(c) is the embedding row; attention_weights() is |a| normalised per context.
  CHECK(net.attention(tensor(std::vector<int64_t>{1})).data().tolist() == std::vector<double>{0, 2, 0, -1});
  const std::vector<double> aw = net.attention_weights().tolist();
  CHECK(aw[4 + 1] == doctest::Approx(2.0 / 3));
  CHECK(aw[4 + 3] == doctest::Approx(1.0 / 3));
  CHECK(aw[8] == doctest::Approx(0.25));
}

TEST_CASE("context network: gradcheck of the input and every parameter in float64") {
  manual_seed(3);
  models::ContextNetwork net(5, 8);
  net.to(kFloat64);
  Variable x(rand({6, 8}, kFloat64), true);
  const Tensor c = tensor(std::vector<int64_t>{0, 4, 2, 2, 1, 3});
  const std::string err = nn_test::module_gradcheck(net, [&](const std::vector<Variable>& in) { return net.forward(in[0], c); }, {x});
  CHECK_MESSAGE(err.empty(), err);
}

TEST_CASE("context network: learns the true position of each context") {
  manual_seed(0);
  models::ContextNetwork net(2, 4);
  optim::Adam opt(net.parameters(), {.lr = 0.05});
  const int truth[2] = {3, 1};
  for (int step = 0; step < 400; ++step) {
    const Tensor x = rand({16, 4});
    const Tensor c = randint(0, 2, {16});
    const std::vector<double> xs = x.tolist(), cs = c.tolist();
    std::vector<double> y;
    for (int i = 0; i < 16; ++i) y.push_back(xs[i * 4 + truth[static_cast<int>(cs[i])]]);
    Variable loss = mse_loss(net.forward(Variable(x), c), Variable(tensor(y, {16, 1})));
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  const std::vector<double> w = net.attention_weights().tolist();
  for (int ctx = 0; ctx < 2; ++ctx) {
    for (int j = 0; j < 4; ++j) {
      if (j != truth[ctx]) CHECK(w[ctx * 4 + truth[ctx]] > w[ctx * 4 + j]);
    }
  }
}

TEST_CASE("context network: bad sizes, shapes and contexts are Errors naming the call") {
  CHECK_THROWS_WITH_AS(models::ContextNetwork(0, 8), doctest::Contains("ContextNetwork"), Error);
  models::ContextNetwork net(5, 8);
  const Tensor c = tensor(std::vector<int64_t>{0, 1});
  CHECK_THROWS_WITH_AS(net.forward(Variable(rand({2, 7})), c), doctest::Contains("ContextNetwork::forward"), Error);
  CHECK_THROWS_WITH_AS(net.forward(Variable(rand({3, 8})), c), doctest::Contains("ContextNetwork::forward"), Error);
  CHECK_THROWS_AS(net.forward(Variable(rand({2, 8})), tensor(std::vector<int64_t>{0, 5})), Error);  // context 5 of 5
  CHECK_THROWS_WITH_AS(net.attention(tensor(std::vector<int64_t>{0, 1}).reshape({1, 2})),
                       doctest::Contains("ContextNetwork::attention"), Error);
}

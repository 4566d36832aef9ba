// Tests for nn/dropout: train/eval behaviour, the 1/(1-p) scaling, gradients through the mask, repr, errors.
#include <doctest/doctest.h>

#include "nn/dropout.h"
#include "nn/helpers.h"

using namespace glimpse;

TEST_SUITE("dropout") {
  TEST_CASE("training: each element is 0 or x / (1 - p), about p of them zero, eval: the identity") {
    manual_seed(0);
    nn::Dropout drop(0.25);
    CHECK(drop.is_training());
    Variable x(ones({4000}), true);
    Variable y = drop.forward(x);
    int64_t zeros_seen = 0;
    bool only_two_values = true;
    for (double v : y.data().tolist()) {
      if (v == 0.0) ++zeros_seen;
      else only_two_values = only_two_values && std::abs(v - 4.0 / 3.0) < 1e-6;
    }
    CHECK(only_two_values);
    CHECK(std::abs(zeros_seen / 4000.0 - 0.25) < 0.03);  // std error sqrt(0.25 * 0.75 / 4000) = 0.007
    // The gradient goes through the same mask with the same scale.
    y.backward(ones({4000}));
    CHECK(equal(x.grad(), y.data()));

    drop.eval();
    Variable e = drop.forward(x);
    CHECK(equal(e.data(), x.data()));
    drop.train();
    CHECK(drop.is_training());
  }

  TEST_CASE("p = 0 keeps everything, p = 1 drops everything") {
    Variable x(tensor({1, -2, 3}, {3}));
    CHECK(nn::Dropout(0.0).forward(x).data().tolist() == std::vector<double>{1, -2, 3});
    CHECK(nn::Dropout(1.0).forward(x).data().tolist() == std::vector<double>{0, 0, 0});
    CHECK(nn::Dropout().p == 0.5);
  }

  TEST_CASE("repr and errors") {
    CHECK(nn::Dropout(0.1).repr() == "Dropout(p=0.1)\nparameters: 0 in 0 tensors");
    CHECK_THROWS_WITH_AS(nn::Dropout(1.5), doctest::Contains("Dropout"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Dropout(-0.1), doctest::Contains("Dropout"), glimpse::Error);
    CHECK_THROWS_WITH_AS(nn::Dropout(0.5).forward(Variable()), doctest::Contains("Dropout"), glimpse::Error);
  }
}

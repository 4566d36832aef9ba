// Tests for nn/flatten: shapes with the default and chosen dims, gradient passes through unchanged.
#include <doctest/doctest.h>

#include "nn/flatten.h"
#include "nn/helpers.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("flatten") {
  TEST_CASE("keeps the batch dim by default, and flattens the chosen range") {
    Variable x(arange(0, 120, 1, kFloat32).view({2, 3, 4, 5}), false);
    nn::Flatten flat;
    Variable y = flat.forward(x);
    CHECK(y.shape() == Shape{2, 60});
    CHECK(y.data().tolist() == x.data().tolist());
    CHECK(nn::Flatten(0, 1).forward(x).shape() == Shape{6, 4, 5});
    CHECK(nn::Flatten(2).forward(x).shape() == Shape{2, 3, 20});
    CHECK(flat.extra_repr() == "start_dim=1, end_dim=-1");
  }

  TEST_CASE("gradcheck: the gradient is reshaped back") {
    nn::Flatten flat;
    Generator gen(1);
    Variable x(randn({2, 3, 2, 2}, kFloat64, gen), true);
    CHECK(module_gradcheck(flat, [&](const auto& in) { return flat.forward(in[0]); }, {x}) == "");
  }
}

// Tests for nn/adaptive_avg_pool2d: overlapping windows against PyTorch, global pooling, errors.
#include <doctest/doctest.h>

#include "nn/adaptive_avg_pool2d.h"
#include "nn/helpers.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("adaptive_avg_pool2d") {
  TEST_CASE("matches PyTorch: 7x5 down to 3x4") {
    NamedTensors ref = load_reference("adaptive_avg_pool2d");
    nn::AdaptiveAvgPool2d pool({3, 4});
    Variable x(ref.at("in.x").clone(), true);
    Variable y = pool.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x")));
  }

  TEST_CASE("output size {1, 1} is the mean of each plane") {
    nn::AdaptiveAvgPool2d pool({1, 1});
    Tensor x = arange(0, 24, 1, kFloat32).view({1, 2, 3, 4});
    CHECK(pool.forward(Variable(x)).data().tolist() == std::vector<double>{5.5, 17.5});
    CHECK(pool.extra_repr() == "output_size=(1, 1)");
  }

  TEST_CASE("errors name the call") {
    CHECK_THROWS_WITH_AS(nn::AdaptiveAvgPool2d({0, 2}), doctest::Contains("AdaptiveAvgPool2d"), glimpse::Error);
    nn::AdaptiveAvgPool2d pool({2, 2});
    CHECK_THROWS_WITH_AS(pool.forward(Variable(zeros({4, 4}))), doctest::Contains("[N, C, H, W]"), glimpse::Error);
  }
}

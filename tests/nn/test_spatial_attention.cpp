// Tests for nn/spatial_attention: names, output and map against a PyTorch implementation, gradcheck, errors.
#include <doctest/doctest.h>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/helpers.h"
#include "nn/spatial_attention.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("spatial_attention") {
  TEST_CASE("one Conv2d(2 -> 1, 7x7, padding 3)") {
    nn::SpatialAttention sa;
    CHECK(sa.conv.weight.shape() == Shape{1, 2, 7, 7});
    CHECK(sa.named_parameters()[0].first == "conv.weight");
    CHECK(sa.extra_repr() == "kernel_size=7");
  }

  TEST_CASE("matches PyTorch: output, map and gradients") {
    NamedTensors ref = load_reference("spatial_attention");
    nn::SpatialAttention sa(7);
    sa.load_state_dict(reference_weights(ref, sa));
    Variable x(ref.at("in.x").clone(), true);
    auto [y, map] = sa.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    CHECK(close(map.data(), ref.at("out.map")));
    (sum(y * Variable(ref.at("w.y"))) + sum(map * Variable(ref.at("w.map")))).backward();
    CHECK(close(x.grad(), ref.at("grad.x"), 1e-5, 1e-5));
    CHECK(close(sa.conv.weight.grad(), ref.at("grad.conv.weight"), 1e-5, 1e-5));
  }

  TEST_CASE("gradcheck in float64, kernel 3") {
    nn::SpatialAttention sa(3);
    sa.to(kFloat64);
    Generator gen(2);
    Variable x(randn({2, 3, 4, 5}, kFloat64, gen), true);
    CHECK(module_gradcheck(sa, [&](const auto& in) { return sa.forward(in[0]).output; }, {x}) == "");
  }

  TEST_CASE("errors: even kernel, wrong rank") {
    CHECK_THROWS_WITH_AS(nn::SpatialAttention(4), doctest::Contains("odd"), glimpse::Error);
    nn::SpatialAttention sa;
    CHECK_THROWS_WITH_AS(sa.forward(Variable(zeros({3, 4, 5}))), doctest::Contains("[N, C, H, W]"), glimpse::Error);
  }
}

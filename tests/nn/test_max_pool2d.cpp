// Tests for nn/max_pool2d: values and gradients against PyTorch, the stride default, repr, errors.
#include <doctest/doctest.h>

#include "nn/helpers.h"
#include "nn/max_pool2d.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("max_pool2d") {
  TEST_CASE("matches PyTorch: kernel 3, stride 2, padding 1") {
    NamedTensors ref = load_reference("max_pool2d");
    nn::MaxPool2d pool({3, 3}, {.stride = {2, 2}, .padding = {1, 1}});
    Variable x(ref.at("in.x").clone(), true);
    Variable y = pool.forward(x);
    CHECK(close(y.data(), ref.at("out.y")));
    y.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x")));
  }

  TEST_CASE("stride defaults to the kernel size, and repr says so") {
    nn::MaxPool2d pool({2, 2});
    CHECK(pool.forward(Variable(zeros({1, 1, 6, 4}))).shape() == Shape{1, 1, 3, 2});
    CHECK(pool.extra_repr() == "kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)");
    CHECK(pool.named_parameters().empty());
  }

  TEST_CASE("errors name the call") {
    nn::MaxPool2d pool({3, 3});
    CHECK_THROWS_WITH_AS(pool.forward(Variable(zeros({1, 1, 2, 2}))), doctest::Contains("too small"), glimpse::Error);
    CHECK_THROWS_WITH_AS(pool.forward(Variable(zeros({1, 2, 2}))), doctest::Contains("[N, C, H, W]"), glimpse::Error);
  }
}

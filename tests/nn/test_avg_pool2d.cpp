// Tests for nn/avg_pool2d: values and gradients against PyTorch with and without count_include_pad, repr, errors.
#include <doctest/doctest.h>

#include "nn/avg_pool2d.h"
#include "nn/helpers.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("avg_pool2d") {
  TEST_CASE("matches PyTorch: kernel 3, stride 2, padding 1, with and without count_include_pad") {
    for (bool include : {true, false}) {
      NamedTensors ref = load_reference(include ? "avg_pool2d" : "avg_pool2d_nopad");
      nn::AvgPool2d pool({3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .count_include_pad = include});
      Variable x(ref.at("in.x").clone(), true);
      Variable y = pool.forward(x);
      CHECK(close(y.data(), ref.at("out.y")));
      y.backward(ref.at("w.y"));
      CHECK(close(x.grad(), ref.at("grad.x")));
    }
  }

  TEST_CASE("stride defaults to the kernel size") {
    nn::AvgPool2d pool({2, 3});
    CHECK(pool.forward(Variable(zeros({2, 1, 4, 9}))).shape() == Shape{2, 1, 2, 3});
    CHECK(pool.extra_repr() == "kernel_size=(2, 3), stride=(2, 3), padding=(0, 0)");
  }

  TEST_CASE("errors name the call") {
    nn::AvgPool2d pool({2, 2}, {.padding = {2, 2}});
    CHECK_THROWS_WITH_AS(pool.forward(Variable(zeros({1, 1, 4, 4}))), doctest::Contains("avg_pool2d"),
                         glimpse::Error);
  }
}

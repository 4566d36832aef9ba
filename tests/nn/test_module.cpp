// Tests for nn/module.cpp: Module::to (dtype conversion of parameters and buffers).
#include <doctest/doctest.h>

#include "nn/module.h"

using namespace glimpse;

namespace {
struct Toy : nn::Module {
  Toy() : Module("Toy") {
    w = register_parameter("w", tensor({1.5, -2.0}, {2}));
    register_buffer("stat", tensor({0.25}, {1}));
    register_buffer("count", tensor(std::vector<int64_t>{3}, {1}));
    register_module("inner", inner);
  }
  struct Inner : nn::Module {
    Inner() : Module("Inner") { v = register_parameter("v", tensor({4.0, 5.0, 6.0}, {3, 1})); }
    Variable v;
  } inner;
  Variable w;
};
}  // namespace

TEST_SUITE("module") {
  TEST_CASE("to(kFloat64) converts every float parameter and buffer in place, keeping identities") {
    Toy m;
    const std::vector<Variable> held = m.parameters();
    m.w.set_grad(ones({2}));
    m.to(kFloat64);
    CHECK(m.w.dtype() == kFloat64);
    CHECK(m.inner.v.dtype() == kFloat64);
    CHECK(held[0].same(m.w));
    CHECK(held[1].dtype() == kFloat64);
    CHECK(!m.w.grad().defined());  // a float32 gradient would not fit the float64 value
    CHECK(m.w.requires_grad());
    CHECK(m.w.data().tolist() == std::vector<double>{1.5, -2.0});
    CHECK(m.inner.v.data().tolist() == std::vector<double>{4, 5, 6});
    NamedTensors sd = m.state_dict();
    CHECK(sd.at("stat").dtype() == kFloat64);
    CHECK(sd.at("stat").item() == 0.25);
    CHECK(sd.at("count").dtype() == kInt64);  // integer buffers are left alone, as in PyTorch
    m.to(kFloat32);
    CHECK(m.w.dtype() == kFloat32);
    CHECK(m.state_dict().at("stat").dtype() == kFloat32);
  }

  TEST_CASE("to(kInt64) is refused") {
    Toy m;
    CHECK_THROWS_WITH_AS(m.to(kInt64), doctest::Contains("Toy.to"), glimpse::Error);
    CHECK(m.w.dtype() == kFloat32);
  }
}

// Tests for nn/module.cpp: Module::to (dtype conversion of parameters and buffers), weight tying.
#include <doctest/doctest.h>

#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/helpers.h"
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

// Weight tying: a GPT's output head shares its weight with the token embedding.
namespace {
struct Tied : nn::Module {
  Tied() : Module("Tied") {
    register_module("wte", wte);
    register_module("head", head);
    head.w = head.tie_parameter("w", wte.v);
  }
  struct Part : nn::Module {
    explicit Part(double fill) : Module("Part") {
      v = register_parameter("v", full({3, 2}, fill));
      b = register_parameter("b", zeros({2}));
    }
    Variable v, b;
  };
  struct Head : nn::Module {
    Head() : Module("Head") { w = register_parameter("w", full({3, 2}, 7.0)); }
    Variable w;
  };
  Part wte{1.0};
  Head head;
};
}  // namespace

TEST_SUITE("module") {
  TEST_CASE("a tied parameter appears once in parameters(), and in state_dict() under each name as PyTorch's") {
    Tied m;
    CHECK(m.head.w.same(m.wte.v));
    auto named = m.named_parameters();
    REQUIRE(named.size() == 2);
    CHECK(named[0].first == "wte.v");
    CHECK(named[1].first == "wte.b");
    CHECK(m.parameters().size() == 2);
    CHECK(m.num_parameters() == 8);
    auto sd = m.state_dict();
    REQUIRE(sd.tensors.size() == 3);
    CHECK(sd.tensors[0].first == "wte.v");
    CHECK(sd.tensors[1].first == "wte.b");
    CHECK(sd.tensors[2].first == "head.w");
    CHECK(sd.at("wte.v").data<float>() == m.head.w.data().data<float>());  // one storage
    CHECK(sd.at("head.w").data<float>() == m.head.w.data().data<float>());
  }

  TEST_CASE("gradients from both uses of a tied parameter add up in one grad") {
    Tied m;
    Variable x(ones({3, 2}));
    Variable loss = sum(m.wte.v * x * 2.0) + sum(m.head.w * x * 3.0);
    loss.backward();
    CHECK(m.wte.v.grad().tolist() == std::vector<double>(6, 5.0));
    CHECK(m.head.w.grad().data<float>() == m.wte.v.grad().data<float>());
  }

  TEST_CASE("a tied checkpoint loads, under the first name or under the other (PyTorch lists both)") {
    Tied a, b;
    nn_test::assign(a.wte.v, full({3, 2}, 4.0));
    const std::string path = nn_test::temp_path("tied.safetensors");
    a.save(path);
    b.load(path);
    CHECK(b.head.w.data().tolist() == std::vector<double>(6, 4.0));
    CHECK(b.head.w.same(b.wte.v));
    // A PyTorch-style state dict naming the shared weight twice, or only by its second name.
    Tied c;
    NamedTensors both;
    both.add("wte.v", full({3, 2}, 5.0));
    both.add("wte.b", zeros({2}));
    both.add("head.w", full({3, 2}, 5.0));
    c.load_state_dict(both);
    CHECK(c.wte.v.data().tolist() == std::vector<double>(6, 5.0));
    NamedTensors second;
    second.add("head.w", full({3, 2}, 6.0));
    second.add("wte.b", zeros({2}));
    c.load_state_dict(second);
    CHECK(c.wte.v.data().tolist() == std::vector<double>(6, 6.0));
  }

  TEST_CASE("a tied parameter's second name with a wrong shape is a mismatch, and nothing is loaded") {
    Tied m;
    NamedTensors sd;
    sd.add("wte.v", full({3, 2}, 5.0));
    sd.add("wte.b", zeros({2}));
    sd.add("head.w", zeros({2, 3}));
    CHECK_THROWS_WITH_AS(m.load_state_dict(sd), doctest::Contains("\"head.w\" is [2, 3]"), glimpse::Error);
    CHECK(m.wte.v.data().tolist() == std::vector<double>(6, 1.0));
  }

  TEST_CASE("tie_parameter refuses an unknown name, a non-parameter and a shape mismatch") {
    Tied m;
    CHECK_THROWS_WITH_AS(m.head.tie_parameter("nope", m.wte.v), doctest::Contains("\"nope\" is not a parameter"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(m.head.tie_parameter("w", Variable(zeros({3, 2}))), doctest::Contains("must be a parameter"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(m.head.tie_parameter("w", m.wte.b), doctest::Contains("one shape and dtype"),
                         glimpse::Error);
  }
}

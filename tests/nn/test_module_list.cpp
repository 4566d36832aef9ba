// Tests for nn/module_list.h: PyTorch names ("h.0.weight"), typed access, iteration, bounds, errors.
#include <doctest/doctest.h>

#include "nn/helpers.h"
#include "nn/layer_norm.h"
#include "nn/linear.h"
#include "nn/module_list.h"

using namespace glimpse;

namespace {
struct Stack : nn::Module {
  explicit Stack(int n) : Module("Stack") {
    register_module("h", h);
    for (int i = 0; i < n; ++i) h.push_back(std::make_unique<nn::Linear>(2, 2));
    register_module("ln_f", ln_f);
  }
  nn::ModuleList<nn::Linear> h;
  nn::LayerNorm ln_f{2};
};
}  // namespace

TEST_SUITE("module_list") {
  TEST_CASE("blocks are named h.0, h.1, ... as PyTorch, in order") {
    Stack s(3);
    std::vector<std::string> names;
    for (const auto& [name, _] : s.named_parameters()) names.push_back(name);
    CHECK(names == std::vector<std::string>{"h.0.weight", "h.0.bias", "h.1.weight", "h.1.bias", "h.2.weight",
                                            "h.2.bias", "ln_f.weight", "ln_f.bias"});
    CHECK(s.state_dict().tensors.size() == 8);
    CHECK(s.h.size() == 3);
    CHECK(s.repr().find("(h): ModuleList(\n    (0): Linear(in_features=2") != std::string::npos);
  }

  TEST_CASE("typed access and range-for give the blocks themselves") {
    Stack s(2);
    CHECK(s.h[1].weight.same(s.named_parameters()[2].second));
    int n = 0;
    Variable x(ones({1, 2}));
    for (const nn::Linear& layer : s.h) {
      x = layer.forward(x);
      ++n;
    }
    CHECK(n == 2);
    CHECK(x.shape() == Shape{1, 2});
    CHECK_THROWS_WITH_AS(s.h[2], doctest::Contains("index 2 is out of range for a list of 2"), glimpse::Error);
    CHECK_THROWS_WITH_AS(s.h.push_back(std::unique_ptr<nn::Linear>()), doctest::Contains("null"), glimpse::Error);
  }

  TEST_CASE("a checkpoint of a list round-trips through safetensors") {
    Stack a(2), b(2);
    const std::string path = nn_test::temp_path("module_list.safetensors");
    a.save(path);
    b.load(path);
    CHECK(equal(a.h[1].weight.data(), b.h[1].weight.data()));
    Stack c(3);
    CHECK_THROWS_WITH_AS(c.load(path), doctest::Contains("missing keys: \"h.2.weight\", \"h.2.bias\""),
                         glimpse::Error);
  }
}

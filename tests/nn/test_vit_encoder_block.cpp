// Tests for nn/vit_encoder_block: torchvision's names, weights per head, gradcheck, errors. (Values against PyTorch
// are checked through the whole VisionTransformer in test_vision_transformer.cpp.)
#include <doctest/doctest.h>

#include "nn/helpers.h"
#include "tensor/reduce.h"
#include "nn/vit_encoder_block.h"

using namespace glimpse;
using namespace glimpse::nn_test;

TEST_SUITE("vit_encoder_block") {
  TEST_CASE("parameter names follow torchvision's EncoderBlock") {
    nn::ViTEncoderBlock block(8, 2, 16);
    std::vector<std::string> names;
    for (const auto& [n, _] : block.named_parameters()) names.push_back(n);
    CHECK(names == std::vector<std::string>{"ln_1.weight", "ln_1.bias", "self_attention.in_proj_weight",
                                            "self_attention.in_proj_bias", "self_attention.out_proj.weight",
                                            "self_attention.out_proj.bias", "ln_2.weight", "ln_2.bias",
                                            "mlp.0.weight", "mlp.0.bias", "mlp.3.weight", "mlp.3.bias"});
  }

  TEST_CASE("shapes, weights per head summing to 1, gradcheck") {
    nn::ViTEncoderBlock block(8, 2, 16);
    block.to(kFloat64);
    Generator gen(6);
    Variable x(randn({2, 5, 8}, kFloat64, gen), true);
    auto [y, w] = block.forward(x);
    CHECK(y.shape() == Shape{2, 5, 8});
    CHECK(w.shape() == Shape{2, 2, 5, 5});
    for (double s : sum(w.data(), {-1}).tolist()) CHECK(s == doctest::Approx(1.0).epsilon(1e-12));
    CHECK(module_gradcheck(block, [&](const auto& in) { return block.forward(in[0]).context; }, {x}) == "");
  }

  TEST_CASE("errors name the block") {
    nn::ViTEncoderBlock block(8, 2, 16);
    CHECK_THROWS_WITH_AS(block.forward(Variable(zeros({2, 5, 6}))), doctest::Contains("ViTEncoderBlock"),
                         glimpse::Error);
  }
}

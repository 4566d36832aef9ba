// Tests for nn/vision_transformer: names and shapes, logits and every gradient against a PyTorch implementation, the
// attention weights on request, gradcheck, errors.
#include <doctest/doctest.h>

#include "nn/helpers.h"
#include "nn/vision_transformer.h"

using namespace glimpse;
using namespace glimpse::nn_test;

namespace {
const nn::VisionTransformerOptions kSmall{.image_size = 8, .patch_size = 4, .in_channels = 2, .num_layers = 2,
                                          .num_heads = 2, .hidden_dim = 8, .mlp_dim = 16, .num_classes = 3};
}

TEST_SUITE("vision_transformer") {
  TEST_CASE("patch embedding, class token, positions, blocks and head") {
    nn::VisionTransformer vit(kSmall);
    CHECK(vit.num_patches() == 4);
    CHECK(vit.conv_proj.weight.shape() == Shape{8, 2, 4, 4});
    CHECK(vit.class_token.shape() == Shape{1, 1, 8});
    CHECK(vit.pos_embedding.shape() == Shape{1, 5, 8});
    CHECK(vit.named_parameters()[1].first == "pos_embedding");
    CHECK(vit.state_dict().tensors.size() == 2 + 2 + 2 * 12 + 2 + 2);
  }

  TEST_CASE("matches PyTorch: logits and gradients of every parameter") {
    NamedTensors ref = load_reference("vision_transformer");
    nn::VisionTransformer vit(kSmall);
    vit.load_state_dict(reference_weights(ref, vit));
    Variable x(ref.at("in.x").clone(), true);
    auto out = vit.forward(x, /*need_weights=*/true);
    CHECK(close(out.logits.data(), ref.at("out.y"), 1e-5, 1e-5));
    REQUIRE(out.weights.size() == 2);
    CHECK(out.weights[1].shape() == Shape{2, 2, 5, 5});
    out.logits.backward(ref.at("w.y"));
    CHECK(close(x.grad(), ref.at("grad.x"), 1e-4, 1e-5));
    for (const auto& [name, p] : vit.named_parameters()) {
      INFO(name);
      CHECK(close(p.grad(), ref.at("grad." + name), 1e-4, 1e-5));
    }
  }

  TEST_CASE("gradcheck in float64") {
    nn::VisionTransformer vit({.image_size = 4, .patch_size = 2, .in_channels = 1, .num_layers = 1, .num_heads = 2,
                               .hidden_dim = 4, .mlp_dim = 6, .num_classes = 2});
    vit.to(kFloat64);
    Generator gen(8);
    assign(vit.class_token, randn({1, 1, 4}, kFloat64, gen));
    Variable x(randn({2, 1, 4, 4}, kFloat64, gen), true);
    CHECK(module_gradcheck(vit, [&](const auto& in) { return vit.forward(in[0]).logits; }, {x}) == "");
  }

  TEST_CASE("errors: patch size must divide the image, wrong image size") {
    CHECK_THROWS_WITH_AS(nn::VisionTransformer({.image_size = 28, .patch_size = 5}), doctest::Contains("divide"),
                         glimpse::Error);
    nn::VisionTransformer vit(kSmall);
    CHECK_THROWS_WITH_AS(vit.forward(Variable(zeros({1, 2, 9, 8}))), doctest::Contains("[B, 2, 8, 8]"),
                         glimpse::Error);
  }
}

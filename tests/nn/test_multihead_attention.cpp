// Tests for nn/multihead_attention.cpp: PyTorch's parameter names, shapes and initialisation, PyTorch's numbers
// (reference/mha_self.safetensors, reference/mha_cross.safetensors: outputs, weights and gradients), float64 gradient
// checks w.r.t. the inputs and every parameter, the equivalences between layouts and paths, masks, and bad input.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "helpers.h"
#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/multihead_attention.h"
#include "tensor/elementwise.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using namespace glimpse::nn_test;
using nn::MultiheadAttention;

namespace {

std::vector<std::string> names_of(const nn::Module& m) {
  std::vector<std::string> out;
  for (const auto& [name, p] : m.named_parameters()) out.push_back(name);
  return out;
}

// Copies every parameter of `from` into the same-named parameter of `to`.
void copy_parameters(const nn::Module& from, const nn::Module& to) {
  auto src = from.named_parameters();
  auto dst = to.named_parameters();
  REQUIRE(src.size() == dst.size());
  for (size_t i = 0; i < src.size(); ++i) {
    REQUIRE(src[i].first == dst[i].first);
    assign(dst[i].second, src[i].second.data());
  }
}

// Non-zero biases, so that a mistake in how biases are applied cannot hide behind PyTorch's zero initialisation.
void randomise_biases(const MultiheadAttention& m) {
  for (const auto& [name, p] : m.named_parameters()) {
    if (name.find("bias") != std::string::npos) assign(p, randn(p.shape(), p.dtype()));
  }
}

// Runs a PyTorch reference case: loads the parameters by their PyTorch names, compares outputs, weights and the
// gradients of L = sum(y * w.y) + sum(weights * w.weights) w.r.t. the inputs and every parameter.
void compare_with_pytorch(const MultiheadAttention& mha, const NamedTensors& ref, const Variable& q, const Variable& k,
                          const Variable& v, const std::vector<std::pair<std::string, Variable>>& inputs,
                          const nn::MultiheadAttentionForwardOptions& options) {
  for (const auto& [name, p] : mha.named_parameters()) {
    REQUIRE(ref.contains(name));
    REQUIRE(p.shape() == ref.at(name).shape());
    assign(p, ref.at(name));
  }
  auto [y, w] = mha.forward(q, k, v, options);
  CHECK(close(y.data(), ref.at("out.y")));
  CHECK(close(w.data(), ref.at("out.weights")));
  Variable loss = sum(y * Variable(ref.at("w.y"))) + sum(w * Variable(ref.at("w.weights")));
  loss.backward();
  for (const auto& [name, x] : inputs) {
    INFO("input " << name);
    CHECK(close(x.grad(), ref.at("grad." + name), 1e-4, 1e-5));
  }
  for (const auto& [name, p] : mha.named_parameters()) {
    INFO("parameter " << name);
    CHECK(close(p.grad(), ref.at("grad." + name), 1e-4, 1e-5));
  }
}

}  // namespace

TEST_SUITE("multihead_attention") {
  TEST_CASE("parameter names and shapes are PyTorch's") {
    MultiheadAttention mha(8, 2);
    CHECK(names_of(mha) == std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                    "out_proj.bias"});
    CHECK(mha.in_proj_weight.shape() == Shape{24, 8});
    CHECK(mha.in_proj_bias.shape() == Shape{24});
    CHECK(mha.out_proj.weight.shape() == Shape{8, 8});
    CHECK(mha.head_dim() == 4);

    MultiheadAttention kv(8, 4, {.kdim = 6, .vdim = 5});
    CHECK(names_of(kv) == std::vector<std::string>{"q_proj_weight", "k_proj_weight", "v_proj_weight",
                                                   "in_proj_bias", "out_proj.weight", "out_proj.bias"});
    CHECK(kv.q_proj_weight.shape() == Shape{8, 8});
    CHECK(kv.k_proj_weight.shape() == Shape{8, 6});
    CHECK(kv.v_proj_weight.shape() == Shape{8, 5});
    CHECK_FALSE(kv.in_proj_weight.defined());

    MultiheadAttention nobias(8, 2, {.bias = false});
    CHECK(names_of(nobias) == std::vector<std::string>{"in_proj_weight", "out_proj.weight"});
    // kdim == vdim == embed_dim given explicitly is the packed layout, as in PyTorch.
    CHECK(names_of(MultiheadAttention(8, 2, {.kdim = 8, .vdim = 8}))[0] == "in_proj_weight");
    CHECK(mha.repr().find("MultiheadAttention(embed_dim=8, num_heads=2") != std::string::npos);
    // Flags print as PyTorch prints them (True/False), as in every other layer's repr.
    nn::MultiheadAttention flags(8, 2, {.bias = false, .batch_first = true});
    CHECK(flags.repr().find("bias=False, batch_first=True") != std::string::npos);
  }

  TEST_CASE("initialisation is PyTorch's: xavier_uniform_ projections, zero biases") {
    manual_seed(0);
    MultiheadAttention mha(64, 4);
    const double bound = std::sqrt(6.0 / (64 + 3 * 64));  // fan_in 64, fan_out 192
    const std::vector<double> w = mha.in_proj_weight.data().tolist();
    double lo = 0, hi = 0, total = 0;
    for (double x : w) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
      total += x;
    }
    CHECK(hi <= bound);
    CHECK(lo >= -bound);
    CHECK(hi > 0.98 * bound);  // 12288 uniform draws reach close to both ends
    CHECK(lo < -0.98 * bound);
    CHECK(std::abs(total / static_cast<double>(w.size())) < 0.01);
    CHECK(equal(mha.in_proj_bias.data(), zeros({192})));
    CHECK(equal(mha.out_proj.bias.data(), zeros({64})));
    // out_proj.weight keeps Linear's init: U(-1/√64, 1/√64).
    CHECK(amax(abs(mha.out_proj.weight.data())).item() <= 1.0 / 8.0);

    MultiheadAttention kv(64, 4, {.kdim = 16, .vdim = 32});
    CHECK(amax(abs(kv.k_proj_weight.data())).item() <= std::sqrt(6.0 / (16 + 64)));
    CHECK(amax(abs(kv.k_proj_weight.data())).item() > 0.95 * std::sqrt(6.0 / (16 + 64)));
    CHECK(amax(abs(kv.v_proj_weight.data())).item() <= std::sqrt(6.0 / (32 + 64)));
    CHECK(amax(abs(kv.q_proj_weight.data())).item() <= std::sqrt(6.0 / (64 + 64)));
  }

  TEST_CASE("PyTorch reference: self-attention, [T, B, E] layout, key_padding_mask, per-head weights") {
    NamedTensors ref = load_reference("mha_self");
    MultiheadAttention mha(8, 2);
    Variable x(ref.at("in.x"), true);
    compare_with_pytorch(mha, ref, x, x, x, {{"x", x}},
                         {.key_padding_mask = ref.at("in.key_padding_mask"), .average_attn_weights = false});
  }

  TEST_CASE("PyTorch reference: cross-attention with kdim/vdim, batch_first, both masks, averaged weights") {
    NamedTensors ref = load_reference("mha_cross");
    MultiheadAttention mha(8, 4, {.kdim = 6, .vdim = 4, .batch_first = true});
    Variable q(ref.at("in.q"), true), k(ref.at("in.k"), true), v(ref.at("in.v"), true);
    compare_with_pytorch(mha, ref, q, k, v, {{"q", q}, {"k", k}, {"v", v}},
                         {.key_padding_mask = ref.at("in.key_padding_mask"), .attn_mask = ref.at("in.attn_mask"),
                          .average_attn_weights = true});
  }

  TEST_CASE("float64 gradients w.r.t. the inputs and every parameter: self-attention") {
    MultiheadAttention mha(6, 2);
    for (const Variable& p : mha.parameters()) p.set_data(p.data().to(kFloat64));  // model.double()
    randomise_biases(mha);
    Variable x(randn({4, 2, 6}, kFloat64), true);
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{4, 3}, 4);
    using In = std::vector<Variable>;
    CHECK(module_gradcheck(mha, [&](const In& in) {
      return mha.forward(in[0], in[0], in[0], {.key_padding_mask = pad}).context;
    }, {x}) == "");
    CHECK(module_gradcheck(mha, [&](const In& in) {
      return mha.forward(in[0], in[0], in[0], {.key_padding_mask = pad, .is_causal = true}).weights;
    }, {x}) == "");
    // autograd's own gradcheck agrees on the input.
    CHECK(gradcheck([&](const std::vector<Variable>& in) { return mha.forward(in[0], in[0], in[0]).context; },
                    {Variable(randn({3, 2, 6}, kFloat64), true)}));
  }

  TEST_CASE("float64 gradients w.r.t. the inputs and every parameter: cross-attention with kdim/vdim") {
    MultiheadAttention mha(6, 3, {.kdim = 4, .vdim = 5, .batch_first = true});
    for (const Variable& p : mha.parameters()) p.set_data(p.data().to(kFloat64));  // model.double()
    randomise_biases(mha);
    Variable q(randn({2, 3, 6}, kFloat64), true), k(randn({2, 4, 4}, kFloat64), true),
        v(randn({2, 4, 5}, kFloat64), true);
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{2, 4}, 4);
    Tensor am = tensor({0.0, -1.0, 0.5, 0.0, 0.0, 0.0, 0.0, -0.25, 0.0, 0.0, 0.0, 0.0}, {3, 4}, kFloat64);
    using In = std::vector<Variable>;
    CHECK(module_gradcheck(mha, [&](const In& in) {
      return mha.forward(in[0], in[1], in[2], {.key_padding_mask = pad, .attn_mask = am}).context;
    }, {q, k, v}) == "");
    CHECK(module_gradcheck(mha, [&](const In& in) {
      return mha.forward(in[0], in[1], in[2], {.key_padding_mask = pad, .average_attn_weights = true}).weights;
    }, {q, k, v}) == "");
  }

  TEST_CASE("self-attention's single GEMM equals three projections, batch_first and unbatched layouts agree") {
    MultiheadAttention mha(8, 2);
    randomise_biases(mha);
    Variable x(randn({5, 3, 8}));
    auto [y1, w1] = mha.forward(x, x, x);
    Variable xk(x.data()), xv(x.data());  // the same numbers in other Variables: the three-projection path
    auto [y2, w2] = mha.forward(x, xk, xv);
    CHECK(allclose(y1.data(), y2.data(), 1e-5, 1e-6));
    CHECK(allclose(w1.data(), w2.data(), 1e-5, 1e-6));

    MultiheadAttention bf(8, 2, {.batch_first = true});
    copy_parameters(mha, bf);
    Variable xb(x.data().transpose(0, 1));  // [B, T, E] as a view
    auto [yb, wb] = bf.forward(xb, xb, xb);
    CHECK(allclose(yb.data(), y1.data().transpose(0, 1), 1e-5, 1e-6));
    CHECK(allclose(wb.data(), w1.data(), 1e-5, 1e-6));
    CHECK(wb.shape() == Shape{3, 2, 5, 5});

    // Unbatched [T, E]: the same as batch entry 1.
    Variable one(x.data().select(1, 1));
    auto [yu, wu] = mha.forward(one, one, one);
    CHECK(yu.shape() == Shape{5, 8});
    CHECK(wu.shape() == Shape{2, 5, 5});
    CHECK(allclose(yu.data(), y1.data().select(1, 1), 1e-5, 1e-6));
    CHECK(allclose(wu.data(), w1.data().select(0, 1), 1e-5, 1e-6));
  }

  TEST_CASE("masks: is_causal equals a causal attn_mask, boolean and float masks agree, per-head 3-d masks") {
    MultiheadAttention mha(8, 2, {.batch_first = true});
    Variable x(randn({2, 4, 8}));
    auto [yc, wc] = mha.forward(x, x, x, {.is_causal = true});
    auto [ym, wm] = mha.forward(x, x, x, {.attn_mask = nn::causal_mask(4)});
    CHECK(equal(yc.data(), ym.data()));
    for (int64_t i = 0; i < 4; ++i) {
      for (int64_t j = i + 1; j < 4; ++j) CHECK(wc.data().at<float>({1, 1, i, j}) == 0.0f);
    }
    Tensor fmask = where(nn::causal_mask(4), scalar_tensor(-std::numeric_limits<double>::infinity()),
                         scalar_tensor(0.0));
    auto [yf, wf] = mha.forward(x, x, x, {.attn_mask = fmask});
    CHECK(allclose(yf.data(), yc.data(), 1e-6, 1e-7));

    // [B * H, Tq, Tk]: only (batch 0, head 1) is forbidden key 0.
    Tensor per_head = zeros({4, 4, 4}, kInt64);
    for (int64_t i = 0; i < 4; ++i) per_head.at<int64_t>({1, i, 0}) = 1;
    auto [yh, wh] = mha.forward(x, x, x, {.attn_mask = per_head});
    for (int64_t i = 0; i < 4; ++i) {
      CHECK(wh.data().at<float>({0, 1, i, 0}) == 0.0f);
      CHECK(wh.data().at<float>({0, 0, i, 0}) > 0.0f);
      CHECK(wh.data().at<float>({1, 1, i, 0}) > 0.0f);
    }
    // key_padding_mask and attn_mask together: both respected.
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{4, 2}, 4);
    auto [yb, wb] = mha.forward(x, x, x, {.key_padding_mask = pad, .is_causal = true});
    for (int64_t i = 0; i < 4; ++i) {
      CHECK(wb.data().at<float>({1, 0, i, 2}) == 0.0f);
      CHECK(wb.data().at<float>({1, 0, i, 3}) == 0.0f);
    }
    CHECK(wb.data().at<float>({1, 0, 0, 1}) == 0.0f);
  }

  TEST_CASE("weights: per head by default, averaged on request, none when not needed") {
    MultiheadAttention mha(8, 4, {.batch_first = true});
    Variable q(randn({2, 3, 8})), kv(randn({2, 5, 8}));
    auto [y, w] = mha.forward(q, kv, kv);
    CHECK(y.shape() == Shape{2, 3, 8});
    CHECK(w.shape() == Shape{2, 4, 3, 5});
    for (double s : sum(w.data(), {-1}).tolist()) CHECK(s == doctest::Approx(1.0));
    auto [ya, wa] = mha.forward(q, kv, kv, {.average_attn_weights = true});
    CHECK(wa.shape() == Shape{2, 3, 5});
    CHECK(allclose(wa.data(), mean(w.data(), {1}), 1e-6, 1e-7));
    auto [yn, wn] = mha.forward(q, kv, kv, {.need_weights = false});
    CHECK_FALSE(wn.defined());
    // Without weights the heads run flash attention (tiles, online softmax): the same numbers up to float rounding.
    CHECK(allclose(yn.data(), y.data(), 1e-6, 1e-7));
  }

  TEST_CASE("a batch entry whose keys are all padding gives out_proj.bias, not NaN") {
    MultiheadAttention mha(4, 2, {.batch_first = true});
    randomise_biases(mha);
    Variable x(randn({2, 3, 4}));
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{3, 0}, 3);
    auto [y, w] = mha.forward(x, x, x, {.key_padding_mask = pad});
    for (int64_t t = 0; t < 3; ++t) CHECK(equal(y.data().select(0, 1).select(0, t), mha.out_proj.bias.data()));
    CHECK(equal(w.data().select(0, 1), zeros({2, 3, 3})));
  }

  TEST_CASE("dropout acts in training mode only") {
    MultiheadAttention mha(8, 2, {.dropout = 0.5, .batch_first = true});
    Variable x(randn({2, 6, 8}));
    mha.eval();
    auto [e1, we1] = mha.forward(x, x, x);
    auto [e2, we2] = mha.forward(x, x, x);
    CHECK(equal(e1.data(), e2.data()));
    mha.train();
    auto [t1, wt1] = mha.forward(x, x, x);
    CHECK_FALSE(allclose(t1.data(), e1.data()));
    CHECK(equal(wt1.data(), we1.data()));  // weights are returned before dropout
  }

  TEST_CASE("empty batch and empty key sequence") {
    MultiheadAttention mha(4, 2, {.batch_first = true});
    auto [y0, w0] = mha.forward(Variable(zeros({0, 3, 4})), Variable(zeros({0, 3, 4})), Variable(zeros({0, 3, 4})));
    CHECK(y0.shape() == Shape{0, 3, 4});
    CHECK(w0.shape() == Shape{0, 2, 3, 3});
    auto [y1, w1] = mha.forward(Variable(randn({2, 3, 4})), Variable(zeros({2, 0, 4})), Variable(zeros({2, 0, 4})));
    CHECK(y1.shape() == Shape{2, 3, 4});
    CHECK(w1.shape() == Shape{2, 2, 3, 0});
  }

  TEST_CASE("bad input: an Error naming MultiheadAttention, the shapes and the fix") {
    CHECK_THROWS_WITH_AS(MultiheadAttention(10, 3), doctest::Contains("not divisible by num_heads"), Error);
    CHECK_THROWS_WITH_AS(MultiheadAttention(10, 3), doctest::Contains("MultiheadAttention"), Error);
    CHECK_THROWS_WITH_AS(MultiheadAttention(0, 1), doctest::Contains("MultiheadAttention"), Error);
    CHECK_THROWS_WITH_AS(MultiheadAttention(8, 2, {.dropout = -0.1}), doctest::Contains("dropout"), Error);

    MultiheadAttention mha(8, 2, {.batch_first = true});
    Variable x(zeros({2, 3, 8}));
    CHECK_THROWS_WITH_AS(mha.forward(Variable(zeros({2, 3, 6})), x, x), doctest::Contains("embed_dim is 8"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, Variable(zeros({2, 3, 6})), x), doctest::Contains(".kdim = 6"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, Variable(zeros({3, 3, 8})), Variable(zeros({3, 3, 8}))),
                         doctest::Contains("batch sizes differ"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, x, Variable(zeros({2, 4, 8}))), doctest::Contains("different lengths"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(Variable(zeros({1, 2, 3, 8})), x, x), doctest::Contains("MultiheadAttention"),
                         Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, x, x, {.key_padding_mask = zeros({3, 2}, kInt64)}),
                         doctest::Contains("key_padding_mask has shape [3, 2], expected [2, 3]"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, x, x, {.attn_mask = zeros({3, 4}, kInt64)}),
                         doctest::Contains("attn_mask has shape [3, 4]"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, x, x, {.attn_mask = zeros({2, 3, 3}, kInt64)}),
                         doctest::Contains("B * num_heads"), Error);
    CHECK_THROWS_WITH_AS(mha.forward(x, x, Variable(zeros({2, 3, 8}, kFloat64))), doctest::Contains("dtype"), Error);
  }
}

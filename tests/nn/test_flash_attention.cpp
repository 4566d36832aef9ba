// Tests for flash attention (tensor/flash_attention.cpp), through the path users take:
// nn::scaled_dot_product_attention with need_weights = false, against the plain path (scores, masked softmax, weights)
// on the same inputs: values and gradients, causal and masked, sizes that are not multiples of the tiles (64 queries,
// 128 keys), fully masked rows, broadcast leading dims, and float64 gradcheck.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "nn/attention.h"
#include "nn/multihead_attention.h"
#include "tensor/elementwise.h"
#include "tensor/flash_attention.h"
#include "tensor/parallel.h"
#include "tensor/random.h"
#include "tensor/reduce.h"

using namespace glimpse;
using nn::SdpaOptions;

namespace {

struct Run {
  Tensor out, dq, dk, dv;
};

// Forward and backward of sdpa with or without the weights (the plain or the flash path), with a fixed random
// projection of the output as the loss.
Run run(const Tensor& q, const Tensor& k, const Tensor& v, SdpaOptions o, bool flash, const Tensor& proj) {
  Variable vq(q, true), vk(k, true), vv(v, true);
  o.need_weights = !flash;
  nn::AttentionOutput a = nn::scaled_dot_product_attention(vq, vk, vv, o);
  CHECK(a.weights.defined() == !flash);
  Variable loss = sum(a.context * Variable(proj));
  loss.backward();
  return {a.context.data(), vq.grad(), vk.grad(), vv.grad()};
}

void check_same(const Tensor& q, const Tensor& k, const Tensor& v, const SdpaOptions& o, double tol) {
  Shape out_shape = q.shape();
  out_shape[out_shape.size() - 1] = v.size(-1);
  for (int i = 0; i + 2 < static_cast<int>(out_shape.size()) && i + 2 < v.dim(); ++i) {
    out_shape[out_shape.size() - 3 - i] = std::max(out_shape[out_shape.size() - 3 - i], v.size(-3 - i));
  }
  Tensor proj = randn(out_shape, q.dtype());
  Run plain = run(q, k, v, o, false, proj), flash = run(q, k, v, o, true, proj);
  CHECK(flash.out.shape() == plain.out.shape());
  CHECK(allclose(flash.out, plain.out, tol, tol));
  CHECK(allclose(flash.dq, plain.dq, tol, tol));
  CHECK(allclose(flash.dk, plain.dk, tol, tol));
  CHECK(allclose(flash.dv, plain.dv, tol, tol));
}

}  // namespace

TEST_SUITE("flash_attention") {
  TEST_CASE("flash attention matches the plain path: no mask, causal, several tiles and ragged edges") {
    manual_seed(1);
    for (auto [Tq, Tk] : {std::pair<int64_t, int64_t>{5, 7}, {64, 128}, {130, 300}, {200, 200}}) {
      Tensor q = randn({2, 3, Tq, 16}), k = randn({2, 3, Tk, 16}), v = randn({2, 3, Tk, 8});
      check_same(q, k, v, {}, 2e-5);
      check_same(q, k, v, {.is_causal = true}, 2e-5);
      check_same(q, k, v, {.scale = 0.3}, 2e-5);
    }
  }

  TEST_CASE("flash attention matches the plain path with int64 and additive masks, and fully masked rows") {
    manual_seed(2);
    const int64_t Tq = 70, Tk = 150;
    Tensor q = randn({2, 2, Tq, 8}), k = randn({2, 2, Tk, 8}), v = randn({2, 2, Tk, 8});
    // Padding: batch entry 1 has only 100 keys.
    Tensor pad = nn::padding_mask_from_lengths(std::vector<int64_t>{Tk, 100}, Tk).reshape({2, 1, 1, Tk});
    check_same(q, k, v, {.attn_mask = pad}, 2e-5);
    check_same(q, k, v, {.attn_mask = pad, .is_causal = true}, 2e-5);
    // A random additive bias per (query, key), shared by the batch.
    check_same(q, k, v, {.attn_mask = randn({Tq, Tk})}, 2e-5);
    // Fully masked query rows (rows 3 and 65 see no key): output 0, no gradient, no NaN.
    Tensor rows = zeros({Tq, Tk}, kInt64);
    for (int64_t j = 0; j < Tk; ++j) {
      rows.narrow(0, 3, 1).narrow(1, j, 1).fill_(1.0);
      rows.narrow(0, 65, 1).narrow(1, j, 1).fill_(1.0);
    }
    check_same(q, k, v, {.attn_mask = rows}, 2e-5);
    Tensor proj = ones({2, 2, Tq, 8});
    Run f = run(q, k, v, {.attn_mask = rows}, true, proj);
    CHECK(sum(abs(f.out.narrow(2, 3, 1))).item<double>() == 0.0);
    CHECK(sum(abs(f.dq.narrow(2, 65, 1))).item<double>() == 0.0);
  }

  TEST_CASE("flash attention broadcasts leading dims like the plain path (keys shared by the heads)") {
    manual_seed(3);
    Tensor q = randn({2, 4, 33, 8}), k = randn({2, 1, 40, 8}), v = randn({1, 1, 40, 6});
    check_same(q, k, v, {.is_causal = true}, 2e-5);
  }

  TEST_CASE("flash attention: float64 gradcheck, causal with an additive mask") {
    manual_seed(4);
    Tensor mask = randn({9, 11}, kFloat64);
    for (bool causal : {false, true}) {
      CHECK(gradcheck(
          [&](const std::vector<Variable>& in) {
            return nn::scaled_dot_product_attention(in[0], in[1], in[2],
                                                    {.attn_mask = mask, .is_causal = causal, .need_weights = false})
                .context;
          },
          {Variable(randn({2, 9, 5}, kFloat64), true), Variable(randn({2, 11, 5}, kFloat64), true),
           Variable(randn({2, 11, 3}, kFloat64), true)}));
    }
  }

  TEST_CASE("flash attention reads strided operands where they lie and matches the plain path") {
    manual_seed(11);
    // A GPT's heads: transposed column slices of one [B, T, 3C] projection (2 heads of 8).
    Tensor qkv = randn({2, 70, 48});
    auto heads = [&](int64_t i) { return qkv.narrow(2, i * 16, 16).view({2, 70, 2, 8}).transpose(1, 2); };
    check_same(heads(0), heads(1), heads(2), {.is_causal = true}, 2e-5);
    // Operands a GEMM cannot take as they lie, which the kernel copies: a last dim with a step, and keys whose rows
    // are one row expanded (row stride 0).
    Tensor k_step = randn({2, 40, 16}).slice(2, 0, 16, 2), v_rows = randn({2, 1, 8}).expand({2, 40, 8});
    CHECK(k_step.stride(-1) == 2);
    check_same(randn({2, 30, 8}), k_step, v_rows, {}, 2e-5);
    check_same(randn({2, 30, 8}), k_step, v_rows, {.is_causal = true}, 2e-5);
  }

  TEST_CASE("flash attention lays out its output and gradients like their inputs") {
    manual_seed(12);
    Tensor qkv = randn({2, 10, 48});
    auto heads = [&](int64_t i) { return qkv.narrow(2, i * 16, 16).view({2, 10, 2, 8}).transpose(1, 2); };
    FlashAttentionForward f = flash_attention_forward(heads(0), heads(1), heads(2), Tensor(), true, 0.5);
    // q is [B, T, H, d] memory seen as [B, H, T, d]: so is out, and putting the heads side by side needs no copy.
    CHECK(f.out.shape() == Shape{2, 2, 10, 8});
    CHECK(f.out.transpose(1, 2).is_contiguous());
    FlashAttentionBackward b = flash_attention_backward(randn({2, 2, 10, 8}), heads(0), heads(1), heads(2), Tensor(),
                                                        true, 0.5, f.out, f.lse);
    CHECK(b.dq.transpose(1, 2).is_contiguous());
    CHECK(b.dk.transpose(1, 2).is_contiguous());
    CHECK(b.dv.transpose(1, 2).is_contiguous());
    // A broadcast operand (stride 0) gets a gradient of its own per entry: plain row-major.
    Tensor k1 = randn({1, 10, 8}).expand({2, 10, 8}), v1 = randn({2, 10, 8}), q1 = randn({2, 10, 8});
    FlashAttentionForward f1 = flash_attention_forward(q1, k1, v1, Tensor(), false, 0.5);
    FlashAttentionBackward b1 = flash_attention_backward(randn({2, 10, 8}), q1, k1, v1, Tensor(), false, 0.5, f1.out,
                                                         f1.lse);
    CHECK(b1.dk.is_contiguous());
    CHECK(b1.dk.shape() == Shape{2, 10, 8});
  }

  TEST_CASE("flash attention kernels: operands without one leading shape are an Error naming the kernel") {
    CHECK_THROWS_WITH_AS(flash_attention_forward(randn({2, 5, 4}), randn({3, 6, 4}), randn({3, 6, 4}), Tensor(), false,
                                                 0.5),
                         doctest::Contains("flash_attention: q [2, 5, 4], k [3, 6, 4], v [3, 6, 4] do not fit"), Error);
    CHECK_THROWS_WITH_AS(flash_attention_forward(randn({5, 4}), randn({6, 4}), randn({6, 4}), Tensor(), false, 0.5),
                         doctest::Contains("flash_attention: q, k, v must be [*, T, d] with one leading shape"), Error);
  }

  TEST_CASE("flash attention gives the same bits on 1 and 2 threads") {
    manual_seed(5);
    Tensor q = randn({1, 4, 300, 32}), k = randn({1, 4, 300, 32}), v = randn({1, 4, 300, 32});
    Tensor proj = randn({1, 4, 300, 32});
    const int saved = get_num_threads();
    set_num_threads(1);
    Run one = run(q, k, v, {.is_causal = true}, true, proj);
    set_num_threads(4);
    Run many = run(q, k, v, {.is_causal = true}, true, proj);
    set_num_threads(saved);
    CHECK(equal(one.out, many.out));
    CHECK(equal(one.dq, many.dq));
    CHECK(equal(one.dk, many.dk));
    CHECK(equal(one.dv, many.dv));
  }

  TEST_CASE("MultiheadAttention without weights runs flash attention and matches the weighted call") {
    manual_seed(6);
    nn::MultiheadAttention mha(16, 4, {.batch_first = true});
    Variable x(randn({2, 20, 16}));
    auto [a, w] = mha.forward(x, x, x, {.need_weights = true, .attn_mask = nn::causal_mask(20), .is_causal = true});
    auto [b, none] = mha.forward(x, x, x, {.need_weights = false, .attn_mask = nn::causal_mask(20), .is_causal = true});
    CHECK(w.defined());
    CHECK_FALSE(none.defined());
    CHECK(allclose(a.data(), b.data(), 1e-5, 1e-6));
  }

  TEST_CASE("flash attention: a mask that does not broadcast is a clear error naming the op") {
    Variable q(randn({2, 5, 4})), k(randn({2, 6, 4})), v(randn({2, 6, 4}));
    CHECK_THROWS_WITH_AS(nn::scaled_dot_product_attention(q, k, v, {.attn_mask = zeros({5, 5}), .need_weights = false}),
                         doctest::Contains("scaled_dot_product_attention: mask of shape [5, 5]"), Error);
  }
}

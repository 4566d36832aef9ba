// Tests for autograd/ops_shape.cpp: the differentiable views (which must stay views of the input's storage) and
// cat / stack / split / chunk / index_select / gather / embedding, each against hand-computed values and gradients
// and a float64 gradcheck (non-contiguous inputs, repeated indices, mixed dtypes), plus errors and empty tensors.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "autograd/gradcheck.h"
#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "tensor/random.h"

using namespace glimpse;

namespace {

Variable leaf(const Shape& shape, uint64_t seed = 1) {
  Generator gen(seed);
  return Variable(randn(shape, kFloat64, gen), true);
}

// A non-contiguous float64 leaf: the transpose of a random [a, b] matrix, so shape [b, a].
Variable transposed_leaf(int64_t a, int64_t b, uint64_t seed = 2) {
  Generator gen(seed);
  return Variable(randn({a, b}, kFloat64, gen).t(), true);
}

// 0, 1, 2, ... as a float64 leaf of the given shape.
Variable iota(const Shape& shape) {
  return Variable(arange(0.0, static_cast<double>(shape.numel()), 1.0, kFloat64).view(shape), true);
}

void check_values(const Tensor& t, const Shape& shape, const std::vector<double>& expected) {
  CHECK(t.shape() == shape);
  std::vector<double> got = t.tolist();
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i] == doctest::Approx(expected[i]).epsilon(1e-12));
}

// Backward of sum(w * y) with w = 1, 2, 3, ... in y's shape: every position of y gets a distinct gradient, so a
// misrouted gradient shows.
void backward_weighted(const Variable& y) {
  Tensor w = arange(1.0, static_cast<double>(y.numel()) + 1.0, 1.0, y.dtype()).view(y.shape());
  y.backward(w);
}

using Fn = std::function<Variable(const Variable&)>;

}  // namespace

TEST_SUITE("ops_shape") {
  TEST_CASE("views share the input's storage (no copy) and record a tape entry") {
    Variable x = iota({2, 3, 4});
    const std::vector<std::pair<const char*, Fn>> views = {
        {"view", [](const Variable& v) { return v.view({6, 4}); }},
        {"reshape", [](const Variable& v) { return v.reshape({4, -1}); }},
        {"flatten", [](const Variable& v) { return v.flatten(1); }},
        {"transpose", [](const Variable& v) { return v.transpose(0, 2); }},
        {"permute", [](const Variable& v) { return v.permute({2, 0, 1}); }},
        {"t", [](const Variable& v) { return v.select(0, 1).t(); }},
        {"unsqueeze", [](const Variable& v) { return v.unsqueeze(1); }},
        {"squeeze", [](const Variable& v) { return v.narrow(0, 1, 1).squeeze(); }},
        {"squeeze(dim)", [](const Variable& v) { return v.narrow(0, 1, 1).squeeze(0); }},
        {"narrow", [](const Variable& v) { return v.narrow(2, 1, 2); }},
        {"slice", [](const Variable& v) { return v.slice(2, 0, 4, 2); }},
        {"select", [](const Variable& v) { return v.select(1, 2); }},
        {"expand", [](const Variable& v) { return v.narrow(1, 0, 1).expand({5, 2, 3, 4}); }},
        {"contiguous", [](const Variable& v) { return v.contiguous(); }},
    };
    for (const auto& [name, fn] : views) {
      CAPTURE(name);
      Variable y = fn(x);
      CHECK(y.data().shares_storage_with(x.data()));
      CHECK(y.requires_grad());
    }
    // contiguous() of a contiguous Variable is the Variable itself; of a transposed one, a copy on the tape.
    CHECK(x.contiguous().same(x));
    Variable tc = x.transpose(0, 1).contiguous();
    CHECK(tc.data().is_contiguous());
    CHECK(!tc.data().shares_storage_with(x.data()));
    CHECK(std::string(tc.grad_fn()->name) == "contiguous");
  }

  TEST_CASE("view / reshape / flatten: values and gradient back in the input's shape") {
    Variable x = iota({2, 3});
    Variable v = x.view({3, 2});
    check_values(v.data(), {3, 2}, {0, 1, 2, 3, 4, 5});
    backward_weighted(v);
    check_values(x.grad(), {2, 3}, {1, 2, 3, 4, 5, 6});
    CHECK(gradcheck([](const auto& in) { return in[0].view({-1}); }, {leaf({2, 3})}));
    CHECK(gradcheck([](const auto& in) { return in[0].reshape({2, 2, 3}); }, {leaf({3, 4})}));
    // reshape of a transposed view must copy; the gradient still lands in the right places.
    CHECK(gradcheck([](const auto& in) { return in[0].reshape({-1}); }, {transposed_leaf(3, 4)}));
    CHECK(gradcheck([](const auto& in) { return in[0].flatten(); }, {transposed_leaf(3, 4)}));
    CHECK(gradcheck([](const auto& in) { return in[0].flatten(0, 1); }, {leaf({2, 3, 4})}));
    // The gradient arriving at a view may itself be non-contiguous (here: sum's backward, an expand with stride 0).
    CHECK(gradcheck([](const auto& in) { return sum(in[0].view({6})); }, {leaf({2, 3})}));
    CHECK(gradcheck([](const auto& in) { return sum(in[0].t().reshape({6})); }, {leaf({2, 3})}));
  }

  TEST_CASE("transpose / permute / t: values and gradients") {
    Variable x = iota({2, 3});
    check_values(x.t().data(), {3, 2}, {0, 3, 1, 4, 2, 5});
    backward_weighted(x.t());
    check_values(x.grad(), {2, 3}, {1, 3, 5, 2, 4, 6});
    Variable y = iota({2, 3, 4});
    Variable p = y.permute({2, 0, 1});
    CHECK(p.shape() == Shape{4, 2, 3});
    CHECK(p.data().at<double>({3, 1, 2}) == 23.0);  // y[1][2][3]
    CHECK(gradcheck([](const auto& in) { return in[0].transpose(0, -1); }, {leaf({2, 3, 4})}));
    CHECK(gradcheck([](const auto& in) { return in[0].permute({1, 2, 0}); }, {leaf({2, 3, 4})}));
    CHECK(gradcheck([](const auto& in) { return in[0].permute({-1, 0, 1}); }, {leaf({2, 3, 4})}));
    CHECK(gradcheck([](const auto& in) { return in[0].t(); }, {transposed_leaf(3, 4)}));
    CHECK(gradcheck([](const auto& in) { return in[0].t(); }, {leaf({5})}));
  }

  TEST_CASE("unsqueeze / squeeze: values and gradients") {
    Variable x = iota({3});
    check_values(x.unsqueeze(0).data(), {1, 3}, {0, 1, 2});
    check_values(x.unsqueeze(-1).data(), {3, 1}, {0, 1, 2});
    CHECK(gradcheck([](const auto& in) { return in[0].unsqueeze(-1); }, {leaf({2, 3})}));
    CHECK(gradcheck([](const auto& in) { return in[0].unsqueeze(1); }, {transposed_leaf(3, 4)}));
    CHECK(gradcheck([](const auto& in) { return in[0].squeeze(); }, {leaf({1, 3, 1, 2})}));
    CHECK(gradcheck([](const auto& in) { return in[0].squeeze(-2); }, {leaf({1, 3, 1, 2})}));
    CHECK(gradcheck([](const auto& in) { return in[0].squeeze(1); }, {leaf({1, 3, 1, 2})}));  // size 3: unchanged
    CHECK(iota({1, 3, 1}).squeeze().shape() == Shape{3});
    CHECK(iota({1, 3, 1}).squeeze(2).shape() == Shape{1, 3});
  }

  TEST_CASE("narrow / slice / select: zeros with the gradient in the chosen part") {
    Variable x = iota({2, 4});
    Variable n = x.narrow(1, 1, 2);
    check_values(n.data(), {2, 2}, {1, 2, 5, 6});
    backward_weighted(n);
    check_values(x.grad(), {2, 4}, {0, 1, 2, 0, 0, 3, 4, 0});

    x.zero_grad();
    Variable s = x.slice(1, 0, 4, 3);  // columns 0 and 3
    check_values(s.data(), {2, 2}, {0, 3, 4, 7});
    backward_weighted(s);
    check_values(x.grad(), {2, 4}, {1, 0, 0, 2, 3, 0, 0, 4});

    x.zero_grad();
    Variable r = x.select(0, -1);
    check_values(r.data(), {4}, {4, 5, 6, 7});
    backward_weighted(r);
    check_values(x.grad(), {2, 4}, {0, 0, 0, 0, 1, 2, 3, 4});

    CHECK(gradcheck([](const auto& in) { return in[0].narrow(-1, 1, 2); }, {leaf({3, 4})}));
    CHECK(gradcheck([](const auto& in) { return in[0].narrow(0, -2, 2); }, {transposed_leaf(3, 4)}));
    CHECK(gradcheck([](const auto& in) { return in[0].slice(0, 1, 100, 2); }, {leaf({5, 2})}));
    CHECK(gradcheck([](const auto& in) { return in[0].slice(1, -3, -1); }, {transposed_leaf(2, 5)}));
    CHECK(gradcheck([](const auto& in) { return in[0].select(1, 2); }, {leaf({2, 3, 4})}));
    CHECK(gradcheck([](const auto& in) { return in[0].select(0, -1); }, {transposed_leaf(3, 4)}));
    // Two overlapping views of one input: their gradients add up.
    CHECK(gradcheck([](const auto& in) { return in[0].narrow(0, 0, 2) * in[0].narrow(0, 1, 2); }, {leaf({3, 2})}));
  }

  TEST_CASE("expand: the gradient sums over the repeated dims") {
    Variable x = iota({3, 1});
    Variable e = x.expand({2, 3, 4});
    CHECK(e.data().strides()[0] == 0);
    check_values(e.data().select(0, 1).select(1, 3), {3}, {0, 1, 2});
    sum(e).backward();
    check_values(x.grad(), {3, 1}, {8, 8, 8});
    CHECK(gradcheck([](const auto& in) { return in[0].expand({2, 3, 4}); }, {leaf({3, 1})}));
    CHECK(gradcheck([](const auto& in) { return in[0].expand({-1, 5}); }, {leaf({4, 1})}));
    CHECK(gradcheck([](const auto& in) { return in[0].unsqueeze(0).expand({3, -1, -1}); }, {transposed_leaf(2, 3)}));
  }

  TEST_CASE("contiguous: identity gradient") {
    CHECK(gradcheck([](const auto& in) { return in[0].contiguous(); }, {transposed_leaf(3, 4)}));
    CHECK(gradcheck([](const auto& in) { return in[0].contiguous(); }, {leaf({3, 4})}));
  }

  TEST_CASE("view errors come from the tensor layer as glimpse::Error") {
    Variable x = leaf({2, 3});
    CHECK_THROWS_WITH_AS(x.view({4, 2}), doctest::Contains("view"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.t().view({6}), doctest::Contains("view"), glimpse::Error);  // needs reshape
    CHECK_THROWS_WITH_AS(x.reshape({5}), doctest::Contains("reshape"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.transpose(0, 2), doctest::Contains("transpose"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.permute({0, 0}), doctest::Contains("permute"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.narrow(1, 2, 2), doctest::Contains("narrow"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.slice(1, 0, 2, 0), doctest::Contains("slice"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.select(0, 2), doctest::Contains("select"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.expand({4, 3}), doctest::Contains("expand"), glimpse::Error);
    CHECK_THROWS_WITH_AS(x.unsqueeze(4), doctest::Contains("unsqueeze"), glimpse::Error);
    CHECK_THROWS_WITH_AS(Variable().view({1}), doctest::Contains("undefined"), glimpse::Error);
  }

  TEST_CASE("cat: values, each input gets its slice of the gradient, gradcheck") {
    Variable a = iota({2, 2});
    Variable b = Variable(tensor({10, 11}, {2, 1}, kFloat64), true);
    Variable c = cat({a, b}, 1);
    check_values(c.data(), {2, 3}, {0, 1, 10, 2, 3, 11});
    backward_weighted(c);
    check_values(a.grad(), {2, 2}, {1, 2, 4, 5});
    check_values(b.grad(), {2, 1}, {3, 6});
    CHECK(gradcheck([](const auto& in) { return cat({in[0], in[1], in[2]}, 0); },
                    {leaf({2, 3}), transposed_leaf(3, 1), leaf({4, 3}, 5)}));
    CHECK(gradcheck([](const auto& in) { return cat({in[0], in[1]}, -1); }, {leaf({2, 3, 1}), leaf({2, 3, 2}, 3)}));
    // The same Variable twice: both slices add into its gradient.
    CHECK(gradcheck([](const auto& in) { return cat({in[0], in[0]}, 0); }, {leaf({2, 2})}));
    // An input that does not require grad takes part in the forward only.
    CHECK(gradcheck([](const auto& in) { return cat({in[0], in[1]}, 0); },
                    {leaf({2, 2}), Variable(ones({1, 2}, kFloat64))}));
  }

  TEST_CASE("cat: mixed dtypes get gradients in their own dtype, 1-d empty inputs are skipped") {
    Variable a(tensor({1, 2}, {2}), true);                 // float32
    Variable b(tensor({3, 4, 5}, {3}, kFloat64), true);    // float64
    Variable e(zeros({0}, kFloat64), true);
    Variable c = cat({e, a, b}, 0);
    CHECK(c.dtype() == kFloat64);
    check_values(c.data(), {5}, {1, 2, 3, 4, 5});
    backward_weighted(c);
    CHECK(a.grad().dtype() == kFloat32);
    check_values(a.grad(), {2}, {1, 2});
    check_values(b.grad(), {3}, {3, 4, 5});
    CHECK(e.grad().shape() == Shape{0});
    // A [0] tensor joins anything, even along a dim it does not have.
    Variable m = iota({2, 2});
    Variable c2 = cat({Variable(zeros({0}, kFloat64), true), m}, 1);
    CHECK(c2.shape() == Shape{2, 2});
  }

  TEST_CASE("stack: values, input i gets g.select(dim, i), gradcheck") {
    Variable a = iota({2});
    Variable b = Variable(tensor({5, 6}, {2}, kFloat64), true);
    Variable s = stack({a, b}, 1);
    check_values(s.data(), {2, 2}, {0, 5, 1, 6});
    backward_weighted(s);
    check_values(a.grad(), {2}, {1, 3});
    check_values(b.grad(), {2}, {2, 4});
    CHECK(gradcheck([](const auto& in) { return stack({in[0], in[1], in[2]}, 0); },
                    {leaf({3, 2}), transposed_leaf(2, 3), leaf({3, 2}, 4)}));
    CHECK(gradcheck([](const auto& in) { return stack({in[0], in[1]}, -1); }, {leaf({2, 3}), leaf({2, 3}, 6)}));
  }

  TEST_CASE("split / chunk: pieces are narrows (views) and the gradients add back") {
    Variable x = iota({5, 2});
    std::vector<Variable> parts = split(x, 2);
    REQUIRE(parts.size() == 3);
    check_values(parts[2].data(), {1, 2}, {8, 9});
    CHECK(parts[1].data().shares_storage_with(x.data()));
    backward_weighted(parts[1]);
    check_values(x.grad(), {5, 2}, {0, 0, 0, 0, 1, 2, 3, 4, 0, 0});

    std::vector<Variable> sized = split(x, std::vector<int64_t>{1, 4}, 0);
    REQUIRE(sized.size() == 2);
    CHECK(sized[1].shape() == Shape{4, 2});
    std::vector<Variable> chunks = chunk(x, 2, 1);
    REQUIRE(chunks.size() == 2);
    check_values(chunks[1].data(), {5, 1}, {1, 3, 5, 7, 9});

    // Every piece used: the whole gradient arrives.
    CHECK(gradcheck(
        [](const auto& in) {
          std::vector<Variable> p = split(in[0], 2, 1);
          return p[0] * 2.0 + p[1] * p[1] + p[2].expand({3, 2});
        },
        {leaf({3, 5})}));
    CHECK(gradcheck([](const auto& in) { return split(in[0], std::vector<int64_t>{2, 1}, 0)[0] * 3.0; },
                    {transposed_leaf(4, 3)}));
    CHECK(gradcheck([](const auto& in) { auto c = chunk(in[0], 3, -1); return c[0] * c[2]; }, {leaf({2, 6})}));

    CHECK_THROWS_WITH_AS(split(x, 0), doctest::Contains("split"), glimpse::Error);
    CHECK_THROWS_WITH_AS(split(x, std::vector<int64_t>{1, 1}), doctest::Contains("split"), glimpse::Error);
    CHECK_THROWS_WITH_AS(chunk(x, 0), doctest::Contains("chunk"), glimpse::Error);
    // An empty dim: chunks of nothing.
    std::vector<Variable> empty_chunks = chunk(Variable(zeros({0, 2}, kFloat64), true), 3);
    REQUIRE(empty_chunks.size() == 3);
    CHECK(empty_chunks[2].shape() == Shape{0, 2});
  }

  TEST_CASE("index_select: values, repeated indices accumulate, gradcheck") {
    Variable x = iota({3, 2});
    Tensor idx = tensor(std::vector<int64_t>{2, 0, 2});
    Variable y = index_select(x, 0, idx);
    check_values(y.data(), {3, 2}, {4, 5, 0, 1, 4, 5});
    backward_weighted(y);
    check_values(x.grad(), {3, 2}, {3, 4, 0, 0, 1 + 5, 2 + 6});
    CHECK(gradcheck([&](const auto& in) { return index_select(in[0], 0, idx); }, {leaf({3, 4})}));
    CHECK(gradcheck([&](const auto& in) { return index_select(in[0], 1, idx); }, {leaf({2, 3, 2})}));
    CHECK(gradcheck([&](const auto& in) { return index_select(in[0], -1, idx); }, {transposed_leaf(3, 2)}));
    CHECK(gradcheck([&](const auto& in) { return index_select(in[0], 0, tensor(std::vector<int64_t>{1}).view({})); },
                    {leaf({3, 2})}));
    CHECK_THROWS_WITH_AS(index_select(x, 0, tensor(std::vector<int64_t>{3})), doctest::Contains("index_select"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(index_select(x, 0, tensor({1.0})), doctest::Contains("int64"), glimpse::Error);
  }

  TEST_CASE("gather: values, gradient scattered back (repeats accumulate), gradcheck") {
    Variable x = Variable(tensor({1, 2, 3, 4}, {2, 2}, kFloat64), true);
    Tensor idx = tensor(std::vector<int64_t>{0, 0, 1, 0}, {2, 2});
    Variable y = gather(x, 1, idx);
    check_values(y.data(), {2, 2}, {1, 1, 4, 3});
    sum(y).backward();
    check_values(x.grad(), {2, 2}, {2, 0, 1, 1});
    Tensor idx3 = tensor(std::vector<int64_t>{2, 0, 1, 1, 2, 2}, {2, 3});
    CHECK(gradcheck([&](const auto& in) { return gather(in[0], 1, idx3); }, {leaf({2, 4})}));
    CHECK(gradcheck([&](const auto& in) { return gather(in[0], 0, idx3.narrow(1, 0, 2)); }, {leaf({3, 2})}));
    CHECK(gradcheck([&](const auto& in) { return gather(in[0], -1, idx3); }, {transposed_leaf(4, 3)}));
    CHECK_THROWS_WITH_AS(gather(x, 1, tensor(std::vector<int64_t>{0, 2}, {1, 2})), doctest::Contains("gather"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(gather(x, 1, tensor(std::vector<int64_t>{0, 1})), doctest::Contains("gather"), glimpse::Error);
  }

  TEST_CASE("embedding: rows looked up, repeated ids accumulate, gradcheck") {
    Variable w = iota({4, 2});
    Tensor ids = tensor(std::vector<int64_t>{3, 1, 3, 3}, {2, 2});
    Variable y = embedding(ids, w);
    check_values(y.data(), {2, 2, 2}, {6, 7, 2, 3, 6, 7, 6, 7});
    backward_weighted(y);
    // row 3 is used by outputs 0, 2, 3: gradients (1,2) + (5,6) + (7,8); row 1 by output 1: (3,4)
    check_values(w.grad(), {4, 2}, {0, 0, 3, 4, 0, 0, 13, 16});
    CHECK(gradcheck([&](const auto& in) { return embedding(ids, in[0]); }, {leaf({4, 3})}));
    CHECK(gradcheck([&](const auto& in) { return embedding(ids, in[0]); }, {transposed_leaf(3, 4)}));
    CHECK(gradcheck([&](const auto& in) { return embedding(tensor(std::vector<int64_t>{2}).view({}), in[0]); },
                    {leaf({4, 3})}));
    CHECK_THROWS_WITH_AS(embedding(tensor(std::vector<int64_t>{4}), w), doctest::Contains("embedding"), glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding(tensor(std::vector<int64_t>{-1}), w), doctest::Contains("embedding"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding(ids, iota({4})), doctest::Contains("embedding"), glimpse::Error);
  }

  TEST_CASE("errors from joining propagate as glimpse::Error naming the op") {
    Variable a = leaf({2, 3}), b = leaf({3, 2});
    CHECK_THROWS_WITH_AS(cat({a, b}, 0), doctest::Contains("cat"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cat(std::vector<Variable>{}, 0), doctest::Contains("cat"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cat({a, a}, 2), doctest::Contains("cat"), glimpse::Error);
    CHECK_THROWS_WITH_AS(stack({a, b}), doctest::Contains("stack"), glimpse::Error);
    CHECK_THROWS_WITH_AS(stack({a, a}, 3), doctest::Contains("stack"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cat({a, Variable()}, 0), doctest::Contains("undefined"), glimpse::Error);
  }

  TEST_CASE("empty tensors: views, joins and lookups of nothing") {
    Variable x(zeros({0, 3}, kFloat64), true);
    Variable y = cat({x, x}, 0).t().reshape({3, 0}).narrow(0, 1, 2);
    CHECK(y.shape() == Shape{2, 0});
    sum(y).backward();
    CHECK(x.grad().shape() == Shape{0, 3});
    Variable w = leaf({4, 2});
    Variable e = embedding(tensor(std::vector<int64_t>{}, {0}), w);
    CHECK(e.shape() == Shape{0, 2});
    sum(e).backward();
    check_values(w.grad(), {4, 2}, {0, 0, 0, 0, 0, 0, 0, 0});
    Variable z(zeros({2, 3}, kFloat64), true);
    Variable s = index_select(z, 1, tensor(std::vector<int64_t>{}, {0}));
    CHECK(s.shape() == Shape{2, 0});
    sum(s).backward();
    check_values(z.grad(), {2, 3}, {0, 0, 0, 0, 0, 0});
  }
}

// Tests for tensor/indexing.cpp: index_select, gather, scatter_add, embedding (+ backward), cat, stack, split, chunk,
// tril and triu, on contiguous and non-contiguous inputs, empty tensors, and every error path. Expected values are
// worked out by hand in the comments.
#include <doctest/doctest.h>

#include <vector>

#include "tensor/elementwise.h"
#include "tensor/indexing.h"

using namespace glimpse;

namespace {
using V = std::vector<double>;
Tensor ids(std::vector<int64_t> v, const Shape& shape = {-1}) { return tensor(v, shape); }
// [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] in the given dtype.
Tensor m3x4(DType dt = kFloat32) { return arange(0, 12, 1, dt).reshape({3, 4}); }
}  // namespace

TEST_SUITE("indexing") {
  TEST_CASE("index_select along rows and columns, repeated indices, every dtype") {
    for (DType dt : {kFloat32, kFloat64, kInt64}) {
      Tensor x = m3x4(dt);
      Tensor r = index_select(x, 0, ids({2, 0, 2}));
      CHECK(r.shape() == Shape{3, 4});
      CHECK(r.dtype() == dt);
      CHECK(r.tolist() == V{8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11});
      Tensor c = index_select(x, -1, ids({3, 1}));
      CHECK(c.shape() == Shape{3, 2});
      CHECK(c.tolist() == V{3, 1, 7, 5, 11, 9});
    }
    // A 0-d index keeps the dim with size 1 (PyTorch's behaviour).
    CHECK(index_select(m3x4(), 0, tensor(std::vector<int64_t>{1}, Shape{})).tolist() == V{4, 5, 6, 7});
  }

  TEST_CASE("index_select on non-contiguous x and index, and empty cases") {
    Tensor xt = m3x4().t();  // [4, 3]: [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    CHECK(index_select(xt, 0, ids({3, 0})).tolist() == V{3, 7, 11, 0, 4, 8});
    CHECK(index_select(xt, 1, ids({2, 2})).tolist() == V{8, 8, 9, 9, 10, 10, 11, 11});
    Tensor strided_idx = ids({1, 9, 0, 9, 2, 9}).slice(0, 0, 6, 2);  // [1, 0, 2]
    CHECK(index_select(m3x4(), 0, strided_idx).tolist() == V{4, 5, 6, 7, 0, 1, 2, 3, 8, 9, 10, 11});
    Tensor none = index_select(m3x4(), 1, zeros({0}, kInt64));
    CHECK(none.shape() == Shape{3, 0});
    CHECK(index_select(zeros({0, 4}), 1, ids({3})).shape() == Shape{0, 1});
  }

  TEST_CASE("index_select errors") {
    Tensor x = m3x4();
    CHECK_THROWS_WITH_AS(index_select(x, 0, ids({0, 3})),
                         "index_select: index 3 is out of range for dim 0 (size 3) of x [3, 4]; valid: 0 to 2 "
                         "(negative values are not wrapped)",
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(index_select(x, 1, ids({-1})), doctest::Contains("index_select: index -1"), glimpse::Error);
    CHECK_THROWS_WITH_AS(index_select(x, 0, tensor({0.0, 1.0})), doctest::Contains("index_select: index must be int64"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(index_select(x, 0, ids({0, 1}, {1, 2})), doctest::Contains("index_select"), glimpse::Error);
    CHECK_THROWS_WITH_AS(index_select(x, 2, ids({0})), doctest::Contains("index_select: dim 2"), glimpse::Error);
    CHECK_THROWS_WITH_AS(index_select(scalar_tensor(1), 0, ids({0})), doctest::Contains("index_select"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(index_select(zeros({0, 4}), 0, ids({0})), doctest::Contains("empty"), glimpse::Error);
  }

  TEST_CASE("gather along dim 1 and dim 0") {
    Tensor x = tensor({1, 2, 3, 4}, {2, 2});
    // dim 1: out[i][j] = x[i][index[i][j]] -> [[x00, x00], [x11, x10]] = [[1, 1], [4, 3]]
    CHECK(gather(x, 1, ids({0, 0, 1, 0}, {2, 2})).tolist() == V{1, 1, 4, 3});
    // dim 0: out[i][j] = x[index[i][j]][j] -> [[x00, x11], [x10, x01]] = [[1, 4], [3, 2]]
    CHECK(gather(x, 0, ids({0, 1, 1, 0}, {2, 2})).tolist() == V{1, 4, 3, 2});
    // index smaller than x outside dim: pick one column per row of a [3, 4] -> [3, 1] (the cross-entropy pattern).
    Tensor g = gather(m3x4(), 1, ids({3, 0, 2}, {3, 1}));
    CHECK(g.shape() == Shape{3, 1});
    CHECK(g.tolist() == V{3, 4, 10});
    // index with more entries than x along dim.
    CHECK(gather(tensor({5, 6}, {1, 2}), 1, ids({1, 1, 0}, {1, 3})).tolist() == V{6, 6, 5});
    // 0-d
    CHECK(gather(scalar_tensor(7), 0, tensor(std::vector<int64_t>{0}, Shape{})).item() == 7.0);
  }

  TEST_CASE("gather on non-contiguous x and index, int64 x, empty index") {
    Tensor xt = m3x4().t();  // [4, 3]: [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    // index given as the transpose of [[2, 0, 1, 1], [0, 0, 2, 1], [1, 2, 0, 0]] -> [4, 3]
    Tensor it = ids({2, 0, 1, 1, 0, 0, 2, 1, 1, 2, 0, 0}, {3, 4}).t();  // [[2,0,1],[0,0,2],[1,2,0],[1,1,0]]
    // row 0 of xt [0, 4, 8] at [2, 0, 1] -> [8, 0, 4]; row 1 [1, 5, 9] at [0, 0, 2] -> [1, 1, 9];
    // row 2 [2, 6, 10] at [1, 2, 0] -> [6, 10, 2]; row 3 [3, 7, 11] at [1, 1, 0] -> [7, 7, 3]
    CHECK(gather(xt, 1, it).tolist() == V{8, 0, 4, 1, 1, 9, 6, 10, 2, 7, 7, 3});
    Tensor gi = gather(m3x4(kInt64), 0, ids({2, 1, 0, 0}, {1, 4}));
    CHECK(gi.dtype() == kInt64);
    CHECK(gi.tolist() == V{8, 5, 2, 3});
    CHECK(gather(m3x4(), 1, zeros({3, 0}, kInt64)).shape() == Shape{3, 0});
  }

  TEST_CASE("gather errors") {
    Tensor x = m3x4();
    CHECK_THROWS_WITH_AS(gather(x, 1, ids({4, 0, 0}, {3, 1})),
                         doctest::Contains("gather: index 4 is out of range for dim 1 (size 4) of x [3, 4]"), glimpse::Error);
    CHECK_THROWS_WITH_AS(gather(x, 1, ids({0, -2, 0}, {3, 1})), doctest::Contains("valid: 0 to 3"), glimpse::Error);
    CHECK_THROWS_WITH_AS(gather(x, 1, ids({0, 1, 2})), doctest::Contains("gather: index has 1 dims"), glimpse::Error);
    CHECK_THROWS_WITH_AS(gather(x, 1, zeros({4, 1}, kInt64)), doctest::Contains("gather: index shape [4, 1]"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(gather(x, 1, zeros({3, 1})), doctest::Contains("gather: index must be int64"),
                         glimpse::Error);
  }

  TEST_CASE("scatter_add: repeated indices accumulate, x is untouched") {
    Tensor x = tensor({10, 20, 30, 40, 50, 60}, {2, 3});
    Tensor index = ids({0, 1, 0, 2, 2, 1}, {2, 3});
    Tensor src = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
    // dim 1: row 0 gets 1 + 3 at col 0 and 2 at col 1 -> [14, 22, 30]; row 1 gets 6 at col 1 and 4 + 5 at col 2.
    Tensor y = scatter_add(x, 1, index, src);
    CHECK(y.tolist() == V{14, 22, 30, 40, 56, 69});
    CHECK(x.tolist() == V{10, 20, 30, 40, 50, 60});
    // dim 0 into zeros [3, 2]: out[index[i][j]][j] += src[i][j]
    // index [[2, 0], [2, 2]], src [[1, 2], [3, 4]] -> row 2 col 0: 1 + 3; row 0 col 1: 2; row 2 col 1: 4
    Tensor z = scatter_add(zeros({3, 2}), 0, ids({2, 0, 2, 2}, {2, 2}), tensor({1, 2, 3, 4}, {2, 2}));
    CHECK(z.tolist() == V{0, 2, 0, 0, 4, 4});
  }

  TEST_CASE("scatter_add on non-contiguous operands, smaller index, float64, empty") {
    // src given transposed: srct.t() = [[1, 2, 3], [4, 5, 6]]
    Tensor srct = tensor({1, 4, 2, 5, 3, 6}, {3, 2}, kFloat64);
    Tensor x = zeros({2, 3}, kFloat64).t().contiguous().t();  // a [2, 3] view with strides (1, 2)
    Tensor y = scatter_add(x, 1, ids({0, 1, 0, 2, 2, 1}, {2, 3}), srct.t());
    CHECK(y.dtype() == kFloat64);
    CHECK(y.tolist() == V{4, 2, 0, 0, 6, 9});
    // index [2, 1] uses only the first column of src [2, 3]: row 0 col 1 += 1, row 1 col 0 += 4
    Tensor s = scatter_add(zeros({2, 3}), 1, ids({1, 0}, {2, 1}), tensor({1, 2, 3, 4, 5, 6}, {2, 3}));
    CHECK(s.tolist() == V{0, 1, 0, 4, 0, 0});
    Tensor e = scatter_add(ones({2, 3}), 1, zeros({2, 0}, kInt64), zeros({2, 0}));
    CHECK(e.tolist() == V(6, 1.0));
    Tensor sc = scatter_add(scalar_tensor(1), 0, tensor(std::vector<int64_t>{0}, Shape{}), scalar_tensor(2));
    CHECK(sc.dim() == 0);
    CHECK(sc.item() == 3.0);
  }

  TEST_CASE("scatter_add errors") {
    Tensor x = zeros({2, 3});
    Tensor src = ones({2, 3});
    CHECK_THROWS_WITH_AS(scatter_add(x, 1, ids({0, 3}, {2, 1}), src),
                         doctest::Contains("scatter_add: index 3 is out of range for dim 1 (size 3)"), glimpse::Error);
    CHECK_THROWS_WITH_AS(scatter_add(x, 1, ids({0, -1}, {2, 1}), src), doctest::Contains("index -1"), glimpse::Error);
    CHECK_THROWS_WITH_AS(scatter_add(x, 1, ids({0, 1}, {2, 1}), ones({2, 3}, kFloat64)),
                         doctest::Contains("scatter_add: src has dtype float64"), glimpse::Error);
    CHECK_THROWS_WITH_AS(scatter_add(x, 1, zeros({2, 4}, kInt64), ones({2, 3})),
                         doctest::Contains("scatter_add: index shape [2, 4] is larger than src"), glimpse::Error);
    CHECK_THROWS_WITH_AS(scatter_add(x, 1, zeros({3, 1}, kInt64), ones({3, 1})),
                         doctest::Contains("larger than x shape"), glimpse::Error);
    CHECK_THROWS_WITH_AS(scatter_add(x, 1, zeros({2, 1}), src), doctest::Contains("scatter_add: index must be int64"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(scatter_add(x, 1, zeros({2}, kInt64), src), doctest::Contains("same number of dims"),
                         glimpse::Error);
  }

  TEST_CASE("embedding: rows by id for ids of any shape") {
    Tensor w = m3x4().reshape({4, 3});  // rows [0,1,2], [3,4,5], [6,7,8], [9,10,11]
    Tensor e = embedding(ids({3, 0, 1, 3}, {2, 2}), w);
    CHECK(e.shape() == Shape{2, 2, 3});
    CHECK(e.tolist() == V{9, 10, 11, 0, 1, 2, 3, 4, 5, 9, 10, 11});
    Tensor one = embedding(tensor(std::vector<int64_t>{2}, Shape{}), w);
    CHECK(one.shape() == Shape{3});
    CHECK(one.tolist() == V{6, 7, 8});
    CHECK(embedding(zeros({0}, kInt64), w).shape() == Shape{0, 3});
    CHECK(embedding(zeros({2, 0}, kInt64), w).shape() == Shape{2, 0, 3});
    CHECK(embedding(ids({1}), w.to(kFloat64)).dtype() == kFloat64);
  }

  TEST_CASE("embedding on a non-contiguous table and non-contiguous ids") {
    // wt = [4, 3] view with strides (1, 4): rows [0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]
    Tensor wt = m3x4().t();
    CHECK(embedding(ids({2, 0}), wt).tolist() == V{2, 6, 10, 0, 4, 8});
    // A column slice of a wider table: rows keep stride 1 but are 5 apart.
    Tensor wide = arange(0, 20, 1, kFloat32).reshape({4, 5}).narrow(1, 1, 3);  // rows [1,2,3], [6,7,8], ...
    CHECK(embedding(ids({3, 1}), wide).tolist() == V{16, 17, 18, 6, 7, 8});
    Tensor idt = ids({0, 1, 2, 3}, {2, 2}).t();  // [[0, 2], [1, 3]]
    CHECK(embedding(idt, wide).tolist() == V{1, 2, 3, 11, 12, 13, 6, 7, 8, 16, 17, 18});
  }

  TEST_CASE("embedding errors") {
    Tensor w = zeros({4, 3});
    CHECK_THROWS_WITH_AS(embedding(ids({1, 4}), w),
                         "embedding: id 4 is out of range for weight [4, 3] (4 rows); valid: 0 to 3 (negative "
                         "values are not wrapped)",
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding(ids({-1}), w), doctest::Contains("embedding: id -1"), glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding(tensor({1.0}), w), doctest::Contains("embedding: ids must be int64"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding(ids({0}), zeros({4})), doctest::Contains("embedding: weight must be"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding(ids({0}), zeros({0, 3})), doctest::Contains("it is empty"), glimpse::Error);
  }

  TEST_CASE("embedding_backward: repeated ids accumulate") {
    Tensor grad = tensor({1, 2, 3, 4, 5, 6}, {3, 2});
    Tensor g = embedding_backward(ids({1, 3, 1}), grad, 4);
    CHECK(g.shape() == Shape{4, 2});
    CHECK(g.tolist() == V{0, 0, 6, 8, 0, 0, 3, 4});  // row 1 = [1, 2] + [5, 6], row 3 = [3, 4]
    // ids [2, 2] with a grad [2, 2, 2] whose first two dims are swapped (non-contiguous):
    Tensor g3 = tensor({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2}).transpose(0, 1);  // rows: [1,2], [5,6], [3,4], [7,8]
    Tensor r = embedding_backward(ids({0, 2, 2, 0}, {2, 2}), g3, 3);
    CHECK(r.tolist() == V{1 + 7, 2 + 8, 0, 0, 5 + 3, 6 + 4});
    // A stride-2 column view of the grad rows.
    Tensor gc = tensor({1, 0, 2, 0, 3, 0, 4, 0}, {2, 4}).slice(1, 0, 4, 2);  // [[1, 2], [3, 4]]
    CHECK(embedding_backward(ids({1, 1}), gc, 2).tolist() == V{0, 0, 4, 6});
    CHECK(embedding_backward(zeros({0}, kInt64), zeros({0, 3}), 5).tolist() == V(15, 0.0));
    CHECK(embedding_backward(ids({0}), zeros({1, 3}, kFloat64), 1).dtype() == kFloat64);
  }

  TEST_CASE("embedding_backward errors") {
    CHECK_THROWS_WITH_AS(embedding_backward(ids({0, 5}), zeros({2, 3}), 5),
                         doctest::Contains("embedding_backward: id 5 is out of range for a table of 5 rows"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding_backward(ids({-3}), zeros({1, 3}), 5), doctest::Contains("id -3"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding_backward(ids({0, 1}), zeros({3, 3}), 5),
                         doctest::Contains("embedding_backward: grad shape [3, 3] does not match ids shape [2]"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding_backward(ids({0}), zeros({1, 3}), -1), doctest::Contains("embedding_backward"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(embedding_backward(zeros({1}), zeros({1, 3}), 2), doctest::Contains("int64"),
                         glimpse::Error);
  }

  TEST_CASE("cat along dims, non-contiguous inputs, dtype promotion, the empty [0] rule") {
    Tensor a = tensor({1, 2, 3, 4}, {2, 2});
    Tensor b = tensor({5, 6}, {1, 2});
    CHECK(cat({a, b}).tolist() == V{1, 2, 3, 4, 5, 6});
    Tensor c1 = cat({a, tensor({7, 8}, {2, 1}), a}, -1);
    CHECK(c1.shape() == Shape{2, 5});
    CHECK(c1.tolist() == V{1, 2, 7, 1, 2, 3, 4, 8, 3, 4});
    // a.t() = [[1, 3], [2, 4]]
    CHECK(cat({a.t(), a}, 0).tolist() == V{1, 3, 2, 4, 1, 2, 3, 4});
    // expanded input (stride 0)
    CHECK(cat({tensor({9}, {1, 1}).expand({2, 1}), a}, 1).tolist() == V{9, 1, 2, 9, 3, 4});
    // float32 + int64 -> float32; float32 + float64 -> float64
    Tensor p = cat({ids({1, 2}), tensor({0.5})});
    CHECK(p.dtype() == kFloat32);
    CHECK(p.tolist() == V{1, 2, 0.5});
    CHECK(cat({tensor({1.0}), tensor({2.0}, {1}, kFloat64)}).dtype() == kFloat64);
    // A 1-d [0] tensor is skipped; other empty pieces join normally.
    CHECK(cat({zeros({0}), a}).tolist() == V{1, 2, 3, 4});
    CHECK(cat({zeros({0}), zeros({0})}).shape() == Shape{0});
    CHECK(cat({zeros({0, 2}), b, zeros({0, 2})}).tolist() == V{5, 6});
    CHECK(cat({a}, 1).tolist() == V{1, 2, 3, 4});
  }

  TEST_CASE("cat errors") {
    CHECK_THROWS_WITH_AS(cat({}), doctest::Contains("cat: expects a non-empty list"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cat({zeros({2, 2}), zeros({2, 3})}, 0),
                         doctest::Contains("cat: tensor 1 has shape [2, 3] but tensor 0 has shape [2, 2]"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(cat({zeros({2, 2}), zeros({2})}), doctest::Contains("same number of dims"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cat({scalar_tensor(1), scalar_tensor(2)}), doctest::Contains("use stack"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cat({zeros({2, 2})}, 2), doctest::Contains("cat: dim 2"), glimpse::Error);
    CHECK_THROWS_WITH_AS(cat({zeros({2}), Tensor()}), doctest::Contains("cat"), glimpse::Error);
  }

  TEST_CASE("stack along a new dim") {
    Tensor a = tensor({1, 2, 3});
    Tensor b = tensor({4, 5, 6});
    Tensor s0 = stack({a, b});
    CHECK(s0.shape() == Shape{2, 3});
    CHECK(s0.tolist() == V{1, 2, 3, 4, 5, 6});
    Tensor s1 = stack({a, b}, 1);
    CHECK(s1.shape() == Shape{3, 2});
    CHECK(s1.tolist() == V{1, 4, 2, 5, 3, 6});
    CHECK(stack({a, b}, -1).tolist() == s1.tolist());
    // non-contiguous and strided inputs
    Tensor m = tensor({1, 2, 3, 4}, {2, 2});
    CHECK(stack({m.t(), m}, 0).tolist() == V{1, 3, 2, 4, 1, 2, 3, 4});
    CHECK(stack({tensor({1, 0, 2, 0, 3, 0}).slice(0, 0, 6, 2), b}).tolist() == V{1, 2, 3, 4, 5, 6});
    // scalars and promotion
    Tensor sc = stack({scalar_tensor(1, kInt64), scalar_tensor(2.5)});
    CHECK(sc.shape() == Shape{2});
    CHECK(sc.dtype() == kFloat32);
    CHECK(sc.tolist() == V{1, 2.5});
    CHECK(stack({zeros({0, 2}), zeros({0, 2})}, 1).shape() == Shape{0, 2, 2});
  }

  TEST_CASE("stack errors") {
    CHECK_THROWS_WITH_AS(stack({}), doctest::Contains("stack: expects a non-empty list"), glimpse::Error);
    CHECK_THROWS_WITH_AS(stack({zeros({2}), zeros({3})}),
                         doctest::Contains("stack: tensor 1 has shape [3] but tensor 0 has shape [2]"), glimpse::Error);
    CHECK_THROWS_WITH_AS(stack({zeros({2})}, 2), doctest::Contains("stack: dim 2"), glimpse::Error);
  }

  TEST_CASE("split by size and by sizes returns views") {
    Tensor x = arange(0, 5, 1, kFloat32);
    auto parts = split(x, 2);
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].tolist() == V{0, 1});
    CHECK(parts[1].tolist() == V{2, 3});
    CHECK(parts[2].tolist() == V{4});
    CHECK(parts[1].shares_storage_with(x));
    parts[1].fill_(-1);  // writing through a view changes x
    CHECK(x.tolist() == V{0, 1, -1, -1, 4});

    Tensor m = m3x4();
    auto cols = split(m, std::vector<int64_t>{1, 3}, 1);
    REQUIRE(cols.size() == 2);
    CHECK(cols[0].shape() == Shape{3, 1});
    CHECK(cols[0].tolist() == V{0, 4, 8});
    CHECK(cols[1].tolist() == V{1, 2, 3, 5, 6, 7, 9, 10, 11});
    CHECK(cols[1].shares_storage_with(m));
    auto with_empty = split(m, std::vector<int64_t>{0, 3, 0}, 0);
    REQUIRE(with_empty.size() == 3);
    CHECK(with_empty[0].shape() == Shape{0, 4});
    CHECK(with_empty[1].shape() == Shape{3, 4});
    // On a non-contiguous view: rows of m.t() are columns of m.
    auto tparts = split(m.t(), 3, 0);
    REQUIRE(tparts.size() == 2);
    CHECK(tparts[1].tolist() == V{3, 7, 11});
    CHECK(split(m, 10, -1).size() == 1);
    auto e = split(zeros({0, 2}), 3);
    REQUIRE(e.size() == 1);
    CHECK(e[0].shape() == Shape{0, 2});
  }

  TEST_CASE("chunk follows PyTorch's rule for piece sizes") {
    auto sizes = [](const std::vector<Tensor>& ps) {
      std::vector<int64_t> s;
      for (const Tensor& p : ps) s.push_back(p.size(0));
      return s;
    };
    CHECK(sizes(chunk(zeros({5}), 3)) == std::vector<int64_t>{2, 2, 1});
    CHECK(sizes(chunk(zeros({6}), 4)) == std::vector<int64_t>{2, 2, 2});  // ceil(6 / 4) = 2: only 3 pieces
    CHECK(sizes(chunk(zeros({6}), 3)) == std::vector<int64_t>{2, 2, 2});
    CHECK(sizes(chunk(zeros({2}), 5)) == std::vector<int64_t>{1, 1});
    CHECK(sizes(chunk(zeros({0}), 3)) == std::vector<int64_t>{0, 0, 0});
    // The attention use: split the last dim of a [2, 6] qkv into 3 views.
    Tensor qkv = arange(0, 12, 1, kFloat32).reshape({2, 6});
    auto p = chunk(qkv, 3, -1);
    REQUIRE(p.size() == 3);
    CHECK(p[2].tolist() == V{4, 5, 10, 11});
    CHECK(p[2].shares_storage_with(qkv));
  }

  TEST_CASE("split and chunk errors") {
    Tensor x = zeros({5});
    CHECK_THROWS_WITH_AS(split(x, 0), doctest::Contains("split: split_size must be positive"), glimpse::Error);
    CHECK_THROWS_WITH_AS(split(x, std::vector<int64_t>{2, 2}),
                         doctest::Contains("split: sizes [2, 2] add up to 4 but dim 0"), glimpse::Error);
    CHECK_THROWS_WITH_AS(split(x, std::vector<int64_t>{6, -1}), doctest::Contains("negative"), glimpse::Error);
    CHECK_THROWS_WITH_AS(split(x, 2, 1), doctest::Contains("split: dim 1"), glimpse::Error);
    CHECK_THROWS_WITH_AS(split(scalar_tensor(1), 1), doctest::Contains("split"), glimpse::Error);
    CHECK_THROWS_WITH_AS(chunk(x, 0), doctest::Contains("chunk: chunks must be positive"), glimpse::Error);
    CHECK_THROWS_WITH_AS(chunk(scalar_tensor(1), 2), doctest::Contains("chunk"), glimpse::Error);
  }

  TEST_CASE("tril and triu with diagonals") {
    Tensor x = m3x4() + 1.0;  // [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    CHECK(tril(x).tolist() == V{1, 0, 0, 0, 5, 6, 0, 0, 9, 10, 11, 0});
    CHECK(tril(x, 1).tolist() == V{1, 2, 0, 0, 5, 6, 7, 0, 9, 10, 11, 12});
    CHECK(tril(x, -1).tolist() == V{0, 0, 0, 0, 5, 0, 0, 0, 9, 10, 0, 0});
    CHECK(triu(x).tolist() == V{1, 2, 3, 4, 0, 6, 7, 8, 0, 0, 11, 12});
    CHECK(triu(x, 2).tolist() == V{0, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0});
    CHECK(triu(x, -1).tolist() == V{1, 2, 3, 4, 5, 6, 7, 8, 0, 10, 11, 12});
    CHECK(tril(x, 100).tolist() == x.tolist());
    CHECK(tril(x, -100).tolist() == V(12, 0.0));
    CHECK(triu(x, INT64_MAX).tolist() == V(12, 0.0));
    CHECK(triu(x, INT64_MIN).tolist() == x.tolist());
    CHECK(x.tolist() == V{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});  // input untouched
  }

  TEST_CASE("tril and triu on batches, views, int64 masks and empty tensors") {
    // The causal mask: tril(ones) as int64.
    CHECK(tril(ones({3, 3}, kInt64)).tolist() == V{1, 0, 0, 1, 1, 0, 1, 1, 1});
    Tensor b = ones({2, 2, 2});
    CHECK(triu(b, 1).tolist() == V{0, 1, 0, 0, 0, 1, 0, 0});
    // x.t() = [[1, 5, 9], [2, 6, 10], [3, 7, 11], [4, 8, 12]]
    Tensor xt = (m3x4() + 1.0).t();
    CHECK(tril(xt).tolist() == V{1, 0, 0, 2, 6, 0, 3, 7, 11, 4, 8, 12});
    CHECK(triu(ones({1, 3}).expand({3, 3})).tolist() == V{1, 1, 1, 0, 1, 1, 0, 0, 1});
    CHECK(tril(zeros({0, 3})).shape() == Shape{0, 3});
    CHECK(triu(zeros({2, 3, 0})).shape() == Shape{2, 3, 0});
  }

  TEST_CASE("tril and triu errors") {
    CHECK_THROWS_WITH_AS(tril(zeros({3})), doctest::Contains("tril: expects at least 2 dims"), glimpse::Error);
    CHECK_THROWS_WITH_AS(triu(scalar_tensor(1)), doctest::Contains("triu"), glimpse::Error);
    CHECK_THROWS_WITH_AS(tril(Tensor()), doctest::Contains("tril"), glimpse::Error);
  }
}

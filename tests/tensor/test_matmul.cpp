// Tests for tensor/matmul.cpp: torch.matmul semantics over 1-d, 2-d and batched operands, transposed and odd views,
// empty sizes, matmul_into's accumulate mode, and every error path.
//
// Small cases are checked against numbers worked out by hand. Larger ones are checked against a naive triple loop in
// this file; their inputs are multiples of 0.25 with small magnitude, so every product and partial sum is exactly
// representable in float32 and BLAS must agree with the loop exactly, whatever order it sums in.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/matmul.h"

using namespace glimpse;

namespace {

// A deterministic tensor of multiples of 0.25 in [-1.5, 1.5].
Tensor pattern(const Shape& shape, DType dtype = kFloat32, int seed = 0) {
  std::vector<double> v(static_cast<size_t>(shape.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((static_cast<int64_t>(i) * 7 + seed) % 13 - 6) * 0.25;
  return tensor(v, shape, dtype);
}

// Naive reference: a: [B, m, k], b: [B, k, n] (any strides) -> row-major values of [B, m, n].
std::vector<double> naive_batched(const Tensor& a, const Tensor& b) {
  const int64_t B = a.size(0), m = a.size(1), k = a.size(2), n = b.size(2);
  std::vector<double> av = a.tolist(), bv = b.tolist();  // row-major copies
  std::vector<double> out(static_cast<size_t>(B * m * n), 0.0);
  for (int64_t t = 0; t < B; ++t)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) s += av[(t * m + i) * k + p] * bv[(t * k + p) * n + j];
        out[(t * m + i) * n + j] = s;
      }
  return out;
}

// Reference for matrix operands with batch dims: broadcasts the batch dims by hand (expand + reshape) first.
std::vector<double> naive_matmul(const Tensor& a, const Tensor& b, const Shape& batch) {
  Shape sa = batch, sb = batch;
  sa.push_back(a.size(-2));
  sa.push_back(a.size(-1));
  sb.push_back(b.size(-2));
  sb.push_back(b.size(-1));
  return naive_batched(a.expand(sa).reshape({-1, a.size(-2), a.size(-1)}),
                       b.expand(sb).reshape({-1, b.size(-2), b.size(-1)}));
}

}  // namespace

TEST_SUITE("matmul") {
  TEST_CASE("2-d @ 2-d, float32 and float64, against hand-computed values") {
    for (DType dt : {kFloat32, kFloat64}) {
      Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}, dt);
      Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2}, dt);
      Tensor c = matmul(a, b);
      CHECK(c.shape() == Shape{2, 2});
      CHECK(c.dtype() == dt);
      CHECK(c.is_contiguous());
      // [1 2 3] . [7 9 11] = 58, [1 2 3] . [8 10 12] = 64, [4 5 6] . [7 9 11] = 139, [4 5 6] . [8 10 12] = 154
      CHECK(c.tolist() == std::vector<double>{58, 64, 139, 154});
    }
  }

  TEST_CASE("vectors: dot product, vector @ matrix, matrix @ vector") {
    Tensor v = tensor({1, 2, 3});
    Tensor w = tensor({4, 5, 6});
    Tensor d = matmul(v, w);
    CHECK(d.dim() == 0);
    CHECK(d.item() == 32.0);  // 4 + 10 + 18

    Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2});
    Tensor vb = matmul(v, b);
    CHECK(vb.shape() == Shape{2});
    CHECK(vb.tolist() == std::vector<double>{58, 64});

    Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
    Tensor av = matmul(a, tensor({1, 1, 1}));
    CHECK(av.shape() == Shape{2});
    CHECK(av.tolist() == std::vector<double>{6, 15});

    // Strided and broadcast vectors: every 2nd element, and a stride-0 vector of ones.
    Tensor every2 = tensor({1, 100, 2, 100, 3, 100}).slice(0, 0, 6, 2);  // [1, 2, 3]
    CHECK(matmul(every2, w).item() == 32.0);
    Tensor ones3 = tensor({1}).expand({3});
    CHECK(matmul(ones3, w).item() == 15.0);
    CHECK(matmul(a, ones3).tolist() == std::vector<double>{6, 15});
  }

  TEST_CASE("transposed views go through without changing the result") {
    // at = a^T stored as [3, 2]; at.t() is a [2, 3] view with strides (1, 2).
    Tensor at = tensor({1, 4, 2, 5, 3, 6}, {3, 2});
    Tensor bt = tensor({7, 9, 11, 8, 10, 12}, {2, 3});  // b^T
    CHECK(at.t().strides() == Strides{1, 2});
    CHECK(matmul(at.t(), bt.t()).tolist() == std::vector<double>{58, 64, 139, 154});
    CHECK(matmul(at.t(), tensor({7, 8, 9, 10, 11, 12}, {3, 2})).tolist() == std::vector<double>{58, 64, 139, 154});
    CHECK(matmul(tensor({1, 2, 3, 4, 5, 6}, {2, 3}), bt.t()).tolist() == std::vector<double>{58, 64, 139, 154});

    // The GPT case: x @ W^T with W: [n, k] contiguous, larger, checked against the naive loop.
    Tensor x = pattern({37, 48});
    Tensor w = pattern({29, 48}, kFloat32, 5);
    Tensor y = matmul(x, w.t());
    CHECK(y.shape() == Shape{37, 29});
    CHECK(y.tolist() == naive_matmul(x, w.t(), Shape{1}));
  }

  TEST_CASE("column slices and padded rows are read in place, odd layouts are packed first") {
    Tensor big = pattern({6, 10});
    Tensor cols = big.narrow(1, 2, 5);  // [6, 5], row stride 10: BLAS reads it with ld = 10
    Tensor b = pattern({5, 4}, kFloat32, 3);
    CHECK(matmul(cols, b).tolist() == naive_matmul(cols, b, Shape{1}));
    CHECK(matmul(b.t(), cols.t()).tolist() == naive_matmul(b.t(), cols.t(), Shape{1}));

    Tensor stepped = big.slice(1, 0, 10, 2);  // [6, 5] with column stride 2: not BLAS-readable
    CHECK(stepped.strides() == Strides{10, 2});
    CHECK(matmul(stepped, b).tolist() == naive_matmul(stepped, b, Shape{1}));

    Tensor row = tensor({1, 2, 3}, {1, 3}).expand({4, 3});  // row stride 0
    Tensor c = matmul(row, tensor({1, 0, 0, 1, 1, 1}, {3, 2}));
    CHECK(c.tolist() == std::vector<double>{4, 5, 4, 5, 4, 5, 4, 5});
  }

  TEST_CASE("one row or one column (the GEMV path), with strided and transposed operands") {
    Tensor w = pattern({6, 5}, kFloat32, 2);
    Tensor wt = pattern({5, 6}, kFloat32, 3).t();  // [6, 5] view
    Tensor row = pattern({1, 6}, kFloat32, 4);
    Tensor strided_row = pattern({12}, kFloat32, 5).slice(0, 0, 12, 2).unsqueeze(0);  // [1, 6], column stride 2
    for (const Tensor& r : {row, strided_row}) {
      CHECK(matmul(r, w).tolist() == naive_matmul(r, w, Shape{1}));
      CHECK(matmul(r, wt).tolist() == naive_matmul(r, wt, Shape{1}));
    }
    Tensor col = pattern({5, 1}, kFloat32, 6);
    Tensor strided_col = pattern({15}, kFloat32, 7).slice(0, 0, 15, 3).unsqueeze(1);  // [5, 1], row stride 3
    for (const Tensor& c : {col, strided_col}) {
      CHECK(matmul(w, c).tolist() == naive_matmul(w, c, Shape{1}));
      CHECK(matmul(wt, c).tolist() == naive_matmul(wt, c, Shape{1}));
    }
    // Batched [B, T, C] @ [C] flattens to one matrix-vector product.
    Tensor x = pattern({2, 3, 5}, kFloat64, 8);
    Tensor v = pattern({5}, kFloat64, 9);
    CHECK(matmul(x, v).tolist() == naive_matmul(x, v.unsqueeze(1), Shape{2}));
    // matmul_into with a single row, accumulating: out = 2 * out + r @ w.
    Tensor out = pattern({1, 5}, kFloat32, 10);
    std::vector<double> expected = naive_matmul(strided_row, wt, Shape{1});
    std::vector<double> before = out.tolist();
    for (size_t i = 0; i < expected.size(); ++i) expected[i] += 2 * before[i];
    matmul_into(out, strided_row, wt, 2.0);
    CHECK(out.tolist() == expected);
  }

  TEST_CASE("batched @ 2-d: one GEMM over the flattened rows, hand-computed") {
    Tensor a = tensor({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 2, 3});
    Tensor b = tensor({1, 0, 0, 1, 1, 1}, {3, 2});  // column 0 = x0 + x2, column 1 = x1 + x2
    Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{2, 2, 2});
    CHECK(c.tolist() == std::vector<double>{4, 5, 10, 11, 16, 17, 22, 23});
    // Same result with b given as a 3-d tensor with a size-1 batch dim (its batch dims are all broadcast).
    CHECK(matmul(a, b.unsqueeze(0)).tolist() == c.tolist());
    // And with a matrix-vector product per batch entry: [2, 2, 3] @ [3] -> [2, 2].
    Tensor cv = matmul(a, tensor({1, 0, 1}));
    CHECK(cv.shape() == Shape{2, 2});
    CHECK(cv.tolist() == std::vector<double>{4, 10, 16, 22});
  }

  TEST_CASE("batched @ 2-d with padded rows (flattens) and with a row slice (does not)") {
    Tensor b = pattern({4, 3}, kFloat32, 8);
    Tensor padded = pattern({3, 5, 7}).narrow(-1, 2, 4);  // [3, 5, 4], rows 7 apart: still one [15, 4] matrix
    CHECK(matmul(padded, b).tolist() == naive_matmul(padded, b, Shape{3}));
    Tensor rows = pattern({3, 6, 4}, kFloat32, 1).narrow(1, 1, 5);  // [3, 5, 4], a gap between batch entries
    CHECK(matmul(rows, b).tolist() == naive_matmul(rows, b, Shape{3}));
  }

  TEST_CASE("batched with a transposed left operand loops over GEMMs") {
    Tensor x = pattern({3, 5, 4});
    Tensor a = x.transpose(-2, -1);  // [3, 4, 5], rows not mergeable into one matrix
    Tensor b = pattern({5, 6}, kFloat32, 2);
    Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{3, 4, 6});
    CHECK(c.tolist() == naive_matmul(a, b, Shape{3}));
  }

  TEST_CASE("batched @ batched, attention-style q @ k^T with a permuted view") {
    Tensor q = pattern({2, 3, 4, 5});
    Tensor kk = pattern({2, 4, 3, 5}, kFloat32, 4).permute({0, 2, 3, 1});  // [2, 3, 5, 4], non-contiguous
    Tensor s = matmul(q, kk);
    CHECK(s.shape() == Shape{2, 3, 4, 4});
    CHECK(s.tolist() == naive_matmul(q, kk, Shape{2, 3}));
  }

  TEST_CASE("broadcast batch dims") {
    Tensor a = pattern({2, 1, 3, 4});
    Tensor b = pattern({5, 4, 2}, kFloat32, 1);
    Tensor c = matmul(a, b);
    CHECK(c.shape() == Shape{2, 5, 3, 2});
    CHECK(c.tolist() == naive_matmul(a, b, Shape{2, 5}));

    // 2-d @ batched: the left matrix is shared by every batch entry.
    Tensor a2 = pattern({3, 4}, kFloat32, 6);
    Tensor c2 = matmul(a2, b);
    CHECK(c2.shape() == Shape{5, 3, 2});
    CHECK(c2.tolist() == naive_matmul(a2, b, Shape{5}));

    // A batch dim expanded with stride 0 on the left, with m = 1.
    Tensor row = pattern({1, 1, 4}, kFloat32, 2).expand({5, 1, 4});
    Tensor c3 = matmul(row, b);
    CHECK(c3.shape() == Shape{5, 1, 2});
    CHECK(c3.tolist() == naive_matmul(row, b, Shape{5}));

    // vector @ batched: [4] @ [5, 4, 2] -> [5, 2].
    Tensor v = pattern({4}, kFloat32, 9);
    Tensor c4 = matmul(v, b);
    CHECK(c4.shape() == Shape{5, 2});
    CHECK(c4.tolist() == naive_matmul(v.unsqueeze(0), b, Shape{5}));
  }

  TEST_CASE("float64 batched") {
    Tensor a = pattern({3, 4, 6}, kFloat64);
    Tensor b = pattern({3, 6, 2}, kFloat64, 7);
    Tensor c = matmul(a, b);
    CHECK(c.dtype() == kFloat64);
    CHECK(c.tolist() == naive_matmul(a, b, Shape{3}));
  }

  TEST_CASE("empty sizes: k = 0 gives zeros, m or n = 0 gives an empty result") {
    Tensor c = matmul(zeros({2, 0}), zeros({0, 3}));
    CHECK(c.shape() == Shape{2, 3});
    CHECK(c.tolist() == std::vector<double>(6, 0.0));
    CHECK(matmul(zeros({0}), zeros({0})).item() == 0.0);
    CHECK(matmul(zeros({0, 3}), zeros({3, 2})).shape() == Shape{0, 2});
    CHECK(matmul(zeros({2, 3}), zeros({3, 0})).shape() == Shape{2, 0});
    CHECK(matmul(zeros({0, 2, 3}), zeros({3, 4})).shape() == Shape{0, 2, 4});
    Tensor z = matmul(zeros({4, 2, 0}), zeros({0, 3}));
    CHECK(z.shape() == Shape{4, 2, 3});
    CHECK(z.tolist() == std::vector<double>(24, 0.0));
  }

  TEST_CASE("errors name matmul, the shapes and the fix") {
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 3}), zeros({4, 5})), "matmul: [2, 3] @ [4, 5]: inner sizes differ (3 vs 4)",
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({3}), zeros({4})), "matmul: [3] @ [4]: inner sizes differ (3 vs 4)",
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 3}), zeros({2})), doctest::Contains("inner sizes differ (3 vs 2)"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(scalar_tensor(2), zeros({2})), doctest::Contains("matmul: [] @ [2]"), glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2}), scalar_tensor(2)), doctest::Contains("at least 1 dim"), glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 2}, kInt64), zeros({2, 2}, kInt64)), doctest::Contains("int64"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 2}), zeros({2, 2}, kInt64)), doctest::Contains("matmul"), glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 2}), zeros({2, 2}, kFloat64)),
                         doctest::Contains("matmul: [2, 2] (float32) @ [2, 2] (float64): dtypes differ"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(zeros({2, 2, 3}), zeros({3, 3, 2})),
                         doctest::Contains("matmul: [2, 2, 3] @ [3, 3, 2]: batch dims do not broadcast"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul(Tensor(), zeros({2})), doctest::Contains("matmul"), glimpse::Error);
  }

  TEST_CASE("matmul_into: overwrite, accumulate, scale") {
    Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
    Tensor b = tensor({7, 8, 9, 10, 11, 12}, {3, 2});
    const double nan = std::numeric_limits<double>::quiet_NaN();

    Tensor out = full({2, 2}, nan);
    matmul_into(out, a, b);  // beta = 0 overwrites, even NaN
    CHECK(out.tolist() == std::vector<double>{58, 64, 139, 154});

    out = tensor({1, 2, 3, 4}, {2, 2});
    matmul_into(out, a, b, 1.0);
    CHECK(out.tolist() == std::vector<double>{59, 66, 142, 158});

    out = tensor({2, 4, 6, 8}, {2, 2}, kFloat64);
    matmul_into(out, a.to(kFloat64), b.to(kFloat64), 0.5);
    CHECK(out.tolist() == std::vector<double>{59, 66, 142, 158});

    // Transposed operands (the weight-gradient case dW = dY^T @ X).
    Tensor at = tensor({1, 4, 2, 5, 3, 6}, {3, 2});
    Tensor bt = tensor({7, 9, 11, 8, 10, 12}, {2, 3});
    out = zeros({2, 2});
    matmul_into(out, at.t(), bt.t(), 1.0);
    CHECK(out.tolist() == std::vector<double>{58, 64, 139, 154});

    // A packed-first operand (stepped columns).
    Tensor big = tensor({1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0}, {2, 6});
    out = zeros({2, 2});
    matmul_into(out, big.slice(1, 0, 6, 2), b);
    CHECK(out.tolist() == std::vector<double>{58, 64, 139, 154});

    // k = 0: out = beta * out.
    out = tensor({1, 2, 3, 4}, {2, 2});
    matmul_into(out, zeros({2, 0}), zeros({0, 2}), 3.0);
    CHECK(out.tolist() == std::vector<double>{3, 6, 9, 12});
    out = full({2, 2}, nan);
    matmul_into(out, zeros({2, 0}), zeros({0, 2}));
    CHECK(out.tolist() == std::vector<double>{0, 0, 0, 0});
    Tensor empty_out = zeros({0, 2});
    matmul_into(empty_out, zeros({0, 3}), zeros({3, 2}));
    CHECK(empty_out.shape() == Shape{0, 2});
  }

  TEST_CASE("products small enough for the plain loop (no BLAS call) match the naive loop in every layout") {
    // Up to 256 multiply-adds skip BLAS (tiny_gemm in matmul.cpp); [4, 8] @ [8, 8] is the largest, [4, 8] @ [8, 9]
    // goes to BLAS. Exact inputs (multiples of 0.25): both paths must give the naive loop's numbers exactly.
    for (int64_t n : {1, 3, 8, 9}) {
      for (DType dt : {kFloat32, kFloat64}) {
        INFO("n = ", n, ", ", dtype_name(dt));
        Tensor a = pattern({4, 8}, dt, 1), b = pattern({8, n}, dt, 2);
        const std::vector<double> want = naive_batched(a.unsqueeze(0), b.unsqueeze(0));
        CHECK(matmul(a, b).tolist() == want);
        CHECK(matmul(a.t().contiguous().t(), b).tolist() == want);      // A read transposed
        CHECK(matmul(a, b.t().contiguous().t()).tolist() == want);      // B read transposed
        CHECK(matmul(a.t().contiguous().t(), b.t().contiguous().t()).tolist() == want);
        Tensor padded = pattern({4, 11}, dt, 1).narrow(1, 0, 8);         // rows padded: ld = 11
        CHECK(matmul(padded, b).tolist() == naive_batched(padded.unsqueeze(0), b.unsqueeze(0)));
      }
    }
    // beta = 0 overwrites (NaN included), beta != 0 accumulates, as through BLAS.
    const double nan = std::numeric_limits<double>::quiet_NaN();
    Tensor a = tensor({1, 2, 3, 4, 5, 6}, {2, 3}), b = tensor({7, 8, 9}, {3, 1});
    Tensor out = full({2, 1}, nan);
    matmul_into(out, a, b);
    CHECK(out.tolist() == std::vector<double>{50, 122});
    matmul_into(out, a, b, 0.5);
    CHECK(out.tolist() == std::vector<double>{75, 183});
  }

  TEST_CASE("matmul_into errors") {
    Tensor a = zeros({2, 3}), b = zeros({3, 4});
    Tensor out = zeros({2, 4});
    Tensor wrong = zeros({4, 2});
    CHECK_THROWS_WITH_AS(matmul_into(wrong, a, b), doctest::Contains("matmul_into: [2, 3] @ [3, 4] gives [2, 4]"),
                         glimpse::Error);
    Tensor not_contig = zeros({4, 2}).t();
    CHECK_THROWS_WITH_AS(matmul_into(not_contig, a, b), doctest::Contains("contiguous"), glimpse::Error);
    Tensor f64 = zeros({2, 4}, kFloat64);
    CHECK_THROWS_WITH_AS(matmul_into(f64, a, b), doctest::Contains("matmul_into: out has dtype float64"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul_into(out, a, zeros({4, 4})), doctest::Contains("inner sizes differ (3 vs 4)"),
                         glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul_into(out, zeros({3}), b), doctest::Contains("2-d"), glimpse::Error);
    CHECK_THROWS_WITH_AS(matmul_into(out, a, zeros({3, 4}, kInt64)), doctest::Contains("matmul_into"),
                         glimpse::Error);
    Tensor sq = tensor({1, 2, 3, 4}, {2, 2});
    CHECK_THROWS_WITH_AS(matmul_into(sq, sq, sq), doctest::Contains("shares memory"), glimpse::Error);
    CHECK(sq.tolist() == std::vector<double>{1, 2, 3, 4});  // untouched
    Tensor undefined;
    CHECK_THROWS_WITH_AS(matmul_into(undefined, a, b), doctest::Contains("matmul_into"), glimpse::Error);
  }
}

// Matrix products: torch.matmul semantics on top of OpenBLAS GEMM (cblas_sgemm for float32, cblas_dgemm for float64).
//
// Every case is reduced to "a batch of [m, k] @ [k, n] products":
//   - a 1-d left operand [k] is read as a row [1, k], a 1-d right operand [k] as a column [k, 1], and the added dim is
//     dropped from the result again (so [k] @ [k] is a 0-d dot product);
//   - leading (batch) dims broadcast NumPy-style, without copying: a broadcast dim simply has stride 0;
//   - each matrix is handed to BLAS where it lies. BLAS reads a row-major matrix given a pointer, a leading dimension
//     `ld` and a transpose flag, so a matrix whose column stride is 1 (NoTrans, ld = row stride) or whose row stride is
//     1 (Trans, ld = column stride) needs no copy. That covers contiguous tensors, transposed views (x.t(),
//     k.transpose(-2, -1)) and column slices. Only other layouts (e.g. an expanded or step-sliced matrix) are packed
//     with contiguous() first.
// The result is always a new contiguous tensor; batches are written to consecutive [m, n] blocks of it. Products of
// at most kTinyGemmWork multiply-adds (a Linear(8, 1) on one sample) skip BLAS for a plain loop (tiny_gemm below).
#include "tensor/matmul.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <type_traits>
#include <utility>

#include "tensor/iter.h"
#include "tensor/parallel.h"

namespace glimpse {
namespace {

// How BLAS should read one [rows, cols] matrix of a tensor: the transpose flag and the leading dimension.
struct BlasLayout {
  bool ok = false;
  CBLAS_TRANSPOSE trans = CblasNoTrans;
  int64_t ld = 0;
};

// A [rows, cols] matrix whose element (i, j) lives at i * rs + j * cs. BLAS (row-major) can read it as
//   NoTrans: element (i, j) at i * ld + j, which needs cs == 1 and ld = rs >= cols, or
//   Trans:   element (i, j) at j * ld + i, which needs rs == 1 and ld = cs >= rows.
// The stride of a dim of size 1 never matters (it is never stepped), so such dims accept any stride.
BlasLayout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if (cs == 1 || cols <= 1) {
    int64_t ld = rows <= 1 ? std::max<int64_t>(cols, 1) : rs;
    if (ld >= std::max<int64_t>(cols, 1) && ld <= INT_MAX) return {true, CblasNoTrans, ld};
  }
  if (rs == 1 || rows <= 1) {
    int64_t ld = cols <= 1 ? std::max<int64_t>(rows, 1) : cs;
    if (ld >= std::max<int64_t>(rows, 1) && ld <= INT_MAX) return {true, CblasTrans, ld};
  }
  return {};  // not readable in place
}

// The layout of the last two dims of `t` where it lies, or, when BLAS cannot read it there, of a packed copy of all of
// t made (once) in `packed`, which the caller then reads instead.
BlasLayout layout_or_pack(const Tensor& t, Tensor& packed) {
  const int d = t.dim();
  BlasLayout l = blas_layout(t.size(d - 2), t.size(d - 1), t.strides()[d - 2], t.strides()[d - 1]);
  if (l.ok) return l;
  packed = t.contiguous();  // a packed matrix always reads as NoTrans with ld = cols
  return blas_layout(t.size(d - 2), t.size(d - 1), packed.strides()[d - 2], packed.strides()[d - 1]);
}

// The same for a handle the caller owns: `t` becomes the packed copy when one is needed.
BlasLayout usable_layout(Tensor& t) {
  Tensor packed;
  const BlasLayout l = layout_or_pack(t, packed);
  if (packed.defined()) t = std::move(packed);
  return l;
}

// A product of at most this many multiply-adds is computed by the loop below instead of a BLAS call: for the context
// network's [1, 8] @ [8, 1] the call itself (argument checks, kernel choice) cost several times the arithmetic.
constexpr int64_t kTinyGemmWork = 256;

// C = op(A) @ op(B) + beta * C by the textbook loop: each element summed over p = 0..k-1 in order, in T. (As BLAS does,
// beta == 0 ignores what C held, NaNs included.)
template <class T>
void tiny_gemm(int64_t m, int64_t n, int64_t k, const T* a, const BlasLayout& la, const T* b, const BlasLayout& lb,
               T beta, T* c, int64_t ldc) {
  // Element (i, p) of op(A) is a[i * ai + p * ap]; element (p, j) of op(B) is b[p * bp + j * bj].
  const int64_t ai = la.trans == CblasNoTrans ? la.ld : 1, ap = la.trans == CblasNoTrans ? 1 : la.ld;
  const int64_t bp = lb.trans == CblasNoTrans ? lb.ld : 1, bj = lb.trans == CblasNoTrans ? 1 : lb.ld;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      T s = 0;
      for (int64_t p = 0; p < k; ++p) s += a[i * ai + p * ap] * b[p * bp + j * bj];
      T& out = c[i * ldc + j];
      out = beta == T(0) ? s : s + beta * out;
    }
  }
}

// C[m, n] (row-major, leading dim ldc) = op(A) @ op(B) + beta * C, for float or double.
// A product with a single row or column (an LSTM step at batch 1, a matrix-vector product) goes to GEMV instead:
// GEMM would pack the whole matrix before using it once, which measured several times slower at these shapes.
template <class T>
void gemm(int64_t m, int64_t n, int64_t k, const T* a, const BlasLayout& la, const T* b, const BlasLayout& lb,
          T beta, T* c, int64_t ldc) {
  if (m <= kTinyGemmWork && n <= kTinyGemmWork && k <= kTinyGemmWork && m * n * k <= kTinyGemmWork) {
    tiny_gemm(m, n, k, a, la, b, lb, beta, c, ldc);
    return;
  }
  const int im = static_cast<int>(m), in = static_cast<int>(n), ik = static_cast<int>(k);
  const int lda = static_cast<int>(la.ld), ldb = static_cast<int>(lb.ld), ic = static_cast<int>(ldc);
  auto gemv = [](CBLAS_TRANSPOSE t, int rows, int cols, const T* mat, int ld, const T* x, int incx, T beta_, T* y,
                 int incy) {
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemv(CblasRowMajor, t, rows, cols, 1.0f, mat, ld, x, incx, beta_, y, incy);
    } else {
      cblas_dgemv(CblasRowMajor, t, rows, cols, 1.0, mat, ld, x, incx, beta_, y, incy);
    }
  };
  if (n == 1) {
    // c[:, 0] = op(A) @ b[:, 0]. b's column steps by ld (NoTrans) or by 1 (Trans); c's column steps by ldc.
    // op(A) as stored is [m, k] (NoTrans) or [k, m] (Trans), and GEMV applies the same flag.
    const int incx = lb.trans == CblasNoTrans ? ldb : 1;
    if (la.trans == CblasNoTrans) gemv(CblasNoTrans, im, ik, a, lda, b, incx, beta, c, ic);
    else gemv(CblasTrans, ik, im, a, lda, b, incx, beta, c, ic);
    return;
  }
  if (m == 1) {
    // c[0, :] = a[0, :] @ op(B), i.e. c^T = op(B)^T @ a^T: B as stored is [k, n] (NoTrans) or [n, k] (Trans).
    const int incx = la.trans == CblasNoTrans ? 1 : lda;
    if (lb.trans == CblasNoTrans) gemv(CblasTrans, ik, in, b, ldb, a, incx, beta, c, 1);
    else gemv(CblasNoTrans, in, ik, b, ldb, a, incx, beta, c, 1);
    return;
  }
  available_threads();  // refreshes OpenBLAS's thread count under load (parallel.cpp); a clock read most of the time
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, la.trans, lb.trans, im, in, ik, 1.0f, a, lda, b, ldb, beta, c, ic);
  } else {
    cblas_dgemm(CblasRowMajor, la.trans, lb.trans, im, in, ik, 1.0, a, lda, b, ldb, beta, c, ic);
  }
}

// The checks matmul and matmul_into share: both defined, same float dtype.
void check_operands(const Tensor& a, const Tensor& b, const char* op) {
  check_defined(a, op);
  check_defined(b, op);
  check(is_floating(a.dtype()) && is_floating(b.dtype()),
        "{}: {} ({}) @ {} ({}): matmul computes in float32 or float64; convert first with .to(kFloat32)", op,
        a.shape(), dtype_name(a.dtype()), b.shape(), dtype_name(b.dtype()));
  // No silent promotion: a float64 operand in a float32 model is almost always a mistake worth seeing.
  check(a.dtype() == b.dtype(),
        "{}: {} ({}) @ {} ({}): dtypes differ; convert one operand first, e.g. b.to(a.dtype())", op, a.shape(),
        dtype_name(a.dtype()), b.shape(), dtype_name(b.dtype()));
}

// BLAS takes int sizes; a tensor with a dim past 2^31 - 1 is not something glimpse multiplies.
void check_int_range(int64_t m, int64_t n, int64_t k, const char* op) {
  check(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, "{}: sizes m={}, n={}, k={} exceed BLAS's 32-bit limit", op, m,
        n, k);
}

// Can the batch dims and the row dim of `a` (last dim excluded) be merged into one dim of stride `row_stride`?
// Then the whole batch is a single [batch * m, k] matrix and one GEMM does everything.
bool rows_flatten(const Tensor& a, int64_t& row_stride) {
  const int d = a.dim();
  int64_t expected = -1;  // the stride the next outer non-trivial dim must have
  row_stride = 0;
  for (int i = d - 2; i >= 0; --i) {
    const int64_t size = a.size(i), stride = a.strides()[i];
    if (size == 1) continue;
    if (expected < 0) {
      row_stride = stride;
    } else if (stride != expected) {
      return false;
    }
    expected = stride * size;
  }
  return true;
}

}  // namespace

// a: [*b1, m, k] (or [k]), b: [*b2, k, n] (or [k]) -> [broadcast(b1, b2), m, n] (1-d dims dropped)
Tensor matmul(const Tensor& a, const Tensor& b) {
  check_operands(a, b, "matmul");
  check(a.dim() >= 1 && b.dim() >= 1,
        "matmul: {} @ {}: both operands need at least 1 dim (a 0-d tensor is a scalar); use mul for scaling",
        a.shape(), b.shape());

  // Two matrices (the usual case: a Linear layer, its backward): one GEMM, none of the batch bookkeeping below. For a
  // small model that bookkeeping (half a dozen shapes built and copied) cost more than the product itself. The
  // operands are read where they lie; only one BLAS cannot read gets a packed copy.
  if (a.dim() == 2 && b.dim() == 2) {
    const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
    check(b.size(0) == k, "matmul: {} @ {}: inner sizes differ ({} vs {})", a.shape(), b.shape(), k, b.size(0));
    check_int_range(m, n, k, "matmul");
    Tensor out = empty({m, n}, a.dtype());
    if (out.numel() == 0) return out;
    if (k == 0) return out.zero_();  // an empty sum is 0 (as below)
    Tensor packed_a, packed_b;
    const BlasLayout la = layout_or_pack(a, packed_a), lb = layout_or_pack(b, packed_b);
    const Tensor& ra = packed_a.defined() ? packed_a : a;
    const Tensor& rb = packed_b.defined() ? packed_b : b;
    dispatch_float(a.dtype(), "matmul", [&]<class T>() {
      gemm<T>(m, n, k, ra.data<T>(), la, rb.data<T>(), lb, T(0), out.data<T>(), n);
    });
    return out;
  }

  // Read vectors as a row / a column so that everything below is a (batched) matrix product.
  Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a;   // [k] -> [1, k]
  Tensor b2 = b.dim() == 1 ? b.unsqueeze(1) : b;   // [k] -> [k, 1]
  const int64_t m = a2.size(-2), k = a2.size(-1), n = b2.size(-1);
  check(b2.size(-2) == k, "matmul: {} @ {}: inner sizes differ ({} vs {})", a.shape(), b.shape(), k, b2.size(-2));
  check_int_range(m, n, k, "matmul");

  // Broadcast the batch dims (everything before the last two), right-aligned as in NumPy.
  const int nba = a2.dim() - 2, nbb = b2.dim() - 2, nb = std::max(nba, nbb);
  Shape batch = Shape::filled(nb, 1);
  for (int i = 0; i < nb; ++i) {
    const int ia = i - (nb - nba), ib = i - (nb - nbb);
    const int64_t sa = ia >= 0 ? a2.size(ia) : 1, sb = ib >= 0 ? b2.size(ib) : 1;
    check(sa == sb || sa == 1 || sb == 1,
          "matmul: {} @ {}: batch dims do not broadcast (dim {} of the batch: {} vs {}); sizes must match or be 1",
          a.shape(), b.shape(), i, sa, sb);
    batch[i] = sa == 1 ? sb : sa;
  }

  // The result with both matrix dims, then the final shape with a vector operand's added dim dropped.
  Shape full = batch;
  full.push_back(m);
  full.push_back(n);
  Shape final_shape = batch;
  if (a.dim() > 1) final_shape.push_back(m);
  if (b.dim() > 1) final_shape.push_back(n);

  Tensor out = empty(full, a.dtype());
  if (out.numel() == 0) return out.view(final_shape);
  if (k == 0) return out.zero_().view(final_shape);  // an empty sum is 0 (BLAS is not asked: some builds mishandle k=0)

  BlasLayout la = usable_layout(a2);
  BlasLayout lb = usable_layout(b2);
  const int64_t nbatch = batch.numel();

  dispatch_float(a.dtype(), "matmul", [&]<class T>() {
    const T* pa = a2.data<T>();
    const T* pb = b2.data<T>();
    T* pc = out.data<T>();

    // Batch strides of each operand in the broadcast batch shape (0 where it is broadcast).
    Shape a_batch(a2.shape().begin(), a2.shape().end() - 2), b_batch(b2.shape().begin(), b2.shape().end() - 2);
    Strides a_bst(a2.strides().begin(), a2.strides().end() - 2), b_bst(b2.strides().begin(), b2.strides().end() - 2);
    Strides sa = broadcast_strides(a_batch, a_bst, batch);
    Strides sb = broadcast_strides(b_batch, b_bst, batch);

    // One GEMM for the whole batch when b is the same matrix for every batch entry (e.g. x: [B, T, C] @ W: [C, N]) and
    // a's batch and row dims merge into one: then out is simply [B * T, N] = [B * T, C] @ [C, N].
    bool b_shared = std::all_of(sb.begin(), sb.end(), [](int64_t s) { return s == 0; });
    int64_t row_stride = 0;
    if (nbatch == 1 || (b_shared && la.trans == CblasNoTrans && rows_flatten(a2, row_stride))) {
      const int64_t rows = nbatch * m;
      BlasLayout lflat = la;
      if (nbatch > 1) lflat = blas_layout(rows, k, row_stride, 1);
      if (lflat.ok && rows <= INT_MAX) {
        gemm<T>(rows, n, k, pa, lflat, pb, lb, T(0), pc, n);
        return;
      }
    }

    // Otherwise one GEMM per batch entry, walking the batch index like an odometer.
    int64_t idx[kMaxDims] = {0};
    int64_t off_a = 0, off_b = 0;
    for (int64_t i = 0; i < nbatch; ++i) {
      gemm<T>(m, n, k, pa + off_a, la, pb + off_b, lb, T(0), pc + i * m * n, n);
      for (int d = nb - 1; d >= 0; --d) {
        off_a += sa[d];
        off_b += sb[d];
        if (++idx[d] < batch[d]) break;
        off_a -= sa[d] * batch[d];
        off_b -= sb[d] * batch[d];
        idx[d] = 0;
      }
    }
  });
  return out.view(final_shape);
}

namespace {
// The element range [first, last] a tensor can touch in its storage (for the aliasing check).
std::pair<int64_t, int64_t> span_of(const Tensor& t) {
  int64_t lo = t.offset(), hi = t.offset();
  for (int i = 0; i < t.dim(); ++i) {
    const int64_t reach = (t.size(i) - 1) * t.strides()[i];
    if (reach < 0) lo += reach; else hi += reach;
  }
  return {lo, hi};
}
bool overlaps(const Tensor& x, const Tensor& y) {
  if (!x.shares_storage_with(y) || x.numel() == 0 || y.numel() == 0) return false;
  auto [xl, xh] = span_of(x);
  auto [yl, yh] = span_of(y);
  return xl <= yh && yl <= xh;
}
}  // namespace

// out: [m, n] (contiguous) = beta * out + a: [m, k] @ b: [k, n]
void matmul_into(Tensor& out, const Tensor& a, const Tensor& b, double beta) {
  check_operands(a, b, "matmul_into");
  check_defined(out, "matmul_into");
  out.bump_version();
  check(a.dim() == 2 && b.dim() == 2, "matmul_into: {} @ {}: both operands must be 2-d; use matmul for other shapes",
        a.shape(), b.shape());
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  check(b.size(0) == k, "matmul_into: {} @ {}: inner sizes differ ({} vs {})", a.shape(), b.shape(), k, b.size(0));
  check(out.dim() == 2 && out.size(0) == m && out.size(1) == n,
        "matmul_into: {} @ {} gives [{}, {}] but out has shape {}; allocate out as zeros({{{}, {}}})", a.shape(),
        b.shape(), m, n, out.shape(), m, n);
  check(out.dtype() == a.dtype(), "matmul_into: out has dtype {} but the operands are {}; allocate out with dtype {}",
        dtype_name(out.dtype()), dtype_name(a.dtype()), dtype_name(a.dtype()));
  check(out.is_contiguous(), "matmul_into: out (shape {}, strides {}) must be contiguous", out.shape(), out.strides());
  check(!overlaps(out, a) && !overlaps(out, b),
        "matmul_into: out shares memory with an operand; BLAS would read what it overwrites. Use a separate out");
  check_int_range(m, n, k, "matmul_into");
  if (out.numel() == 0) return;
  if (k == 0) {  // a @ b is all zeros: out = beta * out (beta == 0 must clear, even NaNs, as BLAS does)
    if (beta == 0.0) out.zero_();
    else if (beta != 1.0) dispatch_float(out.dtype(), "matmul_into", [&]<class T>() {
      T* p = out.data<T>();
      for (int64_t i = 0; i < out.numel(); ++i) p[i] *= static_cast<T>(beta);
    });
    return;
  }
  Tensor a2 = a, b2 = b;
  BlasLayout la = usable_layout(a2);
  BlasLayout lb = usable_layout(b2);
  dispatch_float(a.dtype(), "matmul_into", [&]<class T>() {
    gemm<T>(m, n, k, a2.data<T>(), la, b2.data<T>(), lb, static_cast<T>(beta), out.data<T>(), n);
  });
}

}  // namespace glimpse

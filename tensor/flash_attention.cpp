// Flash attention, forward and backward, in tiles with an online softmax (flash_attention.h has the idea).
//
// Each tile product is a small GEMM (OpenBLAS; called from inside parallel_for it stays on its thread). Work is split
// across threads by batch entry (and, in forward, by query tile): each output element is computed by one thread in
// one fixed order, so the results are the same bits on any thread count.
//
// The operands are read where they lie: entry n's row t of q starts at q.data + qoff[n] + t * ldq (the GEMMs take a
// row stride), so the heads of a GPT, transposed column slices of one [B, T, 3C] projection, need no packed copies,
// and the outputs are written in their inputs' dimension order, so the caller's transposes back are free views.
#include "tensor/flash_attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <type_traits>
#include <vector>

#include "tensor/lane_sum.h"
#include "tensor/parallel.h"
#include "tensor/vecmath.h"

namespace glimpse {
namespace {

// Tile sizes: a [64, 128] score tile is 32 KiB in float32, so the tile, its weights and the q/k/v rows it touches stay
// in L2 while they are reused.
constexpr int64_t kQueryTile = 64;
constexpr int64_t kKeyTile = 128;

// Row-major C[m, n] = alpha · op(A) · op(B) + beta · C, with op(X) = X (CblasNoTrans) or Xᵀ (CblasTrans).
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}
void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta, tb, int(m), int(n), int(k), alpha, a, int(lda), b, int(ldb), beta, c, int(ldc));
}

// p[j] = exp(p[j]) for a row: vectorised for float32 (vecmath.h), the scalar libm for float64.
void exp_row(float* p, int64_t n) { vec::exp(p, p, n); }
void exp_row(double* p, int64_t n) {
  for (int64_t j = 0; j < n; ++j) p[j] = std::exp(p[j]);
}

// The offset, in elements, of each of the N entries of t's leading dims (all but the last two), in row-major order.
std::vector<int64_t> lead_offsets(const Tensor& t, int64_t N) {
  std::vector<int64_t> off(static_cast<size_t>(N), 0);
  const int lead = t.dim() - 2;
  std::vector<int64_t> idx(static_cast<size_t>(lead), 0);
  for (int64_t n = 0; n < N; ++n) {
    int64_t o = 0;
    for (int a = 0; a < lead; ++a) o += idx[a] * t.stride(a);
    off[n] = o;
    for (int a = lead - 1; a >= 0 && ++idx[a] == t.size(a); --a) idx[a] = 0;
  }
  return off;
}

// Where the rows of a [*, T, w] operand lie: entry n's row t starts at data + off[n] + t * ld, its w elements adjacent.
template <class T>
struct Rows {
  T* data = nullptr;
  std::vector<int64_t> off;
  int64_t ld = 0;
  T* operator()(int64_t n, int64_t t) const { return data + off[static_cast<size_t>(n)] + t * ld; }
};

// t itself when its rows can be handed to a GEMM as they are (adjacent elements, rows that do not overlap), else a
// packed copy: the rare operand expanded along its rows or sliced with a step.
Tensor gemm_ready(const Tensor& t) {
  const int64_t w = t.size(-1);
  const bool rows_ok = w <= 1 || t.stride(-1) == 1;
  const bool apart = t.size(-2) <= 1 || t.stride(-2) >= std::max<int64_t>(w, 1);
  return rows_ok && apart ? t : t.contiguous();
}

template <class T>
Rows<T> rows_of(const Tensor& t, int64_t N) {
  // With a single row the stride is never used to step; a GEMM still wants it at least the row's width.
  const int64_t ld = t.size(-2) <= 1 ? std::max<int64_t>(t.size(-1), 1) : t.stride(-2);
  return {t.data<std::remove_const_t<T>>(), lead_offsets(t, N), ld};
}

// An uninitialised tensor of `shape` (like's, up to the last dim) whose memory follows like's dimension order (the
// leading dims and rows by decreasing stride, the last dim innermost), so that the views which made `like` out of a
// plain tensor, undone on the result, give a plain tensor again. Row-major when like is broadcast (a zero stride):
// there is no order to follow, and its entries must not share memory.
Tensor empty_in_order_of(const Shape& shape, const Tensor& like) {
  const int nd = like.dim();
  for (int a = 0; a < nd; ++a) {
    if (like.stride(a) == 0 && like.size(a) > 1) return empty(shape, like.dtype());
  }
  std::vector<int64_t> order(static_cast<size_t>(nd));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end() - 1, [&](int64_t a, int64_t b) { return like.stride(a) > like.stride(b); });
  Shape sizes, back(std::vector<int64_t>(static_cast<size_t>(nd), 0));
  for (int a = 0; a < nd; ++a) {
    sizes.push_back(shape[order[a]]);
    back[order[a]] = a;  // dim order[a] of the result is dim a of the allocation
  }
  return empty(sizes, like.dtype()).permute(back);
}

// The problem, shared by forward and backward.
template <class T>
struct Problem {
  int64_t N, Tq, Tk, d, dv;
  Rows<const T> q, k, v;
  T scale;
  bool causal;
  // The mask: element (n, i, j) at mask[moff[n] + i * mi + j * mj]; int64 (non-zero = masked) or T (added).
  const int64_t* mask_bool = nullptr;
  const T* mask_add = nullptr;
  std::vector<int64_t> moff;
  int64_t mi = 0, mj = 0;

  // How many keys of the tile starting at j0 (bc of them) query i may see: the causal limit j <= i; the mask, if any,
  // is applied inside that prefix by scores(). The keys past the prefix get a weight of exactly 0.
  int64_t visible(int64_t i, int64_t j0, int64_t bc) const { return causal ? std::clamp<int64_t>(i + 1 - j0, 0, bc) : bc; }

  // S[r, c] = scale · q_i · k_j + mask, or -inf where masked, for i = i0 + r < i1 and j = j0 + c < j1 (only the
  // visible prefix of each row is meaningful).
  void scores(int64_t n, int64_t i0, int64_t i1, int64_t j0, int64_t j1, T* S) const {
    const int64_t br = i1 - i0, bc = j1 - j0;
    gemm(CblasNoTrans, CblasTrans, br, bc, d, scale, q(n, i0), q.ld, k(n, j0), k.ld, T(0), S, bc);
    if (mask_bool == nullptr && mask_add == nullptr) return;
    constexpr T kNegInf = -std::numeric_limits<T>::infinity();
    for (int64_t r = 0; r < br; ++r) {
      T* row = S + r * bc;
      const int64_t i = i0 + r, n_vis = visible(i, j0, bc);
      if (mask_bool) {
        const int64_t* m = mask_bool + moff[n] + i * mi + j0 * mj;
        for (int64_t c = 0; c < n_vis; ++c) row[c] = m[c * mj] != 0 ? kNegInf : row[c];
      } else {
        const T* m = mask_add + moff[n] + i * mi + j0 * mj;
        for (int64_t c = 0; c < n_vis; ++c) row[c] += m[c * mj];
      }
    }
  }
  // The keys a query tile [i0, i1) can see: all of them, or up to i1 - 1 when causal.
  int64_t key_end(int64_t i1) const { return causal ? std::min(Tk, i1) : Tk; }
};

// q, k, v must already be gemm_ready (the callers keep the copies alive while the kernel runs).
template <class T>
Problem<T> make_problem(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal,
                        double scale, const char* op) {
  check(q.dim() >= 3 && k.dim() == q.dim() && v.dim() == q.dim(),
        "{}: q, k, v must be [*, T, d] with one leading shape, got {}, {}, {}", op, q.shape(), k.shape(), v.shape());
  const Shape lead(q.shape().begin(), q.shape().end() - 2);
  check(Shape(k.shape().begin(), k.shape().end() - 2) == lead && Shape(v.shape().begin(), v.shape().end() - 2) == lead &&
            q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2),
        "{}: q {}, k {}, v {} do not fit [*, Tq, d], [*, Tk, d], [*, Tk, dv]", op, q.shape(), k.shape(), v.shape());
  check(q.dtype() == k.dtype() && k.dtype() == v.dtype(), "{}: q, k, v must share one dtype", op);
  const int64_t N = lead.numel();
  Problem<T> p{.N = N, .Tq = q.size(-2), .Tk = k.size(-2), .d = q.size(-1), .dv = v.size(-1), .q = rows_of<const T>(q, N),
               .k = rows_of<const T>(k, N), .v = rows_of<const T>(v, N), .scale = static_cast<T>(scale),
               .causal = causal, .moff = {}};
  if (mask.defined()) {
    check(mask.dim() >= 2 && mask.size(-2) == p.Tq && mask.size(-1) == p.Tk, "{}: mask {} must be expanded to [*, Tq, "
          "Tk] = [*, {}, {}]", op, mask.shape(), p.Tq, p.Tk);
    check(mask.dtype() == kInt64 || mask.dtype() == q.dtype(), "{}: mask must be int64 or {}", op,
          dtype_name(q.dtype()));
    check(Shape(mask.shape().begin(), mask.shape().end() - 2).numel() == N, "{}: mask {} has {} leading entries, q "
          "has {}", op, mask.shape(), Shape(mask.shape().begin(), mask.shape().end() - 2).numel(), N);
    p.moff = lead_offsets(mask, N);
    p.mi = mask.stride(-2);
    p.mj = mask.stride(-1);
    if (mask.dtype() == kInt64) {
      p.mask_bool = mask.data<int64_t>();
    } else {
      p.mask_add = mask.data<T>();
    }
  }
  return p;
}

// How many batch entries (or query tiles) make a range worth a thread: about kParallelGrain multiply-adds' worth.
int64_t grain_for(int64_t work_per_item) { return std::max<int64_t>(1, kParallelGrain * 16 / std::max<int64_t>(work_per_item, 1)); }

}  // namespace

FlashAttentionForward flash_attention_forward(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in,
                                              const Tensor& mask, bool causal, double scale) {
  const char* op = "flash_attention";
  check_defined(q_in, op);
  check_defined(k_in, op);
  check_defined(v_in, op);
  const Tensor q = gemm_ready(q_in), k = gemm_ready(k_in), v = gemm_ready(v_in);
  return dispatch_float(q.dtype(), op, [&]<class T>() {
    const Problem<T> p = make_problem<T>(q, k, v, mask, causal, scale, op);
    Shape out_shape = q.shape(), lse_shape(q.shape().begin(), q.shape().end() - 1);
    out_shape[out_shape.size() - 1] = p.dv;
    FlashAttentionForward r{empty_in_order_of(out_shape, q), empty(lse_shape, q.dtype())};
    const Rows<T> out = rows_of<T>(r.out, p.N);
    T* lse = r.lse.template data<T>();
    const int64_t tiles = (p.Tq + kQueryTile - 1) / kQueryTile;
    constexpr T kNegInf = -std::numeric_limits<T>::infinity();
    // One item = one query tile of one batch entry; items are independent.
    parallel_for(p.N * tiles, grain_for(kQueryTile * p.Tk * (p.d + p.dv)), [&](int64_t begin, int64_t end) {
      std::vector<T> S(kQueryTile * kKeyTile), O(kQueryTile * p.dv), m(kQueryTile), l(kQueryTile), rescale(kQueryTile);
      for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / tiles, i0 = (item % tiles) * kQueryTile, i1 = std::min(p.Tq, i0 + kQueryTile);
        const int64_t br = i1 - i0;
        std::fill(m.begin(), m.end(), kNegInf);
        std::fill(l.begin(), l.end(), T(0));
        std::fill(O.begin(), O.end(), T(0));
        for (int64_t j0 = 0; j0 < p.key_end(i1); j0 += kKeyTile) {
          const int64_t j1 = std::min(p.key_end(i1), j0 + kKeyTile), bc = j1 - j0;
          p.scores(n, i0, i1, j0, j1, S.data());
          // Per row: the new running max, the scores made relative to it (-inf past the visible keys), and the old
          // sum and output rescaled. Then one exp over the whole tile: a call per row would be mostly loop tails.
          for (int64_t r0 = 0; r0 < br; ++r0) {
            T* row = S.data() + r0 * bc;
            const int64_t n_vis = p.visible(i0 + r0, j0, bc);
            const T mx = n_vis > 0 ? std::max(m[r0], detail::lane_max(row, n_vis)) : m[r0];
            rescale[r0] = mx == kNegInf ? T(1) : std::exp(m[r0] - mx);  // (0 when the old max was -inf)
            if (mx == kNegInf) {  // every key so far masked: this tile adds nothing
              std::fill(row, row + bc, kNegInf);
              continue;
            }
            for (int64_t c = 0; c < n_vis; ++c) row[c] -= mx;
            std::fill(row + n_vis, row + bc, kNegInf);
            m[r0] = mx;
          }
          exp_row(S.data(), br * bc);  // exp(-inf) = 0: masked keys and keys after the query weigh nothing
          for (int64_t r0 = 0; r0 < br; ++r0) {
            const T* row = S.data() + r0 * bc;
            l[r0] = l[r0] * rescale[r0] + detail::lane_sum<T>(bc, [&](int64_t c) { return row[c]; });
            if (rescale[r0] != T(1)) {
              T* o = O.data() + r0 * p.dv;
              for (int64_t c = 0; c < p.dv; ++c) o[c] *= rescale[r0];
            }
          }
          // O += P · V[j0:j1]
          gemm(CblasNoTrans, CblasNoTrans, br, p.dv, bc, T(1), S.data(), bc, p.v(n, j0), p.v.ld, T(1), O.data(), p.dv);
        }
        for (int64_t r0 = 0; r0 < br; ++r0) {
          const int64_t i = i0 + r0;
          T* dst = out(n, i);
          const T inv = l[r0] > T(0) ? T(1) / l[r0] : T(0);  // a fully masked row: output 0
          for (int64_t c = 0; c < p.dv; ++c) dst[c] = O[r0 * p.dv + c] * inv;
          lse[n * p.Tq + i] = l[r0] > T(0) ? m[r0] + std::log(l[r0]) : kNegInf;
        }
      }
    });
    return r;
  });
}

FlashAttentionBackward flash_attention_backward(const Tensor& grad, const Tensor& q_in, const Tensor& k_in,
                                                const Tensor& v_in, const Tensor& mask, bool causal, double scale,
                                                const Tensor& out_in, const Tensor& lse) {
  const char* op = "flash_attention_backward";
  const Tensor q = gemm_ready(q_in), k = gemm_ready(k_in), v = gemm_ready(v_in);
  return dispatch_float(q.dtype(), op, [&]<class T>() {
    const Problem<T> p = make_problem<T>(q, k, v, mask, causal, scale, op);
    check(grad.shape() == out_in.shape() && grad.dtype() == q.dtype() && lse.numel() == p.N * p.Tq,
          "{}: grad {} does not match the output {}", op, grad.shape(), out_in.shape());
    const Tensor gc = gemm_ready(grad), oc = gemm_ready(out_in), lc = lse.contiguous();
    FlashAttentionBackward r{empty_in_order_of(q.shape(), q), empty_in_order_of(k.shape(), k),
                             empty_in_order_of(v.shape(), v)};
    const Rows<const T> dO = rows_of<const T>(gc, p.N), O = rows_of<const T>(oc, p.N);
    const Rows<T> dq = rows_of<T>(r.dq, p.N), dk = rows_of<T>(r.dk, p.N), dv = rows_of<T>(r.dv, p.N);
    const T* L = lc.template data<T>();
    constexpr T kNegInf = -std::numeric_limits<T>::infinity();
    // One batch entry per item: its dk and dv sum over every query tile, in a fixed order, on one thread.
    parallel_for(p.N, grain_for(p.Tq * p.Tk * (2 * p.d + 2 * p.dv)), [&](int64_t begin, int64_t end) {
      std::vector<T> P(kQueryTile * kKeyTile), dP(kQueryTile * kKeyTile), D(static_cast<size_t>(p.Tq));
      for (int64_t n = begin; n < end; ++n) {
        // This entry's gradients start at zero (each row is written by this thread only).
        for (int64_t i = 0; i < p.Tq; ++i) std::fill(dq(n, i), dq(n, i) + p.d, T(0));
        for (int64_t j = 0; j < p.Tk; ++j) {
          std::fill(dk(n, j), dk(n, j) + p.d, T(0));
          std::fill(dv(n, j), dv(n, j) + p.dv, T(0));
        }
        // D_i = dO_i · O_i, the row term of the softmax backward: Σ_j P_ij dP_ij = dO_i · O_i.
        for (int64_t i = 0; i < p.Tq; ++i) {
          const T *g = dO(n, i), *o = O(n, i);
          D[i] = detail::lane_sum<T>(p.dv, [&](int64_t c) { return g[c] * o[c]; });
        }
        for (int64_t j0 = 0; j0 < p.Tk; j0 += kKeyTile) {
          const int64_t j1 = std::min(p.Tk, j0 + kKeyTile), bc = j1 - j0;
          // Causal: query tiles that end before key j0 see none of this key tile.
          const int64_t first = p.causal ? (j0 / kQueryTile) * kQueryTile : 0;
          for (int64_t i0 = first; i0 < p.Tq; i0 += kQueryTile) {
            const int64_t i1 = std::min(p.Tq, i0 + kQueryTile), br = i1 - i0;
            p.scores(n, i0, i1, j0, j1, P.data());
            for (int64_t r0 = 0; r0 < br; ++r0) {  // P = exp(S - lse): the weights, recomputed (0 past the visible keys)
              T* row = P.data() + r0 * bc;
              const T l = L[n * p.Tq + i0 + r0];
              const int64_t n_vis = l == kNegInf ? 0 : p.visible(i0 + r0, j0, bc);
              for (int64_t c = 0; c < n_vis; ++c) row[c] -= l;
              std::fill(row + n_vis, row + bc, kNegInf);
            }
            exp_row(P.data(), br * bc);
            // dV[j] += Pᵀ dO,  dP = dO Vᵀ
            gemm(CblasTrans, CblasNoTrans, bc, p.dv, br, T(1), P.data(), bc, dO(n, i0), dO.ld, T(1), dv(n, j0), dv.ld);
            gemm(CblasNoTrans, CblasTrans, br, bc, p.dv, T(1), dO(n, i0), dO.ld, p.v(n, j0), p.v.ld, T(0), dP.data(), bc);
            for (int64_t r0 = 0; r0 < br; ++r0) {  // dS = P ⊙ (dP - D), kept in dP
              const T Di = D[i0 + r0];
              T* ds = dP.data() + r0 * bc;
              const T* pr = P.data() + r0 * bc;
              for (int64_t c = 0; c < bc; ++c) ds[c] = pr[c] * (ds[c] - Di);
            }
            // dQ[i] += scale · dS K[j],  dK[j] += scale · dSᵀ Q[i]
            gemm(CblasNoTrans, CblasNoTrans, br, p.d, bc, p.scale, dP.data(), bc, p.k(n, j0), p.k.ld, T(1), dq(n, i0),
                 dq.ld);
            gemm(CblasTrans, CblasNoTrans, bc, p.d, br, p.scale, dP.data(), bc, p.q(n, i0), p.q.ld, T(1), dk(n, j0),
                 dk.ld);
          }
        }
      }
    });
    return r;
  });
}

}  // namespace glimpse

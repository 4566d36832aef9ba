// Flash attention, forward and backward, in tiles with an online softmax (flash_attention.h has the idea).
//
// Each tile product is a small GEMM (OpenBLAS; called from inside parallel_for it stays on its thread). Work is split
// across threads by batch entry (and, in forward, by query tile): each output element is computed by one thread in
// one fixed order, so the results are the same bits on any thread count.
#include "tensor/flash_attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

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

// The problem, shared by forward and backward.
template <class T>
struct Problem {
  int64_t N, Tq, Tk, d, dv;
  const T *q, *k, *v;
  T scale;
  bool causal;
  // The mask: element (n, i, j) at mask[moff[n] + i * mi + j * mj]; int64 (non-zero = masked) or T (added).
  const int64_t* mask_bool = nullptr;
  const T* mask_add = nullptr;
  std::vector<int64_t> moff;
  int64_t mi = 0, mj = 0;

  // S[r, c] = scale · q_i · k_j + mask, or -inf where masked, for i = i0 + r < i1 and j = j0 + c < j1.
  void scores(int64_t n, int64_t i0, int64_t i1, int64_t j0, int64_t j1, T* S) const {
    const int64_t br = i1 - i0, bc = j1 - j0;
    gemm(CblasNoTrans, CblasTrans, br, bc, d, scale, q + (n * Tq + i0) * d, d, k + (n * Tk + j0) * d, d, T(0), S, bc);
    constexpr T kNegInf = -std::numeric_limits<T>::infinity();
    for (int64_t r = 0; r < br; ++r) {
      T* row = S + r * bc;
      const int64_t i = i0 + r;
      if (causal) {
        for (int64_t c = std::max<int64_t>(0, i + 1 - j0); c < bc; ++c) row[c] = kNegInf;  // keys j > i
      }
      if (mask_bool) {
        const int64_t* m = mask_bool + moff[n] + i * mi + j0 * mj;
        for (int64_t c = 0; c < bc; ++c) row[c] = m[c * mj] != 0 ? kNegInf : row[c];
      } else if (mask_add) {
        const T* m = mask_add + moff[n] + i * mi + j0 * mj;
        for (int64_t c = 0; c < bc; ++c) row[c] += m[c * mj];
      }
    }
  }
  // The keys a query tile [i0, i1) can see: all of them, or up to i1 - 1 when causal.
  int64_t key_end(int64_t i1) const { return causal ? std::min(Tk, i1) : Tk; }
};

template <class T>
Problem<T> make_problem(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, bool causal,
                        double scale, const char* op) {
  check_defined(q, op);
  check_defined(k, op);
  check_defined(v, op);
  check(q.dim() == 3 && k.dim() == 3 && v.dim() == 3 && q.is_contiguous() && k.is_contiguous() && v.is_contiguous(),
        "{}: q, k, v must be contiguous [N, T, d], got {}, {}, {}", op, q.shape(), k.shape(), v.shape());
  check(q.size(0) == k.size(0) && k.size(0) == v.size(0) && q.size(2) == k.size(2) && k.size(1) == v.size(1),
        "{}: q {}, k {}, v {} do not fit [N, Tq, d], [N, Tk, d], [N, Tk, dv]", op, q.shape(), k.shape(), v.shape());
  check(q.dtype() == k.dtype() && k.dtype() == v.dtype(), "{}: q, k, v must share one dtype", op);
  Problem<T> p{.N = q.size(0), .Tq = q.size(1), .Tk = k.size(1), .d = q.size(2), .dv = v.size(2), .q = q.data<T>(),
               .k = k.data<T>(), .v = v.data<T>(), .scale = static_cast<T>(scale), .causal = causal, .moff = {}};
  if (mask.defined()) {
    check(mask.dim() >= 2 && mask.size(-2) == p.Tq && mask.size(-1) == p.Tk, "{}: mask {} must be expanded to [*, Tq, "
          "Tk] = [*, {}, {}]", op, mask.shape(), p.Tq, p.Tk);
    check(mask.dtype() == kInt64 || mask.dtype() == q.dtype(), "{}: mask must be int64 or {}", op,
          dtype_name(q.dtype()));
    Shape lead(mask.shape().begin(), mask.shape().end() - 2);
    check(lead.numel() == p.N, "{}: mask {} has {} leading entries, q has N = {}", op, mask.shape(), lead.numel(), p.N);
    // Offsets of each leading entry, walking the leading index in row-major order.
    p.moff.assign(static_cast<size_t>(p.N), 0);
    std::vector<int64_t> idx(lead.size(), 0);
    for (int64_t n = 0; n < p.N; ++n) {
      int64_t off = 0;
      for (int a = 0; a < lead.size(); ++a) off += idx[a] * mask.stride(a);
      p.moff[n] = off;
      for (int a = lead.size() - 1; a >= 0 && ++idx[a] == lead[a]; --a) idx[a] = 0;
    }
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

FlashAttentionForward flash_attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask,
                                              bool causal, double scale) {
  const char* op = "flash_attention";
  return dispatch_float(q.dtype(), op, [&]<class T>() {
    const Problem<T> p = make_problem<T>(q, k, v, mask, causal, scale, op);
    FlashAttentionForward r{empty({p.N, p.Tq, p.dv}, q.dtype()), empty({p.N, p.Tq}, q.dtype())};
    T* out = r.out.data<T>();
    T* lse = r.lse.data<T>();
    const int64_t tiles = (p.Tq + kQueryTile - 1) / kQueryTile;
    constexpr T kNegInf = -std::numeric_limits<T>::infinity();
    // One item = one query tile of one batch entry; items are independent.
    parallel_for(p.N * tiles, grain_for(kQueryTile * p.Tk * (p.d + p.dv)), [&](int64_t begin, int64_t end) {
      std::vector<T> S(kQueryTile * kKeyTile), O(kQueryTile * p.dv), m(kQueryTile), l(kQueryTile);
      for (int64_t item = begin; item < end; ++item) {
        const int64_t n = item / tiles, i0 = (item % tiles) * kQueryTile, i1 = std::min(p.Tq, i0 + kQueryTile);
        const int64_t br = i1 - i0;
        std::fill(m.begin(), m.end(), kNegInf);
        std::fill(l.begin(), l.end(), T(0));
        std::fill(O.begin(), O.end(), T(0));
        for (int64_t j0 = 0; j0 < p.key_end(i1); j0 += kKeyTile) {
          const int64_t j1 = std::min(p.key_end(i1), j0 + kKeyTile), bc = j1 - j0;
          p.scores(n, i0, i1, j0, j1, S.data());
          for (int64_t r0 = 0; r0 < br; ++r0) {
            T* row = S.data() + r0 * bc;
            T mx = m[r0];
            for (int64_t c = 0; c < bc; ++c) mx = row[c] > mx ? row[c] : mx;
            if (mx == kNegInf) {  // every key so far masked: this tile adds nothing
              std::fill(row, row + bc, T(0));
              continue;
            }
            for (int64_t c = 0; c < bc; ++c) row[c] -= mx;
            exp_row(row, bc);  // exp(-inf) = 0 at masked keys
            const T rescale = std::exp(m[r0] - mx);  // the old terms were relative to the old max (0 when it was -inf)
            T sum = 0;
            for (int64_t c = 0; c < bc; ++c) sum += row[c];
            l[r0] = l[r0] * rescale + sum;
            m[r0] = mx;
            T* o = O.data() + r0 * p.dv;
            for (int64_t c = 0; c < p.dv; ++c) o[c] *= rescale;
          }
          // O += P · V[j0:j1]
          gemm(CblasNoTrans, CblasNoTrans, br, p.dv, bc, T(1), S.data(), bc, p.v + (n * p.Tk + j0) * p.dv, p.dv, T(1),
               O.data(), p.dv);
        }
        for (int64_t r0 = 0; r0 < br; ++r0) {
          const int64_t i = i0 + r0;
          T* dst = out + (n * p.Tq + i) * p.dv;
          const T inv = l[r0] > T(0) ? T(1) / l[r0] : T(0);  // a fully masked row: output 0
          for (int64_t c = 0; c < p.dv; ++c) dst[c] = O[r0 * p.dv + c] * inv;
          lse[n * p.Tq + i] = l[r0] > T(0) ? m[r0] + std::log(l[r0]) : kNegInf;
        }
      }
    });
    return r;
  });
}

FlashAttentionBackward flash_attention_backward(const Tensor& grad, const Tensor& q, const Tensor& k, const Tensor& v,
                                                const Tensor& mask, bool causal, double scale, const Tensor& out,
                                                const Tensor& lse) {
  const char* op = "flash_attention_backward";
  return dispatch_float(q.dtype(), op, [&]<class T>() {
    const Problem<T> p = make_problem<T>(q, k, v, mask, causal, scale, op);
    check(grad.shape() == out.shape() && grad.dtype() == q.dtype(), "{}: grad {} does not match the output {}", op,
          grad.shape(), out.shape());
    Tensor gc = grad.contiguous(), oc = out.contiguous(), lc = lse.contiguous();
    FlashAttentionBackward r{zeros(q.shape(), q.dtype()), zeros(k.shape(), k.dtype()), zeros(v.shape(), v.dtype())};
    const T* dO = gc.data<T>();
    const T* O = oc.data<T>();
    const T* L = lc.data<T>();
    T *dq = r.dq.data<T>(), *dk = r.dk.data<T>(), *dv = r.dv.data<T>();
    constexpr T kNegInf = -std::numeric_limits<T>::infinity();
    // One batch entry per item: its dk and dv sum over every query tile, in a fixed order, on one thread.
    parallel_for(p.N, grain_for(p.Tq * p.Tk * (2 * p.d + 2 * p.dv)), [&](int64_t begin, int64_t end) {
      std::vector<T> P(kQueryTile * kKeyTile), dP(kQueryTile * kKeyTile), D(static_cast<size_t>(p.Tq));
      for (int64_t n = begin; n < end; ++n) {
        // D_i = dO_i · O_i, the row term of the softmax backward: Σ_j P_ij dP_ij = dO_i · O_i.
        for (int64_t i = 0; i < p.Tq; ++i) {
          T s = 0;
          for (int64_t c = 0; c < p.dv; ++c) s += dO[(n * p.Tq + i) * p.dv + c] * O[(n * p.Tq + i) * p.dv + c];
          D[i] = s;
        }
        for (int64_t j0 = 0; j0 < p.Tk; j0 += kKeyTile) {
          const int64_t j1 = std::min(p.Tk, j0 + kKeyTile), bc = j1 - j0;
          // Causal: query tiles that end before key j0 see none of this key tile.
          const int64_t first = p.causal ? (j0 / kQueryTile) * kQueryTile : 0;
          for (int64_t i0 = first; i0 < p.Tq; i0 += kQueryTile) {
            const int64_t i1 = std::min(p.Tq, i0 + kQueryTile), br = i1 - i0;
            p.scores(n, i0, i1, j0, j1, P.data());
            for (int64_t r0 = 0; r0 < br; ++r0) {  // P = exp(S - lse): the weights, recomputed
              T* row = P.data() + r0 * bc;
              const T l = L[n * p.Tq + i0 + r0];
              if (l == kNegInf) {
                std::fill(row, row + bc, T(0));
                continue;
              }
              for (int64_t c = 0; c < bc; ++c) row[c] -= l;
              exp_row(row, bc);
            }
            const T* dO_i = dO + (n * p.Tq + i0) * p.dv;
            // dV[j] += Pᵀ dO,  dP = dO Vᵀ
            gemm(CblasTrans, CblasNoTrans, bc, p.dv, br, T(1), P.data(), bc, dO_i, p.dv, T(1),
                 dv + (n * p.Tk + j0) * p.dv, p.dv);
            gemm(CblasNoTrans, CblasTrans, br, bc, p.dv, T(1), dO_i, p.dv, p.v + (n * p.Tk + j0) * p.dv, p.dv, T(0),
                 dP.data(), bc);
            for (int64_t r0 = 0; r0 < br; ++r0) {  // dS = P ⊙ (dP - D), kept in dP
              const T Di = D[i0 + r0];
              for (int64_t c = 0; c < bc; ++c) dP[r0 * bc + c] = P[r0 * bc + c] * (dP[r0 * bc + c] - Di);
            }
            // dQ[i] += scale · dS K[j],  dK[j] += scale · dSᵀ Q[i]
            gemm(CblasNoTrans, CblasNoTrans, br, p.d, bc, p.scale, dP.data(), bc, p.k + (n * p.Tk + j0) * p.d, p.d,
                 T(1), dq + (n * p.Tq + i0) * p.d, p.d);
            gemm(CblasTrans, CblasNoTrans, bc, p.d, br, p.scale, dP.data(), bc, p.q + (n * p.Tq + i0) * p.d, p.d, T(1),
                 dk + (n * p.Tk + j0) * p.d, p.d);
          }
        }
      }
    });
    return r;
  });
}

}  // namespace glimpse

// additive_score_projected: vᵀ tanh(wq + wk) for every (query, key) pair, forward and backward in one pass each (see
// additive_score.h for why).
//
// Forward, per batch row b and query i: e[j, h] = tanh(wq[i, h] + wk[j, h]) for all Tk keys at once (one vectorised
// tanh over Tk·H numbers), kept for backward, and score[i, j] = Σ_h v_h e[j, h].
// Backward, with g = dL/dscore: de[i, j, h] = g[i, j] v_h (1 - e²), and
//   dwq[i, h] = Σ_j de     dwk[j, h] = Σ_i de     dv_h = Σ_{b, i, j} g[i, j] e[j, h]
// computed in one sweep over e. It runs on one thread, in a fixed order, so its sums are the same bits on any thread
// count (the sizes of a seq2seq decoder step, [32, 1, 12, 64], are far below a thread's grain anyway).
#include "nn/additive_score.h"

#include <cmath>
#include <utility>

#include "autograd/node.h"
#include "tensor/vecmath.h"

namespace glimpse::nn {
namespace {

void tanh_run(float* p, int64_t n) { vec::tanh(p, p, n); }
void tanh_run(double* p, int64_t n) {
  for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
}

}  // namespace

// wq: [B, Tq, H], wk: [B, Tk, H], v: [1, H] -> [B, Tq, Tk]
Variable additive_score_projected(const Variable& wq, const Variable& wk, const Variable& v) {
  check(wq.defined() && wk.defined() && v.defined(), "additive_score_projected: wq, wk and v must all be defined");
  check(wq.dim() == 3 && wk.dim() == 3 && wq.size(0) == wk.size(0) && wq.size(2) == wk.size(2),
        "additive_score_projected: wq {} and wk {} should be [B, Tq, H] and [B, Tk, H] with the same B and H",
        wq.shape(), wk.shape());
  const int64_t B = wq.size(0), Tq = wq.size(1), Tk = wk.size(1), H = wq.size(2);
  check(v.dim() == 2 && v.size(0) == 1 && v.size(1) == H, "additive_score_projected: v {} should be [1, H] = [1, {}]",
        v.shape(), H);
  const DType dtype = wq.dtype();
  check(wk.dtype() == dtype && v.dtype() == dtype, "additive_score_projected: wq, wk and v must share one dtype; got "
        "{}, {}, {}", dtype_name(dtype), dtype_name(wk.dtype()), dtype_name(v.dtype()));
  const Tensor q = wq.data().contiguous(), k = wk.data().contiguous(), vt = v.data().contiguous();
  Tensor e = empty({B, Tq, Tk, H}, dtype), score = empty({B, Tq, Tk}, dtype);
  dispatch_float(dtype, "additive_score_projected", [&]<class S>() {
    const S *pq = q.data<S>(), *pk = k.data<S>(), *pv = vt.data<S>();
    S *pe = e.data<S>(), *ps = score.data<S>();
    for (int64_t b = 0; b < B; ++b) {
      for (int64_t i = 0; i < Tq; ++i) {
        const S* qi = pq + (b * Tq + i) * H;
        S* ei = pe + (b * Tq + i) * Tk * H;
        for (int64_t j = 0; j < Tk; ++j) {
          const S* kj = pk + (b * Tk + j) * H;
          for (int64_t h = 0; h < H; ++h) ei[j * H + h] = qi[h] + kj[h];
        }
        tanh_run(ei, Tk * H);
        for (int64_t j = 0; j < Tk; ++j) {
          S acc = 0;
          for (int64_t h = 0; h < H; ++h) acc += pv[h] * ei[j * H + h];
          ps[(b * Tq + i) * Tk + j] = acc;
        }
      }
    }
  });
  auto backward = [e, vt, B, Tq, Tk, H](const Tensor& grad) -> Grads {
    const Tensor g = grad.contiguous();  // [B, Tq, Tk]
    const DType dt = g.dtype();
    Tensor dq = zeros({B, Tq, H}, dt), dk = zeros({B, Tk, H}, dt), dv = zeros({1, H}, dt);
    dispatch_float(dt, "additive_score backward", [&]<class S>() {
      const S *pe = e.data<S>(), *pv = vt.data<S>(), *pg = g.data<S>();
      S *pdq = dq.data<S>(), *pdk = dk.data<S>(), *pdv = dv.data<S>();
      for (int64_t b = 0; b < B; ++b) {
        for (int64_t i = 0; i < Tq; ++i) {
          S* dqi = pdq + (b * Tq + i) * H;
          for (int64_t j = 0; j < Tk; ++j) {
            const S gij = pg[(b * Tq + i) * Tk + j];
            const S* eij = pe + ((b * Tq + i) * Tk + j) * H;
            S* dkj = pdk + (b * Tk + j) * H;
            for (int64_t h = 0; h < H; ++h) {
              const S de = gij * pv[h] * (S(1) - eij[h] * eij[h]);
              dqi[h] += de;
              dkj[h] += de;
              pdv[h] += gij * eij[h];
            }
          }
        }
      }
    });
    return {dq, dk, dv};
  };
  return record("additive_score", score, {wq, wk, v}, saved(e, vt), std::move(backward));
}

}  // namespace glimpse::nn

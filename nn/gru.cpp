// nn::GRU: parameters, and the recurrence over time as one differentiable op per layer (see nn/lstm.cpp for why the
// input projection is hoisted out of the loop and the loop is one op with backpropagation through time written out).
#include "nn/gru.h"

#include <cmath>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_shape.h"
#include "tensor/elementwise.h"
#include "tensor/matmul.h"

namespace glimpse::nn {
namespace {

// The recurrence of one GRU layer over a whole sequence.
//   xg: [T, B, 3H]  the input half of the gate pre-activations, x_t W_ihᵀ + b_ih (gate order r, z, n)
//   w_hh: [3H, H], b_hh: [3H] (or undefined), h0: [B, H], lengths: B numbers in [0, T]
//   -> [T + 1, B, H]: rows 0..T-1 are h_1..h_T (0 at padding), row T is h_n, each row's state after its own last
//      real step (a finished row keeps its state, and in backward its dh passes through). T >= 1.
//
// Forward, for t = 0..T-1, with hg = h_t W_hhᵀ + b_hh split as (hg_r, hg_z, hg_n):
//   r = σ(xg_r + hg_r)   z = σ(xg_z + hg_z)   n = tanh(xg_n + r ⊙ hg_n)   h_{t+1} = (1 - z) ⊙ n + z ⊙ h_t
// Backward, for t = T-1..0, carrying dh from step t+1 back to step t:
//   dh += dL/dh_{t+1}                da_n = dh ⊙ (1 - z) ⊙ (1 - n²)
//   da_r = da_n ⊙ hg_n ⊙ r(1 - r)    da_z = dh ⊙ (h_t - n) ⊙ z(1 - z)
//   dxg_t = [da_r, da_z, da_n]       dhg_t = [da_r, da_z, da_n ⊙ r]   (r multiplies only the hidden half of n)
//   dh ← dh ⊙ z + dhg_t W_hh
// and then dW_hh = Σ_t dhg_tᵀ h_t (one GEMM), db_hh = Σ dhg (summed over steps and batch by the engine), dh0 = dh.
Variable gru_recurrence(const Variable& xg, const Variable& w_hh, const Variable& b_hh, const Variable& h0,
                        const std::vector<int64_t>& lengths) {
  const int64_t T = xg.size(0), B = xg.size(1), H = w_hh.size(1);
  const DType dtype = xg.dtype();
  const bool has_bias = b_hh.defined();
  check(w_hh.dtype() == dtype && h0.dtype() == dtype && (!has_bias || b_hh.dtype() == dtype),
        "GRU: the input, weights and state must share one dtype; got {} input, {} weights, {} h", dtype_name(dtype),
        dtype_name(w_hh.dtype()), dtype_name(h0.dtype()));
  const Tensor xg_t = xg.data().contiguous(), w = w_hh.data();
  // Everything backward needs: r, z, n and hg_n at every step, and h_all[t] = h_t.
  Tensor saved = empty({T, B, 4 * H}, dtype), h_all = empty({T + 1, B, H}, dtype);
  h_all.select(0, 0).copy_(h0.data());
  Tensor hg = empty({B, 3 * H}, dtype);  // h_t W_hhᵀ, reused every step
  const Tensor bias = has_bias ? b_hh.data().contiguous() : zeros({3 * H}, dtype);
  for (int64_t t = 0; t < T; ++t) {
    matmul_into(hg, h_all.select(0, t), w.t());
    dispatch_float(dtype, "GRU", [&]<class S>() {
      const S *px = xg_t.data<S>() + t * B * 3 * H, *ph = hg.data<S>(), *pb = bias.data<S>(),
              *h_prev = h_all.data<S>() + t * B * H;
      S *ps = saved.data<S>() + t * B * 4 * H, *h_next = h_all.data<S>() + (t + 1) * B * H;
      for (int64_t b = 0; b < B; ++b) {
        if (t >= lengths[b]) {  // finished: the state stays
          std::copy(h_prev + b * H, h_prev + (b + 1) * H, h_next + b * H);
          continue;
        }
        const S *x = px + b * 3 * H, *h = ph + b * 3 * H;
        S* s = ps + b * 4 * H;
        // s = [r, z, n, hg_n]: the pre-activations, then the activations in place (vectorised for float32)
        for (int64_t j = 0; j < 2 * H; ++j) s[j] = x[j] + h[j] + pb[j];
        sigmoid_inplace(s, 2 * H);  // r, z
        for (int64_t j = 0; j < H; ++j) {
          s[3 * H + j] = h[2 * H + j] + pb[2 * H + j];     // hg_n
          s[2 * H + j] = x[2 * H + j] + s[j] * s[3 * H + j];  // xg_n + r ⊙ hg_n
        }
        tanh_inplace(s + 2 * H, H);  // n
        for (int64_t j = 0; j < H; ++j) {
          const int64_t k = b * H + j;
          const S z = s[H + j], n = s[2 * H + j];
          h_next[k] = n + z * (h_prev[k] - n);  // (1 - z) n + z h
        }
      }
    });
  }
  Tensor out = empty({T + 1, B, H}, dtype);  // its own memory: h_all stays intact for backward
  out.narrow(0, 0, T).copy_(h_all.narrow(0, 1, T));
  out.select(0, T).copy_(h_all.select(0, T));
  for (int64_t b = 0; b < B; ++b) {
    if (lengths[b] < T) out.narrow(0, lengths[b], T - lengths[b]).select(1, b).fill_(0.0);
  }

  std::vector<Variable> inputs{xg, w_hh, h0};
  if (has_bias) inputs.push_back(b_hh);
  return record("gru", out, inputs, glimpse::saved(w),
                [saved, h_all, w, T, B, H, has_bias, lengths](const Tensor& grad) -> Grads {
    const Tensor g_out = grad.contiguous();  // [T + 1, B, H]
    const DType dt = g_out.dtype();
    Tensor d_xg = empty({T, B, 3 * H}, dt), d_hg = empty({T, B, 3 * H}, dt);
    Tensor dh = g_out.select(0, T).clone(), dh_direct = empty({B, H}, dt);
    for (int64_t t = T - 1; t >= 0; --t) {
      dispatch_float(dt, "GRU backward", [&]<class S>() {
        const S *ps = saved.data<S>() + t * B * 4 * H, *h_prev = h_all.data<S>() + t * B * H,
                *dy = g_out.data<S>() + t * B * H;
        S *dx = d_xg.data<S>() + t * B * 3 * H, *dhg = d_hg.data<S>() + t * B * 3 * H, *pdh = dh.data<S>(),
          *pdd = dh_direct.data<S>();
        for (int64_t b = 0; b < B; ++b) {
          const S* s = ps + b * 4 * H;
          S *dxb = dx + b * 3 * H, *dhb = dhg + b * 3 * H;
          if (t >= lengths[b]) {  // finished: no gates, dh passes through
            std::fill(dxb, dxb + 3 * H, S(0));
            std::fill(dhb, dhb + 3 * H, S(0));
            std::copy(pdh + b * H, pdh + (b + 1) * H, pdd + b * H);
            continue;
          }
          for (int64_t j = 0; j < H; ++j) {
            const int64_t k = b * H + j;
            const S r = s[j], z = s[H + j], n = s[2 * H + j], hn = s[3 * H + j];
            const S dh_k = pdh[k] + dy[k];
            const S da_n = dh_k * (S(1) - z) * (S(1) - n * n);
            const S da_r = da_n * hn * r * (S(1) - r);
            const S da_z = dh_k * (h_prev[k] - n) * z * (S(1) - z);
            dxb[j] = da_r, dxb[H + j] = da_z, dxb[2 * H + j] = da_n;
            dhb[j] = da_r, dhb[H + j] = da_z, dhb[2 * H + j] = da_n * r;
            pdd[k] = dh_k * z;
          }
        }
      });
      matmul_into(dh, d_hg.select(0, t), w);  // dh_t = dhg_t W_hh + dh ⊙ z: [B, 3H] @ [3H, H]
      add_(dh, dh_direct);
    }
    // dW_hh = Σ_t dhg_tᵀ h_t over all T*B rows at once: [3H, T*B] @ [T*B, H]
    Tensor d_w = matmul(d_hg.view({T * B, 3 * H}).t(), h_all.narrow(0, 0, T).reshape({T * B, H}));
    Grads grads{d_xg, d_w, dh};
    if (has_bias) grads.push_back(d_hg);  // [T, B, 3H], summed to b_hh's [3H] by the engine
    return grads;
  });
}

}  // namespace

GRU::GRU(int64_t input_size, int64_t hidden_size, const GRUOptions& options)
    : RNNBase("GRU", 3, input_size, hidden_size, options) {
  check(!options.bidirectional, "GRU: bidirectional is not implemented yet (nn::LSTM has it)");
}

// input: [T, B, I] (batch_first: [B, T, I]), h0: [L, B, H], lengths: B numbers
//   -> output [T, B, H] (or [B, T, H]), h_n [L, B, H]
std::pair<Variable, Variable> GRU::forward(const Variable& input, const Variable& h0,
                                           const std::vector<int64_t>& lengths) const {
  const auto [T, B] = check_input(input);
  check_state(h0, "h_0", B);
  const std::vector<int64_t> lens = check_lengths(lengths, T, B);
  const int64_t L = options.num_layers, H = hidden_size;

  // Layers pass their output sequence on time-major ([T, B, H]); batch_first only changes the way in and out.
  Variable seq = input;
  std::vector<Variable> h_n;
  for (int64_t k = 0; k < L; ++k) {
    const LayerWeights& w = layers_[k];
    Variable h = h0.defined() ? h0.select(0, k) : Variable(zeros({B, H}, input.dtype()));
    if (T == 0) {  // nothing to run: the state passes through, the output is empty
      h_n.push_back(h);
      seq = Variable(zeros({0, B, H}, input.dtype()));
      continue;
    }
    // The input half of every gate for all steps at once: [T, B, in] @ [in, 3H] -> [T, B, 3H], made time-major.
    Variable xg = matmul(seq, w.weight_ih.t());
    if (w.bias_ih.defined()) xg = xg + w.bias_ih;
    if (k == 0 && options.batch_first) xg = xg.transpose(0, 1).contiguous();
    const Variable hs = gru_recurrence(xg, w.weight_hh, w.bias_hh, h, lens);  // [T + 1, B, H]: outputs, then h_n
    seq = hs.narrow(0, 0, T);
    h_n.push_back(hs.select(0, T));
    if (options.dropout > 0.0 && k + 1 < L) seq = dropout(seq, options.dropout, is_training());
  }
  if (options.batch_first) seq = seq.transpose(0, 1);  // [T, B, H] -> [B, T, H], a view
  return {seq, stack(h_n, 0)};
}

}  // namespace glimpse::nn

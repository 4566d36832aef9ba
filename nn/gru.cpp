// nn::GRU: parameters, and the recurrence as one GEMM per step plus one fused pointwise op (see nn/lstm.cpp for why
// the input projection is hoisted out of the loop and the step is fused).
#include "nn/gru.h"

#include <cmath>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_shape.h"
#include "nn/init.h"

namespace glimpse::nn {
namespace {

template <class T>
T sigmoid_of(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// One GRU step. xg = x W_ihᵀ + b_ih and hg = h W_hhᵀ (without b_hh): [B, 3H] each, gate order r, z, n; b_hh: [3H]
// (or undefined); h: [B, H]. Returns h': [B, H].
//
// Backward, from dh' (with hn = the n-part of hg + b_hh):
//   dn = dh' ⊙ (1 - z)      dz = dh' ⊙ (h - n)      dh = dh' ⊙ z   (+ what flows back through hg)
//   da_n = dn ⊙ (1 - n²)    da_r = da_n ⊙ hn ⊙ r(1 - r)    da_z = dz ⊙ z(1 - z)
// xg's gradient is [da_r, da_z, da_n]; hg's (and b_hh's, summed over the batch by the engine) is
// [da_r, da_z, da_n ⊙ r], since r multiplies only the hidden half of n.
Variable gru_step(const Variable& xg, const Variable& hg, const Variable& b_hh, const Variable& h) {
  const int64_t B = h.size(0), H = h.size(1);
  check(xg.dtype() == h.dtype() && hg.dtype() == h.dtype(),
        "GRU: the input, weights and state must share one dtype; got gates {} / {} and state {}",
        dtype_name(xg.dtype()), dtype_name(hg.dtype()), dtype_name(h.dtype()));
  const bool has_bias = b_hh.defined();
  const Tensor xg_t = xg.data().contiguous(), hg_t = hg.data().contiguous(), h_t = h.data().contiguous();
  const Tensor b_t = has_bias ? b_hh.data().contiguous() : Tensor();
  Tensor out = empty({B, H}, h.dtype());
  Tensor saved = empty({B, 4 * H}, h.dtype());  // r, z, n and hn = (h W_hnᵀ + b_hn), for backward
  dispatch_float(h.dtype(), "GRU", [&]<class T>() {
    const T *px = xg_t.data<T>(), *ph = hg_t.data<T>(), *pb = has_bias ? b_t.data<T>() : nullptr,
            *hp = h_t.data<T>();
    T *po = out.data<T>(), *ps = saved.data<T>();
    for (int64_t b = 0; b < B; ++b) {
      const T *x = px + b * 3 * H, *hh = ph + b * 3 * H;
      T* s = ps + b * 4 * H;
      for (int64_t j = 0; j < H; ++j) {
        const T br = pb ? pb[j] : T(0), bz = pb ? pb[H + j] : T(0), bn = pb ? pb[2 * H + j] : T(0);
        const T r = sigmoid_of(x[j] + hh[j] + br);
        const T z = sigmoid_of(x[H + j] + hh[H + j] + bz);
        const T hn = hh[2 * H + j] + bn;
        const T n = std::tanh(x[2 * H + j] + r * hn);
        s[j] = r, s[H + j] = z, s[2 * H + j] = n, s[3 * H + j] = hn;
        po[b * H + j] = n + z * (hp[b * H + j] - n);  // (1 - z) n + z h
      }
    }
  });
  std::vector<Variable> inputs{xg, hg, h};
  if (has_bias) inputs.push_back(b_hh);
  return record("gru_step", out, inputs, [saved, h_t, B, H, has_bias](const Tensor& grad) -> Grads {
    const Tensor g_t = grad.contiguous();
    Tensor dx = empty({B, 3 * H}, g_t.dtype()), dhg = empty({B, 3 * H}, g_t.dtype());
    Tensor dh = empty({B, H}, g_t.dtype());
    dispatch_float(g_t.dtype(), "GRU backward", [&]<class T>() {
      const T *pg = g_t.data<T>(), *ps = saved.data<T>(), *hp = h_t.data<T>();
      T *pdx = dx.data<T>(), *pdhg = dhg.data<T>(), *pdh = dh.data<T>();
      for (int64_t b = 0; b < B; ++b) {
        const T* s = ps + b * 4 * H;
        T *dxb = pdx + b * 3 * H, *dhb = pdhg + b * 3 * H;
        for (int64_t j = 0; j < H; ++j) {
          const int64_t k = b * H + j;
          const T r = s[j], z = s[H + j], n = s[2 * H + j], hn = s[3 * H + j], g = pg[k];
          const T da_n = g * (T(1) - z) * (T(1) - n * n);
          const T da_r = da_n * hn * r * (T(1) - r);
          const T da_z = g * (hp[k] - n) * z * (T(1) - z);
          dxb[j] = da_r, dxb[H + j] = da_z, dxb[2 * H + j] = da_n;
          dhb[j] = da_r, dhb[H + j] = da_z, dhb[2 * H + j] = da_n * r;
          pdh[k] = g * z;
        }
      }
    });
    Grads grads{dx, dhg, dh};
    if (has_bias) grads.push_back(dhg);  // [B, 3H], summed to b_hh's [3H] by the engine
    return grads;
  });
}

// U(-1/√H, 1/√H), PyTorch's initialisation of every recurrent weight and bias.
Variable recurrent_parameter(Variable p, int64_t hidden_size) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden_size));
  init::uniform_(p, -bound, bound);
  return p;
}

}  // namespace

GRU::GRU(int64_t input_size, int64_t hidden_size, const GRUOptions& options)
    : Module("GRU"), input_size(input_size), hidden_size(hidden_size), options(options) {
  check(input_size >= 0, "GRU: input_size must be >= 0, got {}", input_size);
  check(hidden_size > 0, "GRU: hidden_size must be > 0, got {}", hidden_size);
  check(options.num_layers >= 1, "GRU: num_layers must be >= 1, got {}", options.num_layers);
  check(options.dropout >= 0.0 && options.dropout <= 1.0, "GRU: dropout must be between 0 and 1, got {}",
        options.dropout);
  const int64_t H = hidden_size;
  for (int64_t k = 0; k < options.num_layers; ++k) {
    const int64_t in = k == 0 ? input_size : H;
    const std::string l = "_l" + std::to_string(k);
    LayerWeights w;
    w.weight_ih = recurrent_parameter(register_parameter("weight_ih" + l, empty({3 * H, in})), H);
    w.weight_hh = recurrent_parameter(register_parameter("weight_hh" + l, empty({3 * H, H})), H);
    if (options.bias) {
      w.bias_ih = recurrent_parameter(register_parameter("bias_ih" + l, empty({3 * H})), H);
      w.bias_hh = recurrent_parameter(register_parameter("bias_hh" + l, empty({3 * H})), H);
    }
    layers_.push_back(w);
  }
}

// input: [T, B, I] (batch_first: [B, T, I]), h0: [L, B, H] -> output [T, B, H] (or [B, T, H]), h_n [L, B, H]
std::pair<Variable, Variable> GRU::forward(const Variable& input, const Variable& h0) const {
  check(input.defined(), "GRU: the input is undefined");
  const char* layout = options.batch_first ? "[B, T, input_size]" : "[T, B, input_size]";
  check(input.dim() == 3, "GRU: input of shape {} should be 3-d, {} (for one sequence, unsqueeze a batch dim)",
        input.shape(), layout);
  check(input.size(2) == input_size, "GRU: input of shape {} has {} features but input_size is {}; expected {}",
        input.shape(), input.size(2), input_size, layout);
  const int64_t T = input.size(options.batch_first ? 1 : 0), B = input.size(options.batch_first ? 0 : 1);
  const int64_t L = options.num_layers, H = hidden_size;
  check(!h0.defined() || h0.shape() == Shape{L, B, H},
        "GRU: initial state of shape {} should be [num_layers, B, hidden_size] = [{}, {}, {}]",
        h0.defined() ? h0.shape() : Shape{}, L, B, H);

  Variable seq = input;  // the current layer's input sequence, in the caller's layout
  std::vector<Variable> h_n;
  for (int64_t k = 0; k < L; ++k) {
    const LayerWeights& w = layers_[k];
    // The input half of every gate for all steps at once: [T, B, in] @ [in, 3H] -> [T, B, 3H], time-major.
    Variable xg = matmul(seq, w.weight_ih.t());
    if (w.bias_ih.defined()) xg = xg + w.bias_ih;
    if (options.batch_first) xg = xg.transpose(0, 1).contiguous();
    Variable h = h0.defined() ? h0.select(0, k) : Variable(zeros({B, H}, input.dtype()));
    std::vector<Variable> outputs;
    outputs.reserve(T);
    for (int64_t t = 0; t < T; ++t) {
      h = gru_step(xg.select(0, t), matmul(h, w.weight_hh.t()), w.bias_hh, h);  // [B, H]
      outputs.push_back(h);
    }
    h_n.push_back(h);
    seq = T > 0 ? stack(outputs, options.batch_first ? 1 : 0)
                : Variable(zeros(options.batch_first ? Shape{B, 0, H} : Shape{0, B, H}, input.dtype()));
    if (options.dropout > 0.0 && k + 1 < L) seq = dropout(seq, options.dropout, is_training());
  }
  return {seq, stack(h_n, 0)};
}

std::string GRU::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size, hidden_size);
  if (options.num_layers != 1) s += fmt::format(", num_layers={}", options.num_layers);
  if (!options.bias) s += ", bias=False";
  if (options.batch_first) s += ", batch_first=True";
  if (options.dropout != 0.0) s += fmt::format(", dropout={}", options.dropout);
  return s;
}

}  // namespace glimpse::nn

// nn::LSTMCell and nn::LSTM: parameters, and the recurrence over time as one differentiable op per layer.
//
// Speed comes from two choices, the same ones cuDNN and PyTorch make. First, the input half of every gate,
// x_t W_ihᵀ + b, does not depend on the previous step, so each layer computes it for all T steps in one matmul
// ([T*B, I] @ [I, 4H]) before the loop; only h W_hhᵀ stays inside. Second, the loop over time is ONE differentiable
// op, lstm_recurrence below, whose backward is backpropagation through time written out: one tape entry per layer
// instead of a dozen per step, no per-step views of the sequence (whose gradients would each be a full-size
// [T, B, 4H] tensor of zeros), and the gradient of W_hh as a single GEMM over all steps.
#include "nn/lstm.h"

#include <cmath>
#include <utility>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_shape.h"
#include "tensor/matmul.h"

namespace glimpse::nn {
namespace {

template <class T>
T sigmoid_of(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// The recurrence of one LSTM layer over a whole sequence.
//   xg: [T, B, 4H]  the input half of the gate pre-activations, x_t W_ihᵀ + b_ih + b_hh (gate order i, f, g, o)
//   w_hh: [4H, H], h0, c0: [B, H]
//   -> [T + 1, B, H]: rows 0..T-1 are h_1..h_T (the output sequence), row T is c_T (one op has one output, so the
//      final cell state travels in an extra row, taken apart with views by the caller). T >= 1.
//
// Forward, for t = 0..T-1 (pre-activations a = xg[t] + h_t W_hhᵀ):
//   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
//   c_{t+1} = f ⊙ c_t + i ⊙ g      h_{t+1} = o ⊙ tanh(c_{t+1})
// Backward, for t = T-1..0, carrying dh and dc from step t+1 back to step t:
//   dh += dL/dh_{t+1} (from the output)           dc += dh ⊙ o ⊙ (1 - tanh²(c_{t+1}))
//   da_i = dc ⊙ g ⊙ i(1 - i)       da_f = dc ⊙ c_t ⊙ f(1 - f)
//   da_g = dc ⊙ i ⊙ (1 - g²)       da_o = dh ⊙ tanh(c_{t+1}) ⊙ o(1 - o)
//   dh ← da W_hh        dc ← dc ⊙ f
// and then dxg = da (all steps), dW_hh = Σ_t da_tᵀ h_t (one GEMM), dh0 = dh, dc0 = dc.
Variable lstm_recurrence(const Variable& xg, const Variable& w_hh, const Variable& h0, const Variable& c0) {
  const int64_t T = xg.size(0), B = xg.size(1), H = w_hh.size(1);
  const DType dtype = xg.dtype();
  check(w_hh.dtype() == dtype && h0.dtype() == dtype && c0.dtype() == dtype,
        "LSTM: the input, weights and state must share one dtype; got {} input, {} weights, {} h, {} c",
        dtype_name(dtype), dtype_name(w_hh.dtype()), dtype_name(h0.dtype()), dtype_name(c0.dtype()));
  const Tensor xg_t = xg.data().contiguous(), w = w_hh.data();
  // Everything backward needs: the activated gates, tanh(c_{t+1}), and h and c at every step (h_all[t] = h_t).
  Tensor gates = empty({T, B, 4 * H}, dtype), tanh_c = empty({T, B, H}, dtype);
  Tensor h_all = empty({T + 1, B, H}, dtype), c_all = empty({T + 1, B, H}, dtype);
  h_all.select(0, 0).copy_(h0.data());
  c_all.select(0, 0).copy_(c0.data());
  Tensor hg = empty({B, 4 * H}, dtype);  // h_t W_hhᵀ, reused every step
  for (int64_t t = 0; t < T; ++t) {
    matmul_into(hg, h_all.select(0, t), w.t());
    dispatch_float(dtype, "LSTM", [&]<class S>() {
      const S *px = xg_t.data<S>() + t * B * 4 * H, *ph = hg.data<S>(), *pc = c_all.data<S>() + t * B * H;
      S *pa = gates.data<S>() + t * B * 4 * H, *ptc = tanh_c.data<S>() + t * B * H;
      S *c_next = c_all.data<S>() + (t + 1) * B * H, *h_next = h_all.data<S>() + (t + 1) * B * H;
      for (int64_t b = 0; b < B; ++b) {
        const S *x = px + b * 4 * H, *h = ph + b * 4 * H;
        S* a = pa + b * 4 * H;
        for (int64_t j = 0; j < H; ++j) {
          const S i = sigmoid_of(x[j] + h[j]);
          const S f = sigmoid_of(x[H + j] + h[H + j]);
          const S g = std::tanh(x[2 * H + j] + h[2 * H + j]);
          const S o = sigmoid_of(x[3 * H + j] + h[3 * H + j]);
          const S c = f * pc[b * H + j] + i * g;
          a[j] = i, a[H + j] = f, a[2 * H + j] = g, a[3 * H + j] = o;
          const S tc = std::tanh(c);
          c_next[b * H + j] = c;
          ptc[b * H + j] = tc;
          h_next[b * H + j] = o * tc;
        }
      }
    });
  }
  Tensor out = empty({T + 1, B, H}, dtype);
  out.narrow(0, 0, T).copy_(h_all.narrow(0, 1, T));
  out.select(0, T).copy_(c_all.select(0, T));

  auto backward = [gates, tanh_c, h_all, c_all, w, T, B, H](const Tensor& grad) -> Grads {
    const Tensor g_out = grad.contiguous();  // [T + 1, B, H]
    const DType dt = g_out.dtype();
    Tensor d_xg = empty({T, B, 4 * H}, dt);
    Tensor dh = zeros({B, H}, dt), dc = g_out.select(0, T).clone();
    for (int64_t t = T - 1; t >= 0; --t) {
      dispatch_float(dt, "LSTM backward", [&]<class S>() {
        const S *pa = gates.data<S>() + t * B * 4 * H, *c_prev = c_all.data<S>() + t * B * H,
                *ptc = tanh_c.data<S>() + t * B * H, *dy = g_out.data<S>() + t * B * H;
        S *pd = d_xg.data<S>() + t * B * 4 * H, *pdh = dh.data<S>(), *pdc = dc.data<S>();
        for (int64_t b = 0; b < B; ++b) {
          const S* a = pa + b * 4 * H;
          S* d = pd + b * 4 * H;
          for (int64_t j = 0; j < H; ++j) {
            const int64_t k = b * H + j;
            const S i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tc = ptc[k];
            const S dh_k = pdh[k] + dy[k];
            const S dc_k = pdc[k] + dh_k * o * (S(1) - tc * tc);
            d[j] = dc_k * g * i * (S(1) - i);
            d[H + j] = dc_k * c_prev[k] * f * (S(1) - f);
            d[2 * H + j] = dc_k * i * (S(1) - g * g);
            d[3 * H + j] = dh_k * tc * o * (S(1) - o);
            pdc[k] = dc_k * f;
          }
        }
      });
      matmul_into(dh, d_xg.select(0, t), w);  // dh_t = da_t W_hh: [B, 4H] @ [4H, H]
    }
    // dW_hh = Σ_t da_tᵀ h_t = daᵀ @ h over all T*B rows at once: [4H, T*B] @ [T*B, H]
    Tensor d_w = matmul(d_xg.view({T * B, 4 * H}).t(), h_all.narrow(0, 0, T).reshape({T * B, H}));
    return {d_xg, d_w, dh, dc};
  };
  return record("lstm", out, {xg, w_hh, h0, c0}, saved(w), std::move(backward));
}

}  // namespace

// ---- LSTMCell

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, bool bias)
    : Module("LSTMCell"), input_size(input_size), hidden_size(hidden_size) {
  check_recurrent_sizes("LSTMCell", input_size, hidden_size);
  const int64_t H = hidden_size;
  // Registration order is PyTorch's, so state_dict() lists the same names in the same order.
  weight_ih = recurrent_uniform_(register_parameter("weight_ih", empty({4 * H, input_size})), H);
  weight_hh = recurrent_uniform_(register_parameter("weight_hh", empty({4 * H, H})), H);
  if (bias) {
    bias_ih = recurrent_uniform_(register_parameter("bias_ih", empty({4 * H})), H);
    bias_hh = recurrent_uniform_(register_parameter("bias_hh", empty({4 * H})), H);
  }
}

// x: [B, I] (or [I]), (h, c): [B, H] -> (h', c'): [B, H]
LSTMState LSTMCell::forward(const Variable& x, const LSTMState& hx) const {
  check(x.defined(), "LSTMCell: the input is undefined");
  check((x.dim() == 1 || x.dim() == 2) && x.size(-1) == input_size,
        "LSTMCell: input of shape {} should be [B, {}] (or [{}] for one sample)", x.shape(), input_size, input_size);
  const bool batched = x.dim() == 2;
  const Variable xb = batched ? x : x.unsqueeze(0);  // [B, I]
  const int64_t B = xb.size(0), H = hidden_size;
  const Shape state_shape = batched ? Shape{B, H} : Shape{H};
  auto state = [&](const Variable& s, const char* name) {
    if (!s.defined()) return Variable(zeros({B, H}, x.dtype()));
    check(s.shape() == state_shape, "LSTMCell: {} has shape {} but should be {} for input {}", name, s.shape(),
          state_shape, x.shape());
    return batched ? s : s.unsqueeze(0);
  };
  const Variable h = state(hx.first, "h"), c = state(hx.second, "c");

  Variable xg = matmul(xb, weight_ih.t());  // [B, I] @ [I, 4H] -> [B, 4H]
  if (bias_ih.defined()) xg = xg + (bias_ih + bias_hh);
  // One step is a sequence of length 1: [1, B, 4H] -> [2, B, H] holding (h', c').
  const Variable hc = lstm_recurrence(xg.unsqueeze(0), weight_hh, h, c);
  if (batched) return {hc.select(0, 0), hc.select(0, 1)};
  return {hc.select(0, 0).squeeze(0), hc.select(0, 1).squeeze(0)};
}

std::string LSTMCell::extra_repr() const {
  return fmt::format("{}, {}{}", input_size, hidden_size, bias_ih.defined() ? "" : ", bias=False");
}

// ---- LSTM

LSTM::LSTM(int64_t input_size, int64_t hidden_size, const LSTMOptions& options)
    : RNNBase("LSTM", 4, input_size, hidden_size, options) {}

// input: [T, B, I] (batch_first: [B, T, I]), hx: [L, B, H] x 2 -> output [T, B, H] (or [B, T, H]), ([L, B, H] x 2)
std::pair<Variable, LSTMState> LSTM::forward(const Variable& input, const LSTMState& hx) const {
  const auto [T, B] = check_input(input);
  check(hx.first.defined() == hx.second.defined(), "LSTM: give both h_0 and c_0, or neither");
  check_state(hx.first, "h_0", B);
  check_state(hx.second, "c_0", B);
  const int64_t L = options.num_layers, H = hidden_size;

  // Layers pass their output sequence on time-major ([T, B, H]); batch_first only changes the way in and out.
  Variable seq = input;
  std::vector<Variable> h_n, c_n;
  for (int64_t k = 0; k < L; ++k) {
    const LayerWeights& w = layers_[k];
    Variable h0 = hx.first.defined() ? hx.first.select(0, k) : Variable(zeros({B, H}, input.dtype()));
    Variable c0 = hx.second.defined() ? hx.second.select(0, k) : Variable(zeros({B, H}, input.dtype()));
    if (T == 0) {  // nothing to run: the state passes through, the output is empty
      h_n.push_back(h0);
      c_n.push_back(c0);
      seq = Variable(zeros({0, B, H}, input.dtype()));
      continue;
    }
    // The input half of every gate for all steps at once: [T, B, in] @ [in, 4H] -> [T, B, 4H] (one GEMM; for
    // batch_first input [B, T, in] it is made time-major afterwards, one copy, so each step reads a contiguous block).
    Variable xg = matmul(seq, w.weight_ih.t());
    if (w.bias_ih.defined()) xg = xg + (w.bias_ih + w.bias_hh);
    if (k == 0 && options.batch_first) xg = xg.transpose(0, 1).contiguous();
    const Variable hc = lstm_recurrence(xg, w.weight_hh, h0, c0);  // [T + 1, B, H]: h_1..h_T, then c_T
    seq = hc.narrow(0, 0, T);
    h_n.push_back(hc.select(0, T - 1));
    c_n.push_back(hc.select(0, T));
    if (options.dropout > 0.0 && k + 1 < L) seq = dropout(seq, options.dropout, is_training());
  }
  if (options.batch_first) seq = seq.transpose(0, 1);  // [T, B, H] -> [B, T, H], a view
  return {seq, {stack(h_n, 0), stack(c_n, 0)}};
}

}  // namespace glimpse::nn

// nn::LSTMCell and nn::LSTM: parameters, and the recurrence over time as one differentiable op per layer.
//
// Speed comes from two choices, the same ones cuDNN and PyTorch make. First, the input half of every gate,
// x_t W_ihᵀ + b, does not depend on the previous step, so each layer computes it for all T steps in one matmul
// ([T*B, I] @ [I, 4H]) before the loop; only h W_hhᵀ stays inside. Second, the loop over time is ONE differentiable
// op, lstm_recurrence below, whose backward is backpropagation through time written out: one tape entry per layer
// instead of a dozen per step, no per-step views of the sequence (whose gradients would each be a full-size
// [T, B, 4H] tensor of zeros), and the gradient of W_hh as a single GEMM over all steps.
#include "nn/lstm.h"

#include <algorithm>
#include <utility>

#include "autograd/node.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_matmul.h"
#include "autograd/ops_shape.h"
#include "tensor/matmul.h"

namespace glimpse::nn {
namespace {

// The recurrence of one LSTM layer in one direction over a padded batch.
//   xg: [T, B, 4H]  the input half of the gate pre-activations, x_t W_ihᵀ + b_ih + b_hh (gate order i, f, g, o)
//   w_hh: [4H, H], h0, c0: [B, H], lengths: B numbers in [0, T] (row b's real positions are 0..lengths[b]-1)
//   -> [T + 2, B, H]: rows 0..T-1 are the output h at every position (0 at padding), row T is h_n and row T+1 is
//      c_n, each row's state after its own last real position (one op has one output, so the final state travels
//      in two extra rows, taken apart with views by the caller). T >= 1.
// Row b runs lengths[b] steps; at step s it reads position s, or lengths[b]-1-s with `reverse` (the backward half
// of a bidirectional layer reads each sentence from its own last word, not from the padding). A finished row keeps
// its state, so padding never changes a real position and the final state is the sentence's own.
//
// Forward, for each real step (pre-activations a = xg[p] + h W_hhᵀ, p the step's position):
//   i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
//   c' = f ⊙ c + i ⊙ g      h' = o ⊙ tanh(c')
// Backward, for the steps in reverse order, carrying dh and dc back one step:
//   dh += dL/dh' (from the output)              dc += dh ⊙ o ⊙ (1 - tanh²(c'))
//   da_i = dc ⊙ g ⊙ i(1 - i)       da_f = dc ⊙ c ⊙ f(1 - f)
//   da_g = dc ⊙ i ⊙ (1 - g²)       da_o = dh ⊙ tanh(c') ⊙ o(1 - o)
//   dh ← da W_hh        dc ← dc ⊙ f             (a finished row's dh and dc pass through unchanged)
// and then dxg = da (0 at padding), dW_hh = Σ da_pᵀ h_before(p) over all positions (one GEMM), dh0 = dh, dc0 = dc.
Variable lstm_recurrence(const Variable& xg, const Variable& w_hh, const Variable& h0, const Variable& c0,
                         const std::vector<int64_t>& lengths, bool reverse) {
  const int64_t T = xg.size(0), B = xg.size(1), H = w_hh.size(1);
  const DType dtype = xg.dtype();
  check(w_hh.dtype() == dtype && h0.dtype() == dtype && c0.dtype() == dtype,
        "LSTM: the input, weights and state must share one dtype; got {} input, {} weights, {} h, {} c",
        dtype_name(dtype), dtype_name(w_hh.dtype()), dtype_name(h0.dtype()), dtype_name(c0.dtype()));
  const Tensor xg_t = xg.data().contiguous(), w = w_hh.data();
  // Where row b is at step s, or -1 once it has finished.
  auto position = [lengths, reverse](int64_t s, int64_t b) -> int64_t {
    if (s >= lengths[b]) return -1;
    return reverse ? lengths[b] - 1 - s : s;
  };
  // Everything backward needs, stored by position: the activated gates, tanh(c'), and the state before the step
  // (zero at padding, so the dW_hh GEMM over all positions adds nothing for them).
  Tensor gates = empty({T, B, 4 * H}, dtype), tanh_c = empty({T, B, H}, dtype);
  // Without padding every position is written below, so the buffers need no zeroing (the decoder's cell, called at
  // every target step, always has none).
  const bool padded = std::any_of(lengths.begin(), lengths.end(), [T](int64_t n) { return n < T; });
  auto buffer = [padded, dtype](const Shape& shape) { return padded ? zeros(shape, dtype) : empty(shape, dtype); };
  Tensor h_before = buffer({T, B, H}), c_before = buffer({T, B, H});
  Tensor out = buffer({T + 2, B, H});
  Tensor h = out.select(0, T), c = out.select(0, T + 1);  // the running state lives in the last two rows
  h.copy_(h0.data());
  c.copy_(c0.data());
  Tensor hg = empty({B, 4 * H}, dtype);  // h W_hhᵀ, reused every step
  for (int64_t s = 0; s < T; ++s) {
    matmul_into(hg, h, w.t());
    dispatch_float(dtype, "LSTM", [&]<class S>() {
      S *ph = h.data<S>(), *pc = c.data<S>();
      for (int64_t b = 0; b < B; ++b) {
        const int64_t p = position(s, b);
        if (p < 0) continue;
        const int64_t row = p * B + b;
        const S *x = xg_t.data<S>() + row * 4 * H, *hh = hg.data<S>() + b * 4 * H;
        S* a = gates.data<S>() + row * 4 * H;
        S *ptc = tanh_c.data<S>() + row * H, *hb = h_before.data<S>() + row * H, *cb = c_before.data<S>() + row * H;
        S *y = out.data<S>() + row * H, *hr = ph + b * H, *cr = pc + b * H;
        // a = xg + h W_hhᵀ, then the activations in place, each gate's run at once (vectorised for float32)
        for (int64_t j = 0; j < 4 * H; ++j) a[j] = x[j] + hh[j];
        sigmoid_inplace(a, 2 * H);      // i, f
        tanh_inplace(a + 2 * H, H);     // g
        sigmoid_inplace(a + 3 * H, H);  // o
        const S *gi = a, *gf = a + H, *gg = a + 2 * H, *go = a + 3 * H;
        for (int64_t j = 0; j < H; ++j) {
          hb[j] = hr[j], cb[j] = cr[j];
          cr[j] = gf[j] * cr[j] + gi[j] * gg[j];  // c'
          ptc[j] = cr[j];
        }
        tanh_inplace(ptc, H);  // tanh(c')
        for (int64_t j = 0; j < H; ++j) hr[j] = y[j] = go[j] * ptc[j];
      }
    });
  }

  auto backward = [gates, tanh_c, h_before, c_before, w, T, B, H, position, padded](const Tensor& grad) -> Grads {
    const Tensor g_out = grad.contiguous();  // [T + 2, B, H]
    const DType dt = g_out.dtype();
    // d_xg: every real position is written; padding must read 0. da: every row is written at every step.
    Tensor d_xg = padded ? zeros({T, B, 4 * H}, dt) : empty({T, B, 4 * H}, dt), da = empty({B, 4 * H}, dt);
    Tensor dh = g_out.select(0, T).clone(), dc = g_out.select(0, T + 1).clone(), dh_new = empty({B, H}, dt);
    for (int64_t s = T - 1; s >= 0; --s) {
      dispatch_float(dt, "LSTM backward", [&]<class S>() {
        S *pdh = dh.data<S>(), *pdc = dc.data<S>();
        for (int64_t b = 0; b < B; ++b) {
          S* d = da.data<S>() + b * 4 * H;
          const int64_t p = position(s, b);
          if (p < 0) {  // finished: no gate here, and dh, dc pass through
            std::fill(d, d + 4 * H, S(0));
            continue;
          }
          const int64_t row = p * B + b;
          const S *a = gates.data<S>() + row * 4 * H, *cb = c_before.data<S>() + row * H,
                  *ptc = tanh_c.data<S>() + row * H, *dy = g_out.data<S>() + row * H;
          S *dx = d_xg.data<S>() + row * 4 * H, *dhr = pdh + b * H, *dcr = pdc + b * H;
          for (int64_t j = 0; j < H; ++j) {
            const S i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tc = ptc[j];
            const S dh_k = dhr[j] + dy[j];
            const S dc_k = dcr[j] + dh_k * o * (S(1) - tc * tc);
            d[j] = dc_k * g * i * (S(1) - i);
            d[H + j] = dc_k * cb[j] * f * (S(1) - f);
            d[2 * H + j] = dc_k * i * (S(1) - g * g);
            d[3 * H + j] = dh_k * tc * o * (S(1) - o);
            dcr[j] = dc_k * f;
          }
          std::copy(d, d + 4 * H, dx);
        }
      });
      matmul_into(dh_new, da, w);  // da W_hh: [B, 4H] @ [4H, H]
      dispatch_float(dt, "LSTM backward", [&]<class S>() {
        for (int64_t b = 0; b < B; ++b) {
          if (position(s, b) < 0) continue;  // a finished row keeps the dh it carries
          std::copy(dh_new.data<S>() + b * H, dh_new.data<S>() + (b + 1) * H, dh.data<S>() + b * H);
        }
      });
    }
    // dW_hh = Σ da_pᵀ h_before(p) over all T*B positions at once: [4H, T*B] @ [T*B, H]
    Tensor d_w = matmul(d_xg.view({T * B, 4 * H}).t(), h_before.view({T * B, H}));
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
  auto [h1, c1] = lstm_cell(xg, weight_hh, {h, c});
  if (batched) return {h1, c1};
  return {h1.squeeze(0), c1.squeeze(0)};
}

// gates_x: [B, 4H], w_hh: [4H, H], (h, c): [B, H] -> (h', c'): [B, H]
LSTMState lstm_cell(const Variable& gates_x, const Variable& w_hh, const LSTMState& hx) {
  check(gates_x.defined() && w_hh.defined() && hx.first.defined() && hx.second.defined(),
        "lstm_cell: gates_x, w_hh, h and c must all be defined");
  check(w_hh.dim() == 2 && w_hh.size(0) == 4 * w_hh.size(1), "lstm_cell: w_hh {} should be [4H, H]", w_hh.shape());
  const int64_t H = w_hh.size(1);
  check(gates_x.dim() == 2 && gates_x.size(1) == 4 * H, "lstm_cell: gates_x {} should be [B, 4H] = [B, {}]",
        gates_x.shape(), 4 * H);
  const int64_t B = gates_x.size(0);
  const Shape state_shape{B, H};
  check(hx.first.shape() == state_shape && hx.second.shape() == state_shape,
        "lstm_cell: h {} and c {} should both be [B, H] = [{}, {}]", hx.first.shape(), hx.second.shape(), B, H);
  // One step is a sequence of length 1: [1, B, 4H] -> [3, B, H] holding (output, h', c').
  const Variable hc = lstm_recurrence(gates_x.unsqueeze(0), w_hh, hx.first, hx.second, std::vector<int64_t>(B, 1),
                                      false);
  return {hc.select(0, 1), hc.select(0, 2)};
}

std::string LSTMCell::extra_repr() const {
  return fmt::format("{}, {}{}", input_size, hidden_size, bias_ih.defined() ? "" : ", bias=False");
}

// ---- LSTM

LSTM::LSTM(int64_t input_size, int64_t hidden_size, const LSTMOptions& options)
    : RNNBase("LSTM", 4, input_size, hidden_size, options) {}

// input: [T, B, I] (batch_first: [B, T, I]), hx: [L*D, B, H] x 2, lengths: B numbers
//   -> output [T, B, D*H] (or [B, T, D*H]), ([L*D, B, H] x 2)
std::pair<Variable, LSTMState> LSTM::forward(const Variable& input, const LSTMState& hx,
                                             const std::vector<int64_t>& lengths) const {
  const auto [T, B] = check_input(input);
  check(hx.first.defined() == hx.second.defined(), "LSTM: give both h_0 and c_0, or neither");
  check_state(hx.first, "h_0", B);
  check_state(hx.second, "c_0", B);
  const std::vector<int64_t> lens = check_lengths(lengths, T, B);
  const int64_t L = options.num_layers, H = hidden_size, D = options.bidirectional ? 2 : 1;

  // Layers pass their output sequence on time-major ([T, B, D*H]); batch_first only changes the way in and out.
  Variable seq = input;
  std::vector<Variable> h_n, c_n;
  for (int64_t k = 0; k < L; ++k) {
    std::vector<Variable> directions;
    for (int64_t d = 0; d < D; ++d) {
      const int64_t n = k * D + d;  // PyTorch's order of the states: layer by layer, forward before reverse
      const LayerWeights& w = layers_[n];
      Variable h0 = hx.first.defined() ? hx.first.select(0, n) : Variable(zeros({B, H}, input.dtype()));
      Variable c0 = hx.second.defined() ? hx.second.select(0, n) : Variable(zeros({B, H}, input.dtype()));
      if (T == 0) {  // nothing to run: the state passes through, the output is empty
        h_n.push_back(h0);
        c_n.push_back(c0);
        directions.push_back(Variable(zeros({0, B, H}, input.dtype())));
        continue;
      }
      // The input half of every gate for all steps at once: [T, B, in] @ [in, 4H] -> [T, B, 4H] (one GEMM; for
      // batch_first input [B, T, in] it is made time-major afterwards, one copy, so each step reads a contiguous
      // block).
      Variable xg = matmul(seq, w.weight_ih.t());
      if (w.bias_ih.defined()) xg = xg + (w.bias_ih + w.bias_hh);
      if (k == 0 && options.batch_first) xg = xg.transpose(0, 1).contiguous();
      // [T + 2, B, H]: the outputs (0 at padding), then h_n and c_n
      const Variable hc = lstm_recurrence(xg, w.weight_hh, h0, c0, lens, d == 1);
      directions.push_back(hc.narrow(0, 0, T));
      h_n.push_back(hc.select(0, T));
      c_n.push_back(hc.select(0, T + 1));
    }
    seq = D == 1 ? directions[0] : cat(directions, 2);  // [T, B, D*H]
    if (options.dropout > 0.0 && k + 1 < L) seq = dropout(seq, options.dropout, is_training());
  }
  if (options.batch_first) seq = seq.transpose(0, 1);  // [T, B, D*H] -> [B, T, D*H], a view
  return {seq, {stack(h_n, 0), stack(c_n, 0)}};
}

}  // namespace glimpse::nn

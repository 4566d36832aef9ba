// nn::LSTMCell and nn::LSTM: parameters, and the recurrence as one GEMM per step plus one fused pointwise op.
//
// Speed comes from two choices. First, the input half of every gate, x_t W_ihᵀ + b, does not depend on the previous
// step, so each layer computes it for all T steps in a single matmul ([T*B, I] @ [I, 4H]) before the loop; only
// h W_hhᵀ stays inside it. Second, the dozen small elementwise ops of one step (three sigmoids, two tanh, the
// products and sums) run as one op, lstm_step below, with a hand-written backward: one tape entry and one pass over
// memory per step instead of a dozen.
#include "nn/lstm.h"

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

// One LSTM step from the gate pre-activations. xg = x W_ihᵀ + b_ih + b_hh and hg = h W_hhᵀ: [B, 4H] each (gate order
// i, f, g, o); c: [B, H], the previous cell state. Returns hc: [2, B, H] with h' = hc[0] and c' = hc[1] (one op has
// one output, so the two states travel together and are taken apart with select(), a view).
//
// Backward, from the gradients dh and dc of h' and c' (with tc = tanh(c')):
//   dc_total = dc + dh ⊙ o ⊙ (1 - tc²)                    (c' reaches the loss directly and through h')
//   da_i = dc_total ⊙ g ⊙ i(1 - i)     da_f = dc_total ⊙ c ⊙ f(1 - f)
//   da_g = dc_total ⊙ i ⊙ (1 - g²)     da_o = dh ⊙ tc ⊙ o(1 - o)
//   dc_prev = dc_total ⊙ f
// and the gradient of xg and of hg is the same da (they were added).
Variable lstm_step(const Variable& xg, const Variable& hg, const Variable& c) {
  const int64_t B = c.size(0), H = c.size(1);
  check(xg.dtype() == c.dtype() && hg.dtype() == c.dtype(),
        "LSTM: the input, weights and state must share one dtype; got gates {} / {} and cell state {}",
        dtype_name(xg.dtype()), dtype_name(hg.dtype()), dtype_name(c.dtype()));
  const Tensor xg_t = xg.data().contiguous(), hg_t = hg.data().contiguous(), c_t = c.data().contiguous();
  Tensor hc = empty({2, B, H}, c.dtype());
  Tensor acts = empty({B, 4 * H}, c.dtype());  // i, f, g, o after their nonlinearities, saved for backward
  Tensor tanh_c = empty({B, H}, c.dtype());    // tanh(c'), saved for backward
  dispatch_float(c.dtype(), "LSTM", [&]<class T>() {
    const T *px = xg_t.data<T>(), *ph = hg_t.data<T>(), *pc = c_t.data<T>();
    T *h_out = hc.data<T>(), *c_out = h_out + B * H, *pa = acts.data<T>(), *pt = tanh_c.data<T>();
    for (int64_t b = 0; b < B; ++b) {
      const T *x = px + b * 4 * H, *h = ph + b * 4 * H;
      T* a = pa + b * 4 * H;
      for (int64_t j = 0; j < H; ++j) {
        const T i = sigmoid_of(x[j] + h[j]);
        const T f = sigmoid_of(x[H + j] + h[H + j]);
        const T g = std::tanh(x[2 * H + j] + h[2 * H + j]);
        const T o = sigmoid_of(x[3 * H + j] + h[3 * H + j]);
        const T cn = f * pc[b * H + j] + i * g;
        const T tc = std::tanh(cn);
        a[j] = i, a[H + j] = f, a[2 * H + j] = g, a[3 * H + j] = o;
        c_out[b * H + j] = cn;
        pt[b * H + j] = tc;
        h_out[b * H + j] = o * tc;
      }
    }
  });
  return record("lstm_step", hc, {xg, hg, c}, [acts, tanh_c, c_t, B, H](const Tensor& grad) -> Grads {
    const Tensor g_t = grad.contiguous();  // [2, B, H]: dh then dc
    Tensor da = empty({B, 4 * H}, g_t.dtype());
    Tensor dc_prev = empty({B, H}, g_t.dtype());
    dispatch_float(g_t.dtype(), "LSTM backward", [&]<class T>() {
      const T *dh = g_t.data<T>(), *dc = dh + B * H, *pa = acts.data<T>(), *pt = tanh_c.data<T>(),
              *pc = c_t.data<T>();
      T *pda = da.data<T>(), *pdc = dc_prev.data<T>();
      for (int64_t b = 0; b < B; ++b) {
        const T* a = pa + b * 4 * H;
        T* d = pda + b * 4 * H;
        for (int64_t j = 0; j < H; ++j) {
          const int64_t k = b * H + j;
          const T i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], tc = pt[k];
          const T dct = dc[k] + dh[k] * o * (T(1) - tc * tc);
          d[j] = dct * g * i * (T(1) - i);
          d[H + j] = dct * pc[k] * f * (T(1) - f);
          d[2 * H + j] = dct * i * (T(1) - g * g);
          d[3 * H + j] = dh[k] * tc * o * (T(1) - o);
          pdc[k] = dct * f;
        }
      }
    });
    return {da, da, dc_prev};
  });
}

// U(-1/√H, 1/√H), PyTorch's initialisation of every recurrent weight and bias.
Variable recurrent_parameter(Variable p, int64_t hidden_size) {
  const double bound = hidden_size > 0 ? 1.0 / std::sqrt(static_cast<double>(hidden_size)) : 0.0;
  init::uniform_(p, -bound, bound);
  return p;
}

void check_sizes(const char* op, int64_t input_size, int64_t hidden_size) {
  check(input_size >= 0, "{}: input_size must be >= 0, got {}", op, input_size);
  check(hidden_size > 0, "{}: hidden_size must be > 0, got {}", op, hidden_size);
}

}  // namespace

// ---- LSTMCell

LSTMCell::LSTMCell(int64_t input_size, int64_t hidden_size, bool bias)
    : Module("LSTMCell"), input_size(input_size), hidden_size(hidden_size) {
  check_sizes("LSTMCell", input_size, hidden_size);
  const int64_t H = hidden_size;
  // Registration order is PyTorch's, so state_dict() lists the same names in the same order.
  weight_ih = recurrent_parameter(register_parameter("weight_ih", empty({4 * H, input_size})), H);
  weight_hh = recurrent_parameter(register_parameter("weight_hh", empty({4 * H, H})), H);
  if (bias) {
    bias_ih = recurrent_parameter(register_parameter("bias_ih", empty({4 * H})), H);
    bias_hh = recurrent_parameter(register_parameter("bias_hh", empty({4 * H})), H);
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
  const Variable hc = lstm_step(xg, matmul(h, weight_hh.t()), c);  // -> [2, B, H]
  if (batched) return {hc.select(0, 0), hc.select(0, 1)};
  return {hc.select(0, 0).squeeze(0), hc.select(0, 1).squeeze(0)};
}

std::string LSTMCell::extra_repr() const {
  return fmt::format("{}, {}{}", input_size, hidden_size, bias_ih.defined() ? "" : ", bias=False");
}

// ---- LSTM

LSTM::LSTM(int64_t input_size, int64_t hidden_size, const LSTMOptions& options)
    : Module("LSTM"), input_size(input_size), hidden_size(hidden_size), options(options) {
  check_sizes("LSTM", input_size, hidden_size);
  check(options.num_layers >= 1, "LSTM: num_layers must be >= 1, got {}", options.num_layers);
  check(options.dropout >= 0.0 && options.dropout <= 1.0, "LSTM: dropout must be between 0 and 1, got {}",
        options.dropout);
  const int64_t H = hidden_size;
  for (int64_t k = 0; k < options.num_layers; ++k) {
    const int64_t in = k == 0 ? input_size : H;
    const std::string l = "_l" + std::to_string(k);
    LayerWeights w;
    w.weight_ih = recurrent_parameter(register_parameter("weight_ih" + l, empty({4 * H, in})), H);
    w.weight_hh = recurrent_parameter(register_parameter("weight_hh" + l, empty({4 * H, H})), H);
    if (options.bias) {
      w.bias_ih = recurrent_parameter(register_parameter("bias_ih" + l, empty({4 * H})), H);
      w.bias_hh = recurrent_parameter(register_parameter("bias_hh" + l, empty({4 * H})), H);
    }
    layers_.push_back(w);
  }
}

// input: [T, B, I] (batch_first: [B, T, I]), hx: [L, B, H] x 2 -> output [T, B, H] (or [B, T, H]), ([L, B, H] x 2)
std::pair<Variable, LSTMState> LSTM::forward(const Variable& input, const LSTMState& hx) const {
  check(input.defined(), "LSTM: the input is undefined");
  const char* layout = options.batch_first ? "[B, T, input_size]" : "[T, B, input_size]";
  check(input.dim() == 3, "LSTM: input of shape {} should be 3-d, {} (for one sequence, unsqueeze a batch dim)",
        input.shape(), layout);
  check(input.size(2) == input_size, "LSTM: input of shape {} has {} features but input_size is {}; expected {}",
        input.shape(), input.size(2), input_size, layout);
  const int64_t T = input.size(options.batch_first ? 1 : 0), B = input.size(options.batch_first ? 0 : 1);
  const int64_t L = options.num_layers, H = hidden_size;
  check(hx.first.defined() == hx.second.defined(), "LSTM: give both h_0 and c_0, or neither");
  for (const Variable* s : {&hx.first, &hx.second}) {
    check(!s->defined() || s->shape() == Shape{L, B, H},
          "LSTM: initial state of shape {} should be [num_layers, B, hidden_size] = [{}, {}, {}]",
          s->defined() ? s->shape() : Shape{}, L, B, H);
  }

  Variable seq = input;  // the current layer's input sequence, in the caller's layout
  std::vector<Variable> h_n, c_n;
  for (int64_t k = 0; k < L; ++k) {
    const LayerWeights& w = layers_[k];
    // The input half of every gate for all steps at once: [T, B, in] @ [in, 4H] -> [T, B, 4H] (one GEMM), then laid
    // out time-major so that each step reads one contiguous [B, 4H] block.
    Variable xg = matmul(seq, w.weight_ih.t());
    if (w.bias_ih.defined()) xg = xg + (w.bias_ih + w.bias_hh);
    if (options.batch_first) xg = xg.transpose(0, 1).contiguous();
    Variable h = hx.first.defined() ? hx.first.select(0, k) : Variable(zeros({B, H}, input.dtype()));
    Variable c = hx.second.defined() ? hx.second.select(0, k) : Variable(zeros({B, H}, input.dtype()));
    std::vector<Variable> outputs;
    outputs.reserve(T);
    for (int64_t t = 0; t < T; ++t) {
      const Variable hc = lstm_step(xg.select(0, t), matmul(h, w.weight_hh.t()), c);  // [2, B, H]
      h = hc.select(0, 0);
      c = hc.select(0, 1);
      outputs.push_back(h);
    }
    h_n.push_back(h);
    c_n.push_back(c);
    const int64_t time_dim = options.batch_first ? 1 : 0;
    seq = T > 0 ? stack(outputs, time_dim)
                : Variable(zeros(options.batch_first ? Shape{B, 0, H} : Shape{0, B, H}, input.dtype()));
    if (options.dropout > 0.0 && k + 1 < L) seq = dropout(seq, options.dropout, is_training());
  }
  return {seq, {stack(h_n, 0), stack(c_n, 0)}};
}

std::string LSTM::extra_repr() const {
  std::string s = fmt::format("{}, {}", input_size, hidden_size);
  if (options.num_layers != 1) s += fmt::format(", num_layers={}", options.num_layers);
  if (!options.bias) s += ", bias=False";
  if (options.batch_first) s += ", batch_first=True";
  if (options.dropout != 0.0) s += fmt::format(", dropout={}", options.dropout);
  return s;
}

}  // namespace glimpse::nn

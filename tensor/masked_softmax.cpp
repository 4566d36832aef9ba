// The fused masked softmax, forward and backward (see masked_softmax.h; the op and its rules are documented in
// autograd/ops_masked_softmax.h).
#include "tensor/masked_softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "tensor/iter.h"

namespace glimpse {
namespace {

// Accumulate float32 sums in double: a row of thousands of weights keeps its precision.
template <class T>
using Acc = std::conditional_t<std::is_same_v<T, float>, double, T>;

// One row: y = softmax(scale * s + additive) over the unmasked positions, 0 at masked ones, all 0 if all are masked.
// Mask element j of the row is read at mask[j * mstride] (mstride 0 for a mask broadcast along the row);
// M is int64_t for a boolean mask (non-zero = masked) or T for an additive one; `visible` is how many leading keys
// the causal mask lets through (n when not causal).
template <class T, class M>
void masked_softmax_row(const T* s, T* y, int64_t n, T scale, const M* mask, int64_t mstride, int64_t visible) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  T m = kNegInf;
  for (int64_t j = 0; j < n; ++j) {
    T z = scale * s[j];
    if (j >= visible) {
      z = kNegInf;
    } else if (mask != nullptr) {
      if constexpr (std::is_same_v<M, int64_t>) {
        if (mask[j * mstride] != 0) z = kNegInf;
      } else {
        z += mask[j * mstride];
      }
    }
    y[j] = z;
    if (z > m || z != z) m = (m != m) ? m : z;  // a NaN score sticks, so it shows in the output instead of vanishing
  }
  if (m == kNegInf) {  // every key masked: the row is all zeros (defined behaviour, see attention.h)
    for (int64_t j = 0; j < n; ++j) y[j] = T(0);
    return;
  }
  Acc<T> total = 0;
  for (int64_t j = 0; j < n; ++j) {
    y[j] = std::exp(y[j] - m);  // exp(-inf - m) = 0 for masked positions
    total += static_cast<Acc<T>>(y[j]);
  }
  const T inv = static_cast<T>(Acc<T>(1) / total);
  for (int64_t j = 0; j < n; ++j) y[j] *= inv;
}

// Calls fn(row, mask_offset) for every row of a [*, Tq, Tk] tensor in row-major order, where mask_offset is where
// that row's mask starts in a mask with (broadcast) strides `mask_strides` over the leading dims [*, Tq].
template <class Fn>
void for_each_row(const Shape& lead, const Strides& mask_strides, Fn&& fn) {
  int64_t row = 0;
  for_each_block<1>(lead, {&mask_strides}, [&](const Block<1>& b) {
    for (int64_t i = 0; i < b.n; ++i) fn(row++, b.offset[0] + i * b.stride[0]);
  });
}


}  // namespace

// mask: broadcasts to scores_shape -> mask expanded to scores_shape
Tensor expand_attention_mask(const Tensor& mask, const Shape& scores_shape, DType dtype, const char* caller) {
  if (!mask.defined()) return mask;
  const Shape& shape = scores_shape;
  bool fits = mask.dim() <= shape.size();
  for (int i = 0; fits && i < mask.dim(); ++i) {
    const int64_t ms = mask.shape()[mask.dim() - 1 - i], ss = shape[shape.size() - 1 - i];
    fits = ms == ss || ms == 1;
  }
  check(fits, "{}: mask of shape {} does not broadcast to the attention scores [*, Tq, Tk] = {}; give a mask of "
        "shape [Tq, Tk] = [{}, {}] (shared by all) or one that matches the scores with size-1 dims where shared",
        caller, mask.shape(), shape, shape[shape.size() - 2], shape[shape.size() - 1]);
  const Tensor m = mask.dtype() == kInt64 ? mask : mask.to(dtype);  // an additive mask is added in the scores' type
  return m.expand(shape);
}

// scores: [*, Tq, Tk] -> [*, Tq, Tk]
Tensor masked_softmax_forward(const Tensor& scores, const Tensor& mask, const MaskedSoftmaxOptions& options) {
  const char* op = options.caller;
  check_defined(scores, op);
  const Tensor s = scores.contiguous();
  check(is_floating(s.dtype()), "{}: scores must be float32 or float64, got {}", op, dtype_name(s.dtype()));
  check(s.dim() >= 2, "{}: scores must be [*, Tq, Tk] (at least 2-d), got shape {}", op, s.shape());
  const Shape& shape = s.shape();
  const int64_t Tq = s.size(-2), Tk = s.size(-1);
  const Tensor m = expand_attention_mask(mask, shape, s.dtype(), op);

  Tensor y = empty(shape, s.dtype());
  Shape lead(shape.begin(), shape.end() - 1);  // [*, Tq]: one softmax per entry
  Strides mask_lead = m.defined() ? Strides(m.strides().begin(), m.strides().end() - 1) : Shape::filled(lead.size(), 0);
  const int64_t mask_stride = m.defined() ? m.strides().back() : 0;

  dispatch_float(s.dtype(), op, [&]<class T>() {
    const T* ps = s.data<T>();
    T* py = y.data<T>();
    const T sc = static_cast<T>(options.scale);
    auto run = [&]<class M>(const M* pm) {
      for_each_row(lead, mask_lead, [&](int64_t row, int64_t moff) {
        // Causal: query i = row % Tq sees keys 0..i (top-left aligned, as torch's is_causal).
        const int64_t visible = options.causal ? std::min(row % Tq + 1, Tk) : Tk;
        masked_softmax_row<T, M>(ps + row * Tk, py + row * Tk, Tk, sc, pm ? pm + moff : nullptr, mask_stride, visible);
      });
    };
    if (!m.defined()) {
      run(static_cast<const T*>(nullptr));
    } else if (m.dtype() == kInt64) {
      run(m.data<int64_t>());
    } else {
      run(m.data<T>());
    }
  });
  return y;
}

// grad, y: [*, Tq, Tk] -> [*, Tq, Tk]
Tensor masked_softmax_backward(const Tensor& grad, const Tensor& y, double scale) {
  check_defined(grad, "masked_softmax_backward");
  check_defined(y, "masked_softmax_backward");
  check(grad.shape() == y.shape() && grad.dtype() == y.dtype(), "masked_softmax_backward: grad of shape {} ({}) "
        "does not match the weights of shape {} ({})", grad.shape(), dtype_name(grad.dtype()), y.shape(),
        dtype_name(y.dtype()));
  const Tensor g = grad.contiguous(), yc = y.contiguous();
  Tensor dx = empty(y.shape(), y.dtype());
  const int64_t n = y.dim() == 0 ? 1 : y.size(-1);
  const int64_t rows = n == 0 ? 0 : y.numel() / n;
  dispatch_float(y.dtype(), "masked_softmax_backward", [&]<class T>() {
    const T* py = yc.data<T>();
    const T* pg = g.data<T>();
    T* pd = dx.data<T>();
    const T sc = static_cast<T>(scale);
    for (int64_t r = 0; r < rows; ++r) {
      const T* yr = py + r * n;
      const T* gr = pg + r * n;
      T* dr = pd + r * n;
      Acc<T> dot = 0;
      for (int64_t j = 0; j < n; ++j) dot += static_cast<Acc<T>>(gr[j]) * static_cast<Acc<T>>(yr[j]);
      const T d = static_cast<T>(dot);
      for (int64_t j = 0; j < n; ++j) dr[j] = sc * yr[j] * (gr[j] - d);
    }
  });
  return dx;
}

}  // namespace glimpse

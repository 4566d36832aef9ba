// im2col and col2im kernels (see im2col.h for the layout). Both loop over output rows and copy or add one contiguous
// row segment at a time; the inner loop over ow is a strided read the compiler vectorises for stride 1.
#include "tensor/im2col.h"

#include <algorithm>

#include "tensor/parallel.h"

namespace glimpse {
namespace {

// How many of the im2col rows (or col2im channels) one thread should at least take: enough to amortise waking it.
int64_t grain_for(int64_t work_per_item) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, work_per_item));
}

// The output columns [lo, hi) whose input column x0 + xo * stride lies inside [0, width): the loops below touch only
// those, so their inner loop has no bounds test (and is a plain copy for stride 1).
struct ColumnRange {
  int64_t lo, hi;
};
ColumnRange valid_columns(int64_t x0, int64_t stride, int64_t width, int64_t ow) {
  const int64_t lo = x0 >= 0 ? 0 : std::min(ow, (-x0 + stride - 1) / stride);
  const int64_t hi = x0 >= width ? 0 : std::min(ow, (width - 1 - x0) / stride + 1);
  return {lo, std::max(lo, hi)};
}

}  // namespace

// x: [N, C, H, W] -> cols [C * kh * kw, N * OH * OW]
Tensor im2col(const Tensor& x, const Window2d& w) {
  check_defined(x, "im2col");
  check(x.dim() == 4, "im2col: expected x of shape [N, C, H, W], got {}", x.shape());
  const Tensor xc = x.contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t oh = window_out_size(h, w.kh, w.sh, w.ph, w.dh), ow = window_out_size(wd, w.kw, w.sw, w.pw, w.dw);
  const int64_t rows = c * w.kh * w.kw, cols_per_row = n * oh * ow;
  Tensor cols = empty({rows, cols_per_row}, x.dtype());
  dispatch_float(x.dtype(), "im2col", [&]<class T>() {
    const T* src = xc.data<T>();
    T* dst = cols.data<T>();
    parallel_for(rows, grain_for(cols_per_row), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t ch = r / (w.kh * w.kw), i = (r / w.kw) % w.kh, j = r % w.kw;
        T* out = dst + r * cols_per_row;
        for (int64_t b = 0; b < n; ++b) {
          const T* plane = src + (b * c + ch) * h * wd;
          for (int64_t y = 0; y < oh; ++y, out += ow) {
            const int64_t iy = y * w.sh - w.ph + i * w.dh;
            if (iy < 0 || iy >= h) {
              std::fill(out, out + ow, T(0));
              continue;
            }
            const T* line = plane + iy * wd;
            const int64_t x0 = j * w.dw - w.pw;  // input column of output column 0
            const auto [lo, hi] = valid_columns(x0, w.sw, wd, ow);
            std::fill(out, out + lo, T(0));
            for (int64_t xo = lo; xo < hi; ++xo) out[xo] = line[x0 + xo * w.sw];
            std::fill(out + hi, out + ow, T(0));
          }
        }
      }
    });
  });
  return cols;
}

// cols: [C * kh * kw, N * OH * OW] added into x: [N, C, H, W]
void col2im_add(const Tensor& cols, const Tensor& x, const Window2d& w) {
  check_defined(cols, "col2im_add");
  check_defined(x, "col2im_add");
  check(x.dim() == 4 && x.is_contiguous() && x.dtype() == cols.dtype(),
        "col2im_add: x must be a contiguous [N, C, H, W] tensor of the columns' dtype, got {} ({})", x.shape(),
        dtype_name(x.dtype()));
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), width = x.size(3);
  const int64_t oh = window_out_size(h, w.kh, w.sh, w.ph, w.dh), ow = window_out_size(width, w.kw, w.sw, w.pw, w.dw);
  const int64_t cols_per_row = n * oh * ow;
  check(cols.dim() == 2 && cols.size(0) == c * w.kh * w.kw && cols.size(1) == cols_per_row,
        "col2im_add: cols of shape {} do not match [C * kh * kw, N * OH * OW] = [{}, {}]", cols.shape(),
        c * w.kh * w.kw, cols_per_row);
  const Tensor cc = cols.contiguous();
  dispatch_float(cols.dtype(), "col2im_add", [&]<class T>() {
    const T* src = cc.data<T>();
    T* dst = x.data<T>();
    // One thread per channel: all rows of a channel add into that channel's planes only, so no two threads write
    // the same pixel and the sums run in the same order on any thread count.
    parallel_for(c, grain_for(w.kh * w.kw * cols_per_row), [&](int64_t c0, int64_t c1) {
      for (int64_t ch = c0; ch < c1; ++ch) {
        for (int64_t i = 0; i < w.kh; ++i) {
          for (int64_t j = 0; j < w.kw; ++j) {
            const T* in = src + ((ch * w.kh + i) * w.kw + j) * cols_per_row;
            const int64_t x0 = j * w.dw - w.pw;
            const auto [lo, hi] = valid_columns(x0, w.sw, width, ow);
            for (int64_t b = 0; b < n; ++b) {
              T* plane = dst + (b * c + ch) * h * width;
              for (int64_t y = 0; y < oh; ++y, in += ow) {
                const int64_t iy = y * w.sh - w.ph + i * w.dh;
                if (iy < 0 || iy >= h) continue;
                T* line = plane + iy * width;
                for (int64_t xo = lo; xo < hi; ++xo) line[x0 + xo * w.sw] += in[xo];
              }
            }
          }
        }
      }
    });
  });
}

}  // namespace glimpse

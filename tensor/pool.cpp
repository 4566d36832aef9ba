// Pooling kernels (see pool.h). One plane per loop iteration; planes are split across threads.
#include "tensor/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tensor/parallel.h"

namespace glimpse {
namespace {

void check_nchw(const Tensor& x, const char* op) {
  check_defined(x, op);
  check(x.dim() == 4, "{}: expected a tensor of shape [N, C, H, W], got {}", op, x.shape());
}

int64_t plane_grain(int64_t work_per_plane) {
  return std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(1, work_per_plane));
}

// The window [start, end) of adaptive pooling cell i of `out` cells over `in` positions.
int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

// x: [N, C, H, W] -> values, indices [N, C, OH, OW]
MaxPoolResult max_pool2d(const Tensor& x, const Window2d& w) {
  check_nchw(x, "max_pool2d");
  const Tensor xc = x.contiguous();
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t oh = window_out_size(h, w.kh, w.sh, w.ph, w.dh), ow = window_out_size(wd, w.kw, w.sw, w.pw, w.dw);
  MaxPoolResult r{empty({x.size(0), x.size(1), oh, ow}, x.dtype()), empty({x.size(0), x.size(1), oh, ow}, kInt64)};
  dispatch_float(x.dtype(), "max_pool2d", [&]<class T>() {
    const T* src = xc.data<T>();
    T* val = r.values.data<T>();
    int64_t* idx = r.indices.data<int64_t>();
    parallel_for(planes, plane_grain(oh * ow * w.kh * w.kw), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* plane = src + p * h * wd;
        for (int64_t y = 0; y < oh; ++y) {
          for (int64_t xo = 0; xo < ow; ++xo) {
            T best = -std::numeric_limits<T>::infinity();
            int64_t best_at = -1;
            for (int64_t i = 0; i < w.kh; ++i) {
              const int64_t iy = y * w.sh - w.ph + i * w.dh;
              if (iy < 0 || iy >= h) continue;
              for (int64_t j = 0; j < w.kw; ++j) {
                const int64_t ix = xo * w.sw - w.pw + j * w.dw;
                if (ix < 0 || ix >= wd) continue;
                const T v = plane[iy * wd + ix];
                if (best_at < 0 || v > best || std::isnan(v)) {
                  best = v;
                  best_at = iy * wd + ix;
                  if (std::isnan(v)) break;
                }
              }
            }
            const int64_t o = (p * oh + y) * ow + xo;
            val[o] = best;
            idx[o] = best_at;
          }
        }
      }
    });
  });
  return r;
}

// grad: [N, C, OH, OW] -> [N, C, H, W]
Tensor max_pool2d_backward(const Tensor& grad, const Tensor& indices, int64_t h, int64_t width) {
  const Tensor g = grad.contiguous();
  const int64_t planes = grad.size(0) * grad.size(1), per_plane = grad.size(2) * grad.size(3);
  Tensor dx = zeros({grad.size(0), grad.size(1), h, width}, grad.dtype());
  dispatch_float(grad.dtype(), "max_pool2d_backward", [&]<class T>() {
    const T* pg = g.data<T>();
    const int64_t* idx = indices.data<int64_t>();
    T* out = dx.data<T>();
    parallel_for(planes, plane_grain(per_plane), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        for (int64_t o = p * per_plane; o < (p + 1) * per_plane; ++o) {
          if (idx[o] >= 0) out[p * h * width + idx[o]] += pg[o];
        }
      }
    });
  });
  return dx;
}

namespace {

// The divisor of average-pooling cell (y, xo): the full window, or the part of it inside the image.
int64_t avg_divisor(const Window2d& w, bool count_include_pad, int64_t y, int64_t xo, int64_t h, int64_t wd) {
  const int64_t y0 = y * w.sh - w.ph, x0 = xo * w.sw - w.pw;
  if (count_include_pad) {
    // PyTorch clips the window to the padded image (it matters only when a window overhangs the padding).
    return (std::min(y0 + w.kh, h + w.ph) - y0) * (std::min(x0 + w.kw, wd + w.pw) - x0);
  }
  return (std::min(y0 + w.kh, h) - std::max<int64_t>(y0, 0)) * (std::min(x0 + w.kw, wd) - std::max<int64_t>(x0, 0));
}

}  // namespace

// x: [N, C, H, W] -> [N, C, OH, OW]
Tensor avg_pool2d(const Tensor& x, const Window2d& w, bool count_include_pad) {
  check_nchw(x, "avg_pool2d");
  const Tensor xc = x.contiguous();
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t oh = window_out_size(h, w.kh, w.sh, w.ph, 1), ow = window_out_size(wd, w.kw, w.sw, w.pw, 1);
  Tensor y = empty({x.size(0), x.size(1), oh, ow}, x.dtype());
  dispatch_float(x.dtype(), "avg_pool2d", [&]<class T>() {
    const T* src = xc.data<T>();
    T* out = y.data<T>();
    parallel_for(planes, plane_grain(oh * ow * w.kh * w.kw), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* plane = src + p * h * wd;
        for (int64_t oy = 0; oy < oh; ++oy) {
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t y0 = oy * w.sh - w.ph, x0 = ox * w.sw - w.pw;
            T s = 0;
            for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + w.kh, h); ++iy) {
              for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + w.kw, wd); ++ix) s += plane[iy * wd + ix];
            }
            out[(p * oh + oy) * ow + ox] = s / static_cast<T>(avg_divisor(w, count_include_pad, oy, ox, h, wd));
          }
        }
      }
    });
  });
  return y;
}

// grad: [N, C, OH, OW] -> [N, C, H, W]
Tensor avg_pool2d_backward(const Tensor& grad, const Window2d& w, bool count_include_pad, int64_t h, int64_t width) {
  const Tensor g = grad.contiguous();
  const int64_t planes = grad.size(0) * grad.size(1), oh = grad.size(2), ow = grad.size(3);
  Tensor dx = zeros({grad.size(0), grad.size(1), h, width}, grad.dtype());
  dispatch_float(grad.dtype(), "avg_pool2d_backward", [&]<class T>() {
    const T* pg = g.data<T>();
    T* out = dx.data<T>();
    parallel_for(planes, plane_grain(oh * ow * w.kh * w.kw), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        T* plane = out + p * h * width;
        for (int64_t oy = 0; oy < oh; ++oy) {
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t y0 = oy * w.sh - w.ph, x0 = ox * w.sw - w.pw;
            const T share =
                pg[(p * oh + oy) * ow + ox] / static_cast<T>(avg_divisor(w, count_include_pad, oy, ox, h, width));
            for (int64_t iy = std::max<int64_t>(y0, 0); iy < std::min(y0 + w.kh, h); ++iy) {
              for (int64_t ix = std::max<int64_t>(x0, 0); ix < std::min(x0 + w.kw, width); ++ix) {
                plane[iy * width + ix] += share;
              }
            }
          }
        }
      }
    });
  });
  return dx;
}

// x: [N, C, H, W] -> [N, C, OH, OW]
Tensor adaptive_avg_pool2d(const Tensor& x, int64_t oh, int64_t ow) {
  check_nchw(x, "adaptive_avg_pool2d");
  const Tensor xc = x.contiguous();
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), wd = x.size(3);
  Tensor y = empty({x.size(0), x.size(1), oh, ow}, x.dtype());
  dispatch_float(x.dtype(), "adaptive_avg_pool2d", [&]<class T>() {
    const T* src = xc.data<T>();
    T* out = y.data<T>();
    parallel_for(planes, plane_grain(h * wd), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const T* plane = src + p * h * wd;
        for (int64_t oy = 0; oy < oh; ++oy) {
          const int64_t ya = adaptive_start(oy, h, oh), yb = adaptive_end(oy, h, oh);
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t xa = adaptive_start(ox, wd, ow), xb = adaptive_end(ox, wd, ow);
            T s = 0;
            for (int64_t iy = ya; iy < yb; ++iy) {
              for (int64_t ix = xa; ix < xb; ++ix) s += plane[iy * wd + ix];
            }
            out[(p * oh + oy) * ow + ox] = s / static_cast<T>((yb - ya) * (xb - xa));
          }
        }
      }
    });
  });
  return y;
}

// grad: [N, C, OH, OW] -> [N, C, H, W]
Tensor adaptive_avg_pool2d_backward(const Tensor& grad, int64_t h, int64_t width) {
  const Tensor g = grad.contiguous();
  const int64_t planes = grad.size(0) * grad.size(1), oh = grad.size(2), ow = grad.size(3);
  Tensor dx = zeros({grad.size(0), grad.size(1), h, width}, grad.dtype());
  dispatch_float(grad.dtype(), "adaptive_avg_pool2d_backward", [&]<class T>() {
    const T* pg = g.data<T>();
    T* out = dx.data<T>();
    parallel_for(planes, plane_grain(h * width), [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        T* plane = out + p * h * width;
        for (int64_t oy = 0; oy < oh; ++oy) {
          const int64_t ya = adaptive_start(oy, h, oh), yb = adaptive_end(oy, h, oh);
          for (int64_t ox = 0; ox < ow; ++ox) {
            const int64_t xa = adaptive_start(ox, width, ow), xb = adaptive_end(ox, width, ow);
            const T share = pg[(p * oh + oy) * ow + ox] / static_cast<T>((yb - ya) * (xb - xa));
            for (int64_t iy = ya; iy < yb; ++iy) {
              for (int64_t ix = xa; ix < xb; ++ix) plane[iy * width + ix] += share;
            }
          }
        }
      }
    });
  });
  return dx;
}

}  // namespace glimpse

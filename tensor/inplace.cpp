// In place: add_ and mul_, the optimizers' and initialisers' tools (declared in elementwise.h). They write into the
// destination's own storage, strided or not, and bump its version so autograd notices a tensor it saved was changed.
#include <cstdint>

#include "tensor/elementwise.h"
#include "tensor/iter.h"

namespace glimpse {

// dst: [*] += alpha * src: [broadcasts to *]
Tensor& add_(Tensor& dst, const Tensor& src, double alpha) {
  check_defined(dst, "add_");
  check_defined(src, "add_");
  Shape shape = broadcast_shapes(dst.shape(), src.shape(), "add_");
  check(shape == dst.shape(), "add_: source of shape {} does not broadcast to destination shape {}", src.shape(),
        dst.shape());
  dst.bump_version();
  Tensor s = src.to(dst.dtype());
  Strides ss = broadcast_strides(s.shape(), s.strides(), shape);
  dispatch(dst.dtype(), [&]<class T>() {
    T* d = dst.data<T>();
    const T* p = s.data<T>();
    const T a = static_cast<T>(alpha);
    parallel_for_each_block<2>(shape, {&dst.strides(), &ss}, [&](const Block<2>& k) {
      T* y = d + k.offset[0];
      const T* x = p + k.offset[1];
      if (k.stride[0] == 1 && k.stride[1] == 1) {
        for (int64_t i = 0; i < k.n; ++i) y[i] += a * x[i];
      } else {
        for (int64_t i = 0; i < k.n; ++i) y[i * k.stride[0]] += a * x[i * k.stride[1]];
      }
    });
  });
  return dst;
}

Tensor& mul_(Tensor& dst, double s) {
  check_defined(dst, "mul_");
  dst.bump_version();
  dispatch(dst.dtype(), [&]<class T>() {
    T* d = dst.data<T>();
    const T v = static_cast<T>(s);
    parallel_for_each_block<1>(dst.shape(), {&dst.strides()}, [&](const Block<1>& k) {
      for (int64_t i = 0; i < k.n; ++i) d[k.offset[0] + i * k.stride[0]] *= v;
    });
  });
  return dst;
}

}  // namespace glimpse

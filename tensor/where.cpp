// Selection: where(cond, a, b) and masked_fill, on the strided walk of iter.h (declared in elementwise.h).
#include <cstdint>

#include "tensor/elementwise.h"
#include "tensor/iter.h"

namespace glimpse {

// cond: [*C], a: [*A], b: [*B] -> [broadcast(C, A, B)]
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  check_defined(cond, "where");
  check_defined(a, "where");
  check_defined(b, "where");
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape(), "where"), b.shape(), "where");
  DType dt = promote(a.dtype(), b.dtype());
  Tensor ca = a.to(dt), cb = b.to(dt);
  Tensor out = empty(shape, dt);
  Strides sc = broadcast_strides(cond.shape(), cond.strides(), shape);
  Strides sa = broadcast_strides(ca.shape(), ca.strides(), shape);
  Strides sb = broadcast_strides(cb.shape(), cb.strides(), shape);
  dispatch(dt, [&]<class T>() {
    dispatch(cond.dtype(), [&]<class C>() {
      T* o = out.data<T>();
      const C* pc = cond.data<C>();
      const T* pa = ca.data<T>();
      const T* pb = cb.data<T>();
      parallel_for_each_block<4>(shape, {&out.strides(), &sc, &sa, &sb}, [&](const Block<4>& k) {
        for (int64_t i = 0; i < k.n; ++i) {
          o[k.offset[0] + i * k.stride[0]] = pc[k.offset[1] + i * k.stride[1]] != C(0)
                                                 ? pa[k.offset[2] + i * k.stride[2]]
                                                 : pb[k.offset[3] + i * k.stride[3]];
        }
      });
    });
  });
  return out;
}

// x: [*], mask: broadcasts to [*] -> [*]
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  check_defined(x, "masked_fill");
  check_defined(mask, "masked_fill");
  Shape shape = broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
  check(shape == x.shape(), "masked_fill: mask of shape {} must broadcast to the input's shape {}", mask.shape(),
        x.shape());
  return where(mask, scalar_tensor(value, x.dtype()), x);
}

}  // namespace glimpse

// A short tour of the tensor layer: creation, views, broadcasting, reductions, matmul and printing.
#include <fmt/core.h>

#include "glimpse.h"

using namespace glimpse;

int main() {
  manual_seed(0);
  Tensor a = arange(0, 6, 1, kFloat32).reshape({2, 3});
  fmt::print("a = arange(6).reshape(2, 3):\n{}\n\n", a);
  fmt::print("a.t() is a view (shares storage: {}), strides {}:\n{}\n\n", a.t().shares_storage_with(a), a.t().strides(),
             a.t());
  Tensor b = tensor({10, 20, 30});
  fmt::print("a + [10, 20, 30] broadcasts over rows:\n{}\n\n", a + b);
  fmt::print("sum over dim 1 (keepdim): \n{}\n\n", sum(a, {1}, true));
  fmt::print("softmax([1000, 1001]) stays finite:\n{}\n\n", softmax(tensor({1000, 1001}), 0));
  Tensor w = randn({3, 4});
  fmt::print("w = randn(3, 4) with seed 0:\n{}\n\n", w);
  fmt::print("a @ w:\n{}\n\n", matmul(a, w));
  try {
    matmul(a, a);
  } catch (const Error& e) {
    fmt::print("matmul(a, a) is rejected: {}\n", e.what());
  }
  return 0;
}

// Printing tensors through fmt, PyTorch-style:
//   fmt::print("{}\n", t);   ->   tensor([[0.1000, 0.2000],
//                                         [0.3000, 0.4000]], shape=[2, 2], dtype=float32)
// Large tensors are elided with "..." (the first and last 3 entries of each dim), as PyTorch does past 1000 elements.
#pragma once

#include <fmt/format.h>

#include <string>

#include "tensor/tensor.h"

namespace glimpse {

std::string to_string(const Tensor& t);

}  // namespace glimpse

template <>
struct fmt::formatter<glimpse::Tensor> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const glimpse::Tensor& t, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(glimpse::to_string(t), ctx);
  }
};

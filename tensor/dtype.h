// The element types a Tensor can hold, and the one helper that turns a runtime dtype into a compile-time type.
//
// float32 is the working type; float64 exists so gradient checks and reference tests are exact; int64 carries token
// ids, targets, indices and comparison masks (1 = true, 0 = false).
#pragma once

#include <cstdint>
#include <string_view>

#include "tensor/error.h"

namespace glimpse {

enum class DType : uint8_t { Float32, Float64, Int64 };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;

inline constexpr int64_t dtype_size(DType d) { return d == DType::Float32 ? 4 : 8; }

inline constexpr std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
  }
  return "?";
}

inline constexpr bool is_floating(DType d) { return d != DType::Int64; }

// The C++ type behind a dtype, and back.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <class T> inline constexpr DType dtype_v = dtype_of<T>::value;

// Calls `fn.template operator()<T>()` with T the C++ type of `d`. Kernels are written once as a template lambda
//   dispatch(t.dtype(), "exp", [&]<class T>() { ... });
// `dispatch_float` rejects int64 with an Error naming the op (for ops that only make sense on real numbers).
template <class Fn>
decltype(auto) dispatch(DType d, Fn&& fn) {
  switch (d) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::Int64: return fn.template operator()<int64_t>();
  }
  throw Error("dispatch: unknown dtype");
}

template <class Fn>
decltype(auto) dispatch_float(DType d, std::string_view op, Fn&& fn) {
  switch (d) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::Int64: break;
  }
  throw Error(fmt::format("{}: dtype int64 is not supported; convert first with .to(kFloat32)", op));
}

// The dtype of a binary op's result: float64 beats float32 beats int64 (as in PyTorch).
inline constexpr DType promote(DType a, DType b) {
  if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
  if (a == DType::Float32 || b == DType::Float32) return DType::Float32;
  return DType::Int64;
}

}  // namespace glimpse

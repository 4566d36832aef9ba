// The element types a Tensor can hold, and the helpers that turn a runtime dtype into a compile-time type.
//
// float32 is the working type; float64 exists so gradient checks and reference tests are exact; int64 carries token
// ids, targets, indices and comparison masks (1 = true, 0 = false). float16 and bfloat16 (tensor/half.h) are
// STORAGE dtypes: a tensor can hold them (create, copy, convert, view, print, save and load them), but no op computes
// in them. An op given one throws an Error saying to convert with .to(kFloat32) first. That keeps every kernel in
// float32/float64/int64 and makes the precision loss a visible step: store in 16 bits, compute in 32.
#pragma once

#include <cstdint>
#include <string_view>

#include "tensor/error.h"
#include "tensor/half.h"

namespace glimpse {

enum class DType : uint8_t { Float32, Float64, Int64, Float16, BFloat16 };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kFloat16 = DType::Float16;    // IEEE half (storage only)
inline constexpr DType kBFloat16 = DType::BFloat16;  // bfloat16 (storage only)

inline constexpr int64_t dtype_size(DType d) {
  switch (d) {
    case DType::Float32: return 4;
    case DType::Float16:
    case DType::BFloat16: return 2;
    case DType::Float64:
    case DType::Int64: return 8;
  }
  return 8;
}

inline constexpr std::string_view dtype_name(DType d) {
  switch (d) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Float16: return "float16";
    case DType::BFloat16: return "bfloat16";
  }
  return "?";
}

// float16 and bfloat16: tensors hold them, ops do not compute in them.
inline constexpr bool is_storage_only(DType d) { return d == DType::Float16 || d == DType::BFloat16; }
// The floating dtypes ops compute in: float32 and float64. (The 16-bit floats are floating point too, but an op that
// checks is_floating wants to compute, so they are not counted; see is_storage_only.)
inline constexpr bool is_floating(DType d) { return d == DType::Float32 || d == DType::Float64; }

// The C++ type behind a dtype, and back.
template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::Float32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::Float64; };
template <> struct dtype_of<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct dtype_of<Half> { static constexpr DType value = DType::Float16; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = DType::BFloat16; };
template <class T> inline constexpr DType dtype_v = dtype_of<T>::value;

// The Error an op throws when it is given a storage-only dtype. `op` names the op ("" when the caller has no name).
[[noreturn]] inline void throw_storage_only(DType d, std::string_view op) {
  throw Error(fmt::format("{}{}dtype {} is a storage dtype in glimpse: ops compute in float32, float64 or int64; "
                          "convert with .to(kFloat32) first",
                          op, op.empty() ? "" : ": ", dtype_name(d)));
}

// dispatch(d, fn) calls `fn.template operator()<T>()` with T the C++ type of `d`: float, double or int64_t. Kernels are
// written once, as a template lambda:
//   return dispatch(t.dtype(), [&]<class T>() { const T* p = t.data<T>(); ... });
// A float16 or bfloat16 tensor throws (see throw_storage_only): kernels never see the 16-bit types.
template <class Fn>
decltype(auto) dispatch(DType d, Fn&& fn) {
  switch (d) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::Int64: return fn.template operator()<int64_t>();
    case DType::Float16:
    case DType::BFloat16: throw_storage_only(d, "");
  }
  throw Error("dispatch: unknown dtype");
}

// dispatch_float(d, "exp", fn): the same over float and double only; int64 and the 16-bit floats throw an Error
// naming the op (for ops that only make sense on real numbers).
template <class Fn>
decltype(auto) dispatch_float(DType d, std::string_view op, Fn&& fn) {
  switch (d) {
    case DType::Float32: return fn.template operator()<float>();
    case DType::Float64: return fn.template operator()<double>();
    case DType::Int64: break;
    case DType::Float16:
    case DType::BFloat16: throw_storage_only(d, op);
  }
  throw Error(fmt::format("{}: dtype int64 is not supported; convert first with .to(kFloat32)", op));
}

// dispatch_all(d, fn): over all five types, Half and BFloat16 included. Only for code that moves or converts
// elements without computing on them (copy_, fill_, item, creation); such code converts with convert<D>(x).
template <class Fn>
decltype(auto) dispatch_all(DType d, Fn&& fn) {
  switch (d) {
    case DType::Float16: return fn.template operator()<Half>();
    case DType::BFloat16: return fn.template operator()<BFloat16>();
    default: return dispatch(d, fn);
  }
}

// The dtype of a binary op's result: float64 beats float32 beats the 16-bit floats beat int64 (as in PyTorch; and,
// as in PyTorch, float16 with bfloat16 gives float32, the smallest type that holds both).
inline constexpr DType promote(DType a, DType b) {
  if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
  if (a == DType::Float32 || b == DType::Float32) return DType::Float32;
  if (a == b) return a;
  if (is_storage_only(a) && is_storage_only(b)) return DType::Float32;
  return is_storage_only(a) ? a : b;
}

}  // namespace glimpse

// The two 16-bit float types glimpse stores (never computes in): IEEE half (float16) and bfloat16, and `convert`,
// the one function every copy between dtypes goes through.
//
//   float16  (IEEE 754 binary16): 1 sign bit, 5 exponent bits, 10 mantissa bits. Largest finite value 65504,
//            smallest normal 2^-14, smallest subnormal 2^-24. The type is xtl::half_float (Debian's libxtl-dev), whose
//            conversion from float rounds to nearest, ties to even, with overflow to infinity and gradual underflow.
//   bfloat16 (Google Brain's "brain float"): the top 16 bits of a float32: 1 sign bit, 8 exponent bits, 7 mantissa
//            bits. It keeps float32's range (up to ~3.39e38) with ~3 significant digits, so a float32 weight never
//            overflows when stored in it. xtl has no bfloat16; it is the small struct below.
//
// Both convert to float32 exactly (every float16 and bfloat16 value is a float32 value), so "load into a kernel" is
// a plain widening. The other way rounds once, to nearest even, as IEEE says. A float64 source is the subtle case:
// rounding it first to float32 and then to 16 bits can round twice and land one step off (a value just above a tie
// in float64 becomes exactly the tie in float32, which then goes to even). `convert` avoids that with round-to-odd:
// float64 -> float32 keeping a sticky last bit, which makes the second rounding give the correctly rounded result
// (float32 has 13 more mantissa bits than float16 and 16 more than bfloat16; two more are enough).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <xtl/xhalf_float.hpp>

namespace glimpse {

// IEEE half. Arithmetic on it exists in xtl, but glimpse never uses it: ops compute in float32 (see dtype.h).
using Half = xtl::half_float;

struct BFloat16 {
  uint16_t bits = 0;

  BFloat16() = default;
  // Rounds to nearest, ties to even, straight from the float32 bits: adding 0x7fff plus the lowest kept bit and
  // truncating rounds up exactly when the dropped half is above the tie, or at the tie with an odd kept part. A carry
  // out of the mantissa bumps the exponent, and past the largest finite value it lands on infinity (0x7f80), which
  // is IEEE's overflow. Subnormals need nothing special: bfloat16 shares float32's exponent field.
  explicit BFloat16(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
      // NaN: rounding could carry its payload into the exponent (or drop it to infinity); keep the sign and the top
      // payload bits and set the quiet bit, so a NaN stays a NaN.
      bits = static_cast<uint16_t>((u >> 16) | 0x0040u);
    } else {
      bits = static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
  }
  static BFloat16 from_bits(uint16_t b) {
    BFloat16 x;
    x.bits = b;
    return x;
  }
  // Exact: the 16 bits are the top half of a float32.
  explicit operator float() const { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }
};

template <class T>
inline constexpr bool is_16bit_float_v = std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;

// A float64 rounded to float32 toward zero with the last bit set when anything was dropped ("round to odd"). The
// sticky bit remembers that the value lies strictly between two float32 numbers, so a later rounding to a narrower
// format cannot mistake it for a tie.
inline float round_to_odd_float(double d) {
  float f = static_cast<float>(d);  // to nearest
  if (std::isnan(d) || static_cast<double>(f) == d) return f;
  if (std::isinf(f) || std::fabs(static_cast<double>(f)) > std::fabs(d)) {
    f = std::nextafter(f, 0.0f);  // the neighbour toward zero (from infinity: the largest finite float)
  }
  return std::bit_cast<float>(std::bit_cast<uint32_t>(f) | 1u);
}

// x converted to D: every copy between dtypes in glimpse (copy_, to, item) goes through here. To a 16-bit float it
// rounds once, correctly; from one it widens exactly to float32 first. The rest is static_cast, as before.
template <class D, class S>
inline D convert(S x) {
  if constexpr (std::is_same_v<D, S>) {
    return x;
  } else if constexpr (is_16bit_float_v<S>) {
    return convert<D>(static_cast<float>(x));
  } else if constexpr (is_16bit_float_v<D>) {
    if constexpr (std::is_same_v<S, float>) {
      return D(x);
    } else {
      // float64 and int64 go through round-to-odd (int64 through float64, exact below 2^53).
      return D(round_to_odd_float(static_cast<double>(x)));
    }
  } else {
    return static_cast<D>(x);
  }
}

}  // namespace glimpse

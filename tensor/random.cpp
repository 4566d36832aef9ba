// Random numbers: the Generator's uniform/normal/integer draws, and the tensor ops built on them.
//
// Every op fills its output in row-major order of the logical shape, one draw per element, so the numbers depend only
// on the seed and the shape: filling a transposed view gives the same values, element for element, as filling a
// contiguous tensor of that shape.
#include "tensor/random.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <type_traits>
#include <vector>

#include "tensor/iter.h"

namespace glimpse {

// ---- Generator

// The top 53 bits of a 64-bit draw, scaled by 2^-53: every double in [0, 1) that is a multiple of 2^-53 is equally
// likely, and 1 itself is never returned.
double Generator::uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

// Box-Muller: from two uniforms u1, u2 the pair (r cos θ, r sin θ) with r = sqrt(-2 ln u1), θ = 2π u2 is two
// independent standard normals. The second is kept for the next call, so each normal costs one uniform on average.
double Generator::normal() {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return spare_normal_;
  }
  const double u1 = 1.0 - uniform();  // in (0, 1], so the log is finite
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  spare_normal_ = r * std::sin(theta);
  has_spare_normal_ = true;
  return r * std::cos(theta);
}

// x % range on a uniform 64-bit x favours small results unless 2^64 is a multiple of range, because the lowest
// (2^64 mod range) values of x wrap around once more than the rest. Redrawing those values removes the bias; at most
// half of all draws are rejected, and for small ranges almost none.
int64_t Generator::integer(int64_t low, int64_t high) {
  check(low < high, "Generator::integer: the range [{}, {}) is empty; low must be less than high", low, high);
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);  // wraps correctly for any pair
  const uint64_t reject_below = (0 - range) % range;                                // = 2^64 mod range
  uint64_t x = next_u64();
  while (x < reject_below) x = next_u64();
  return static_cast<int64_t>(static_cast<uint64_t>(low) + x % range);
}

Generator& default_generator() {
  static Generator gen(0);  // a fixed seed: a program that never calls manual_seed still runs the same every time
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

namespace {

// A uniform number in [0, 1) of type T. float32 takes 24 bits: rounding a 53-bit double to float could give 1.0f.
template <class T>
T uniform01(Generator& gen) {
  if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(gen.next_u64() >> 40) * 0x1.0p-24f;
  } else {
    return gen.uniform();
  }
}

// The random floats ops reject int64 up front, before allocating (randint makes integers).
void check_float(DType dtype, const char* op) {
  check(is_floating(dtype), "{}: dtype {} is not supported; use float32 or float64 (randint makes integers)", op,
        dtype_name(dtype));
}

// Rejects views where several elements share one memory location (an expanded tensor): filling them in place would
// silently keep only the last draw.
void check_writable(const Tensor& x, const char* op) {
  check_defined(x, op);
  for (int d = 0; d < x.dim(); ++d) {
    check(x.stride(d) != 0 || x.size(d) <= 1,
          "{}: the tensor of shape {} is an expanded view (stride 0 in dim {}), so its elements share memory; fill a "
          "contiguous tensor (clone() it) instead",
          op, x.shape(), d);
  }
}

// Calls x[i] = draw() for every element of x in row-major order of its shape, whatever its strides.
template <class T, class Draw>
void fill_in_order(Tensor& x, Draw draw) {
  T* base = x.data<T>();
  for_each_block<1>(x.shape(), {&x.strides()}, [&](const Block<1>& b) {
    T* p = base + b.offset[0];
    for (int64_t i = 0; i < b.n; ++i) p[i * b.stride[0]] = draw();
  });
}

}  // namespace

// ---- in place

// x: [*] -> x, each element ~ U[low, high)
Tensor& uniform_(Tensor& x, double low, double high, Generator& gen) {
  check_writable(x, "uniform_");
  check(std::isfinite(low) && std::isfinite(high) && low <= high,
        "uniform_: needs finite low <= high, got low = {} and high = {}", low, high);
  x.bump_version();
  dispatch_float(x.dtype(), "uniform_", [&]<class T>() {
    const T lo = static_cast<T>(low), hi = static_cast<T>(high), width = static_cast<T>(high - low);
    // lo + width * u can round up to hi itself; the largest value below hi stands in for it then.
    const T below_hi = lo < hi ? std::nextafter(hi, lo) : lo;
    fill_in_order<T>(x, [&] {
      const T v = lo + width * uniform01<T>(gen);
      return v < hi ? v : below_hi;
    });
  });
  return x;
}

// x: [*] -> x, each element ~ N(mean, std^2)
Tensor& normal_(Tensor& x, double mean, double stddev, Generator& gen) {
  check_writable(x, "normal_");
  check(std::isfinite(mean) && std::isfinite(stddev) && stddev >= 0.0,
        "normal_: needs a finite mean and a finite std >= 0, got mean = {} and std = {}", mean, stddev);
  x.bump_version();
  dispatch_float(x.dtype(), "normal_", [&]<class T>() {
    fill_in_order<T>(x, [&] { return static_cast<T>(mean + stddev * gen.normal()); });
  });
  return x;
}

// ---- new tensors

// [] -> shape, U[0, 1)
Tensor rand(const Shape& shape, DType dtype, Generator& gen) {
  check_float(dtype, "rand");
  Tensor x = empty_for("rand", shape, dtype);
  return uniform_(x, 0.0, 1.0, gen);
}

// [] -> shape, N(0, 1)
Tensor randn(const Shape& shape, DType dtype, Generator& gen) {
  check_float(dtype, "randn");
  Tensor x = empty_for("randn", shape, dtype);
  return normal_(x, 0.0, 1.0, gen);
}

// [] -> shape (int64), integers in [low, high)
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen) {
  check(low < high, "randint: the range [{}, {}) is empty; low must be less than high", low, high);
  Tensor x = empty_for("randint", shape, kInt64);
  fill_in_order<int64_t>(x, [&] { return gen.integer(low, high); });
  return x;
}

// [] -> [n] (int64), a permutation of 0..n-1
Tensor randperm(int64_t n, Generator& gen) {
  check(n >= 0, "randperm: n must be non-negative, got {}", n);
  Tensor x = arange(static_cast<double>(n), kInt64);
  int64_t* p = x.data<int64_t>();
  // Fisher-Yates: position i takes a uniformly chosen element among those not placed yet (0..i).
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[gen.integer(0, i + 1)]);
  return x;
}

// [] -> shape, U[low, high)
Tensor uniform(const Shape& shape, double low, double high, DType dtype, Generator& gen) {
  check_float(dtype, "uniform");
  Tensor x = empty_for("uniform", shape, dtype);
  return uniform_(x, low, high, gen);
}

// [] -> shape, N(mean, std^2)
Tensor normal(const Shape& shape, double mean, double stddev, DType dtype, Generator& gen) {
  check_float(dtype, "normal");
  Tensor x = empty_for("normal", shape, dtype);
  return normal_(x, mean, stddev, gen);
}

// p: [*] -> [*], 1 with probability p, else 0
Tensor bernoulli(const Tensor& p, Generator& gen) {
  check_defined(p, "bernoulli");
  Tensor out = empty(p.shape(), p.dtype());
  dispatch_float(p.dtype(), "bernoulli", [&]<class T>() {
    T* o = out.data<T>();
    const T* in = p.data<T>();
    for_each_block<2>(p.shape(), {&out.strides(), &p.strides()}, [&](const Block<2>& b) {
      for (int64_t i = 0; i < b.n; ++i) {
        const double prob = static_cast<double>(in[b.offset[1] + i * b.stride[1]]);
        check(prob >= 0.0 && prob <= 1.0, "bernoulli: probabilities must be in [0, 1], got {}", prob);
        o[b.offset[0] + i * b.stride[0]] = gen.uniform() < prob ? T(1) : T(0);  // u < 1 always, u < 0 never
      }
    });
  });
  return out;
}

// probs: [n] -> [k] or [B, n] -> [B, k] (int64 category indices)
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator& gen) {
  check_defined(probs, "multinomial");
  check(is_floating(probs.dtype()), "multinomial: probs must be float32 or float64, got {}; convert with .to(kFloat32)",
        dtype_name(probs.dtype()));
  check(probs.dim() == 1 || probs.dim() == 2, "multinomial: probs must have shape [n] or [B, n], got {}",
        probs.shape());
  const int64_t n = probs.size(-1);
  const int64_t rows = probs.dim() == 2 ? probs.size(0) : 1;
  check(n > 0, "multinomial: probs of shape {} has no categories to draw from", probs.shape());
  check(num_samples > 0, "multinomial: num_samples must be positive, got {}", num_samples);
  check(replacement || num_samples <= n,
        "multinomial: cannot draw {} samples without replacement from {} categories (probs shape {}); ask for at most "
        "{} or pass replacement = true",
        num_samples, n, probs.shape(), n);

  Tensor w = probs.to(kFloat64).contiguous();
  Tensor out = empty(probs.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples}, kInt64);
  int64_t* o = out.data<int64_t>();
  std::vector<double> weights(n), cdf(n);
  for (int64_t r = 0; r < rows; ++r) {
    const double* row = w.data<double>() + r * n;
    double total = 0.0;
    int64_t last_positive = -1;
    for (int64_t i = 0; i < n; ++i) {
      check(std::isfinite(row[i]) && row[i] >= 0.0,
            "multinomial: row {} has weight {} at index {}; weights must be finite and non-negative", r, row[i], i);
      if (row[i] > 0.0) last_positive = i;
      total += row[i];
      cdf[i] = total;
    }
    check(total > 0.0, "multinomial: row {} of probs (shape {}) has only zero weights; at least one must be positive",
          r, probs.shape());
    int64_t* dst = o + r * num_samples;
    if (replacement) {
      // Inverse CDF: the first category whose running total exceeds u * total. A zero-weight category never does,
      // since its running total equals its predecessor's.
      for (int64_t k = 0; k < num_samples; ++k) {
        const double target = gen.uniform() * total;
        const int64_t i = std::upper_bound(cdf.begin(), cdf.end(), target) - cdf.begin();
        dst[k] = std::min(i, last_positive);  // guards u * total rounding up to total
      }
      continue;
    }
    // Without replacement: draw one category from the remaining weights, remove it, repeat.
    std::copy(row, row + n, weights.begin());
    for (int64_t k = 0; k < num_samples; ++k) {
      double remaining = 0.0;
      last_positive = -1;
      for (int64_t i = 0; i < n; ++i) {
        remaining += weights[i];
        if (weights[i] > 0.0) last_positive = i;
      }
      check(remaining > 0.0,
            "multinomial: row {} has only {} non-zero weights, fewer than the {} samples asked for without "
            "replacement; ask for fewer or pass replacement = true",
            r, k, num_samples);
      const double target = gen.uniform() * remaining;
      double running = 0.0;
      int64_t pick = last_positive;
      for (int64_t i = 0; i < n; ++i) {
        running += weights[i];
        if (target < running) {
          pick = i;
          break;
        }
      }
      dst[k] = pick;
      weights[pick] = 0.0;
    }
  }
  return out;
}

}  // namespace glimpse

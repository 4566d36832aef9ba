// Random numbers from a seeded generator: the same seed gives the same numbers on every run and every machine.
//
// A Generator wraps the 64-bit Mersenne Twister (std::mt19937_64, whose output the C++ standard fixes) and turns its
// bits into uniform and normal numbers itself (the standard library's distributions differ between implementations).
// `manual_seed(s)` reseeds the global generator that every function below uses unless given its own.
#pragma once

#include <cstdint>
#include <random>

#include "tensor/tensor.h"

namespace glimpse {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) { manual_seed(seed); }
  void manual_seed(uint64_t seed) {
    engine_.seed(seed);
    has_spare_normal_ = false;
  }
  uint64_t next_u64() { return engine_(); }
  double uniform();        // in [0, 1), 53 random bits
  double normal();         // standard normal (Box-Muller, both values used)
  int64_t integer(int64_t low, int64_t high);  // in [low, high), without modulo bias

 private:
  std::mt19937_64 engine_;
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

// The generator every random op uses by default.
Generator& default_generator();
void manual_seed(uint64_t seed);

// x ~ U[0, 1) / N(0, 1) / integers in [low, high).
Tensor rand(const Shape& shape, DType dtype = kFloat32, Generator& gen = default_generator());
Tensor randn(const Shape& shape, DType dtype = kFloat32, Generator& gen = default_generator());
Tensor randint(int64_t low, int64_t high, const Shape& shape, Generator& gen = default_generator());
// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, Generator& gen = default_generator());
// U[low, high) and N(mean, std) of a given shape.
Tensor uniform(const Shape& shape, double low, double high, DType dtype = kFloat32, Generator& gen = default_generator());
Tensor normal(const Shape& shape, double mean, double std, DType dtype = kFloat32, Generator& gen = default_generator());
// 1 with probability p[i], else 0; same shape and dtype as p.
Tensor bernoulli(const Tensor& p, Generator& gen = default_generator());
// In place: fill x with U[low, high) / N(mean, std) (what nn::init uses).
Tensor& uniform_(Tensor& x, double low, double high, Generator& gen = default_generator());
Tensor& normal_(Tensor& x, double mean, double std, Generator& gen = default_generator());
// Draws `num_samples` category indices from each row of non-negative weights: probs: [n] or [B, n] -> [k] or [B, k].
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false,
                   Generator& gen = default_generator());

}  // namespace glimpse

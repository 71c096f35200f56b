#pragma once

// The generator's randomness: xoshiro256** (Blackman & Vigna) seeded through splitmix64,
// plus the few samplers the model needs, written here so that no implementation-defined
// std:: distribution decides the bytes of a world.

#include <cmath>
#include <cstdint>

namespace fp::world {

/// splitmix64's finalizer: a bijective 64-bit mix, used to derive stateless attributes
/// (a customer's devices, a merchant's category) from `(seed, salt, index)`.
constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// `mix64` of three words: the attribute hash of `index` in the `salt` family.
constexpr std::uint64_t mix3(std::uint64_t seed, std::uint64_t salt, std::uint64_t index) noexcept {
  return mix64(mix64(mix64(seed) ^ salt) ^ index);
}

/// A uniform double in [0, 1) from the top 53 bits of `x`.
constexpr double unit(std::uint64_t x) noexcept {
  return static_cast<double>(x >> 11) * 0x1.0p-53;
}

/// xoshiro256**: 256 bits of state, period 2^256 - 1. The state is seeded with four
/// splitmix64 outputs of the seed, as the authors recommend.
class xoshiro256ss {
public:
  explicit xoshiro256ss(std::uint64_t seed) noexcept {
    std::uint64_t z = seed;
    for (auto& w : s_) {
      z += 0x9e3779b97f4a7c15ULL;
      w = mix64(z - 0x9e3779b97f4a7c15ULL);
    }
  }

  std::uint64_t next() noexcept {
    auto result = rotl(s_[1] * 5, 7) * 9;
    auto t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1).
  double uniform() noexcept { return unit(next()); }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n); n > 0. Lemire's multiply-shift (bias < 2^-64 * n).
  std::uint64_t below(std::uint64_t n) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  bool chance(double p) noexcept { return uniform() < p; }
  /// Exponential with the given mean.
  double exponential(double mean) noexcept { return -mean * std::log1p(-uniform()); }
  /// Standard normal (Box-Muller, one value per call: no hidden cached state).
  double normal() noexcept {
    double u1 = 1.0 - uniform();
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  /// exp(N(mu, sigma)).
  double lognormal(double mu, double sigma) noexcept { return std::exp(mu + sigma * normal()); }

private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::uint64_t s_[4];
};

} // namespace fp::world

// spaic/math/surrogate.h - the surrogate spike functions of SPAIC's surrogate-gradient learners
// (ALGORITHMS.md §2.1): the forward Heaviside each one uses and its backward derivative dO/dx.
// Included by cpu/surrogate-spike.cpp, cpu/neuron-step.cpp and their CUDA twins: one copy of the maths.
//
// x = V - Vth. Every function is written in the element type T (float32 as in SPAIC, or float64).
#pragma once

#include <cmath>
#include <type_traits>

#include "spaic/common.h"
#include "spaic/math/elementwise.h"  // exp_t, abs_t, sqrt_t

namespace spaic {

// Codes shared with lib/ops/surrogate-spike.ts (SURROGATES, in this order).
enum class Surrogate : int {
  STCA = 0,             // '>'; dO/dx = 1[|x| < alpha] (normalised: 1/alpha inside the window)
  STBP = 1,             // '>'; dO/dx = exp(-x^2/(2 alpha))/(2 pi alpha) (normalised: .../sqrt(2 pi alpha))
  Sigmoid = 2,          // '>='; dO/dx = alpha s (1 - s), s = sigmoid(alpha x)
  Atan = 3,             // '>'; dO/dx = alpha / (2 (1 + (pi alpha x / 2)^2))
  Rectangle = 4,        // '>'; dO/dx = 1[|x| < alpha]
  Gate = 5,             // '>'; dO/dx = 1[|x| < 1/alpha]
  QGate = 6,            // '>'; dO/dx = alpha - alpha^2 |x| where |x| <= 1/alpha, else 0
  ReLU = 7,             // '>='; dO/dx = alpha 1[x > 0]
  StraightThrough = 8,  // '>='; dO/dx = 1
};
constexpr int kSurrogateCount = 9;
// The plain threshold op (no surrogate installed): forward '>', no backward.
constexpr int kNoSurrogate = -1;

template <typename T>
SPAIC_HD T pi_t() {
  return T(3.14159265358979323846);
}

// Does the surrogate spike at x = V - Vth? SigmoidGrad, ReLUGrad and the straight-through estimator
// spike at x == 0 (V == Vth); every other surrogate, and the plain threshold, needs x > 0.
constexpr SPAIC_HD bool surrogate_fires_at_zero(int kind) {
  return kind == static_cast<int>(Surrogate::Sigmoid) || kind == static_cast<int>(Surrogate::ReLU) ||
         kind == static_cast<int>(Surrogate::StraightThrough);
}

template <typename T>
SPAIC_HD bool surrogate_fires(int kind, T v, T vth) {
  return surrogate_fires_at_zero(kind) ? v >= vth : v > vth;
}

// dO/dx of surrogate `kind` at x.
template <typename T>
SPAIC_HD T surrogate_grad(Surrogate kind, T x, T alpha, bool normalized) {
  switch (kind) {
    case Surrogate::STCA: {
      const bool in = abs_t(x) < alpha;
      return in ? (normalized ? T(1) / alpha : T(1)) : T(0);
    }
    case Surrogate::STBP: {
      const T g = exp_t(-(x * x) / (T(2) * alpha));
      return normalized ? g / sqrt_t(T(2) * pi_t<T>() * alpha) : g / (T(2) * pi_t<T>() * alpha);
    }
    case Surrogate::Sigmoid: {
      const T s = T(1) / (T(1) + exp_t(-(alpha * x)));
      return (T(1) - s) * s * alpha;
    }
    case Surrogate::Atan: {
      const T u = alpha * pi_t<T>() / T(2) * x;
      return alpha / T(2) * (T(1) / (T(1) + u * u));
    }
    case Surrogate::Rectangle: return abs_t(x) < alpha ? T(1) : T(0);
    case Surrogate::Gate: return abs_t(x) < T(1) / alpha ? T(1) : T(0);
    case Surrogate::QGate: {
      const T ax = abs_t(x);
      return ax <= T(1) / alpha ? alpha - alpha * alpha * ax : T(0);
    }
    case Surrogate::ReLU: return x > T(0) ? alpha : T(0);
    case Surrogate::StraightThrough: return T(1);
  }
  return T(0);
}

// d(upstream * O)/dalpha per element, for the surrogates whose alpha SPAIC trains: AtanGrad
// (x/(2(1+(pi alpha x/2)^2)) times the upstream gradient) and ReLUGrad (relu(x) times it). 0 otherwise.
SPAIC_HD bool surrogate_has_alpha_grad(int kind) {
  return kind == static_cast<int>(Surrogate::Atan) || kind == static_cast<int>(Surrogate::ReLU);
}

template <typename T>
SPAIC_HD T surrogate_alpha_grad(Surrogate kind, T x, T alpha, T upstream) {
  switch (kind) {
    case Surrogate::Atan: {
      const T u = alpha * pi_t<T>() / T(2) * x;
      return x / T(2) * (upstream / (T(1) + u * u));
    }
    case Surrogate::ReLU: return upstream * (x > T(0) ? x : T(0));
    default: return T(0);
  }
}

// Surrogates whose derivative takes only two values, 0 and a height that does not depend on x. For
// them the forward pass can save one bit per element (inside the window or not) instead of the
// membrane potential, and the backward pass multiplies the bit by the height.
SPAIC_HD bool surrogate_is_binary(int kind) {
  return kind == static_cast<int>(Surrogate::STCA) || kind == static_cast<int>(Surrogate::Rectangle) ||
         kind == static_cast<int>(Surrogate::Gate) || kind == static_cast<int>(Surrogate::ReLU) ||
         kind == static_cast<int>(Surrogate::StraightThrough);
}

template <typename T>
SPAIC_HD T surrogate_height(Surrogate kind, T alpha, bool normalized) {
  switch (kind) {
    case Surrogate::STCA: return normalized ? T(1) / alpha : T(1);
    case Surrogate::ReLU: return alpha;
    default: return T(1);
  }
}

// The surrogate a kernel runs with, read from per-neuron arrays when given (index n), else the scalars.
template <typename T>
struct SurrogateArgs {
  int kind = kNoSurrogate;  // a Surrogate code, or kNoSurrogate (plain '>' threshold)
  bool normalized = false;  // STCA 1/alpha height, STBP 1/sqrt(2 pi alpha) normaliser
  T alpha = T(0.5);
  const T* alpha_per_neuron = nullptr;  // [N] or null
  SPAIC_HD T alpha_at(i64 n) const { return alpha_per_neuron ? alpha_per_neuron[n] : alpha; }
};

// Turns a run-time surrogate code into a compile-time constant, so each loop is specialised
// (f receives std::integral_constant<int, kind>). Host code only; kind must be a valid code.
template <typename F>
void with_surrogate(int kind, F&& f) {
#define SPAIC_CASE(K) \
  case K: f(std::integral_constant<int, K>{}); return;
  switch (kind) {
    SPAIC_CASE(0)
    SPAIC_CASE(1)
    SPAIC_CASE(2)
    SPAIC_CASE(3)
    SPAIC_CASE(4)
    SPAIC_CASE(5)
    SPAIC_CASE(6)
    SPAIC_CASE(7)
    SPAIC_CASE(8)
    default: f(std::integral_constant<int, kNoSurrogate>{}); return;
  }
#undef SPAIC_CASE
}

}  // namespace spaic

// spaic/math/elementwise.h - per-element arithmetic of the elementwise and reduction ops.
// Included by cpu/elementwise.cpp and cuda/elementwise.cu: one copy of the maths for both.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "spaic/common.h"

namespace spaic {

// Codes shared with lib/ops/elementwise.ts.
enum class BinaryOp : int {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
  Max = 4,
  Min = 5,
  Pow = 6,
  Gt = 7,
  Ge = 8,
  Lt = 9,
  Le = 10,
  Eq = 11
};
enum class UnaryOp : int {
  Neg = 0,
  Abs = 1,
  Exp = 2,
  Log = 3,
  Sqrt = 4,
  Relu = 5,
  Sigmoid = 6,
  Tanh = 7,
  Square = 8,
  Sign = 9,
  Heaviside = 10,
  Reciprocal = 11
};
enum class ReduceOp : int { Sum = 0, Mean = 1, Max = 2, Min = 3 };

// Division. Floats follow IEEE. int32 truncates toward zero, as C and torch's trunc mode; the one
// overflowing quotient, INT32_MIN / -1, wraps to INT32_MIN (the CPU would trap). A zero divisor is
// refused by the binding before any kernel runs; 0 here only keeps the kernel total.
SPAIC_HD float div_t(float a, float b) { return a / b; }
SPAIC_HD double div_t(double a, double b) { return a / b; }
SPAIC_HD int div_t(int a, int b) {
  if (b == 0) return 0;
  if (b == -1) return static_cast<int>(0u - static_cast<unsigned>(a));
  return a / b;
}

// Element conversion of the cast op, the same on the CPU and CUDA. A float converted to an integer type
// truncates toward zero and saturates at the type's range, and NaN gives 0 (C++ leaves out-of-range
// conversions undefined: x86 gives INT32_MIN, a GPU saturates). Integers converted to uint8 wrap modulo
// 256, as C++ and torch define it. Everything converted to a float rounds to nearest.
template <typename To, typename From>
SPAIC_HD To convert(From x) {
  if constexpr (std::is_floating_point<From>::value && std::is_integral<To>::value) {
    constexpr double lo = std::is_same<To, std::uint8_t>::value ? 0.0 : -2147483648.0;
    constexpr double hi = std::is_same<To, std::uint8_t>::value ? 255.0 : 2147483647.0;
    const double d = static_cast<double>(x);
    if (!(d == d)) return To(0);
    if (d <= lo) return static_cast<To>(lo);
    if (d >= hi) return static_cast<To>(hi);
    return static_cast<To>(d);
  } else {
    return static_cast<To>(x);
  }
}

// Power. Floats through pow in double. int32 is integer arithmetic, exact, wrapping modulo 2^32 on
// overflow as torch's integer pow does; a negative exponent gives the truncated 1/a^|b| (0 unless a is
// ±1; 0^negative gives 0 rather than a division trap).
template <typename T>
SPAIC_HD T pow_t(T a, T b) {
  return static_cast<T>(pow(static_cast<double>(a), static_cast<double>(b)));
}
template <>
SPAIC_HD int pow_t<int>(int a, int b) {
  if (b < 0) return a == 1 ? 1 : (a == -1 ? ((b & 1) ? -1 : 1) : 0);
  unsigned r = 1u, base = static_cast<unsigned>(a);
  unsigned e = static_cast<unsigned>(b);
  while (e) {
    if (e & 1u) r *= base;
    base *= base;
    e >>= 1;
  }
  return static_cast<int>(r);
}

template <typename T>
SPAIC_HD T apply_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return div_t(a, b);
    case BinaryOp::Max: return a > b ? a : b;
    case BinaryOp::Min: return a < b ? a : b;
    case BinaryOp::Pow: return pow_t<T>(a, b);
    case BinaryOp::Gt: return a > b ? T(1) : T(0);
    case BinaryOp::Ge: return a >= b ? T(1) : T(0);
    case BinaryOp::Lt: return a < b ? T(1) : T(0);
    case BinaryOp::Le: return a <= b ? T(1) : T(0);
    case BinaryOp::Eq: return a == b ? T(1) : T(0);
  }
  return T(0);
}

SPAIC_HD float exp_t(float x) { return expf(x); }
SPAIC_HD double exp_t(double x) { return exp(x); }
SPAIC_HD float log_t(float x) { return logf(x); }
SPAIC_HD double log_t(double x) { return log(x); }
SPAIC_HD float sqrt_t(float x) { return sqrtf(x); }
SPAIC_HD double sqrt_t(double x) { return sqrt(x); }
SPAIC_HD float tanh_t(float x) { return tanhf(x); }
SPAIC_HD double tanh_t(double x) { return tanh(x); }
SPAIC_HD float abs_t(float x) { return fabsf(x); }
SPAIC_HD double abs_t(double x) { return fabs(x); }
SPAIC_HD int abs_t(int x) { return x < 0 ? -x : x; }

template <typename T>
SPAIC_HD T apply_unary(UnaryOp op, T x) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Abs: return abs_t(x);
    case UnaryOp::Exp: return exp_t(x);
    case UnaryOp::Log: return log_t(x);
    case UnaryOp::Sqrt: return sqrt_t(x);
    case UnaryOp::Relu: return x > T(0) ? x : T(0);
    case UnaryOp::Sigmoid: return T(1) / (T(1) + exp_t(-x));
    case UnaryOp::Tanh: return tanh_t(x);
    case UnaryOp::Square: return x * x;
    case UnaryOp::Sign: return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
    case UnaryOp::Heaviside: return x > T(0) ? T(1) : T(0);
    case UnaryOp::Reciprocal: return T(1) / x;
  }
  return x;
}

// Integer versions: only the ops that make sense on int32 are reachable (the binding checks).
template <>
SPAIC_HD int apply_unary<int>(UnaryOp op, int x) {
  switch (op) {
    case UnaryOp::Neg: return -x;
    case UnaryOp::Abs: return x < 0 ? -x : x;
    case UnaryOp::Relu: return x > 0 ? x : 0;
    case UnaryOp::Square: return x * x;
    case UnaryOp::Sign: return x > 0 ? 1 : (x < 0 ? -1 : 0);
    case UnaryOp::Heaviside: return x > 0 ? 1 : 0;
    default: return x;
  }
}

// Broadcasting index map: up to kMaxDims dims; stride 0 on broadcast dims.
constexpr int kMaxDims = 8;
struct Broadcast {
  int ndim = 0;
  i64 shape[kMaxDims] = {};
  i64 stride_a[kMaxDims] = {};
  i64 stride_b[kMaxDims] = {};
};

SPAIC_HD void broadcast_offsets(const Broadcast& bc, i64 linear, i64* oa, i64* ob) {
  i64 a = 0, b = 0;
  for (int d = bc.ndim - 1; d >= 0; --d) {
    i64 idx = linear % bc.shape[d];
    linear /= bc.shape[d];
    a += idx * bc.stride_a[d];
    b += idx * bc.stride_b[d];
  }
  *oa = a;
  *ob = b;
}

}  // namespace spaic

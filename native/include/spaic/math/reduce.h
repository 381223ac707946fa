// spaic/math/reduce.h - identity and combine step of each reduction (shared by CPU and CUDA).
#pragma once

#include <cfloat>
#include <climits>
#include <cmath>

#include "spaic/common.h"
#include "spaic/math/elementwise.h"

namespace spaic {

template <typename T>
SPAIC_HD T lowest_value();
template <>
SPAIC_HD float lowest_value<float>() {
  return -FLT_MAX;
}
template <>
SPAIC_HD double lowest_value<double>() {
  return -DBL_MAX;
}
template <>
SPAIC_HD int lowest_value<int>() {
  return INT_MIN;
}
template <typename T>
SPAIC_HD T highest_value();
template <>
SPAIC_HD float highest_value<float>() {
  return FLT_MAX;
}
template <>
SPAIC_HD double highest_value<double>() {
  return DBL_MAX;
}
template <>
SPAIC_HD int highest_value<int>() {
  return INT_MAX;
}

// Accumulate float sums in double on the CPU: reductions are checked to rtol 1e-6 at any size.
template <typename T>
struct AccType {
  using type = T;
};
template <>
struct AccType<float> {
  using type = double;
};
template <>
struct AccType<int> {
  using type = long long;
};

template <typename T>
SPAIC_HD T reduce_identity(ReduceOp op) {
  return op == ReduceOp::Max ? lowest_value<T>() : op == ReduceOp::Min ? highest_value<T>() : T(0);
}

template <typename A>
SPAIC_HD A reduce_combine(ReduceOp op, A acc, A x) {
  switch (op) {
    case ReduceOp::Max: return x > acc ? x : acc;
    case ReduceOp::Min: return x < acc ? x : acc;
    default: return acc + x;
  }
}

// ---- reduce_stats: the summary of a tensor the BPTT executor's input stage reads (ops.reduceStats):
// how many values are not finite (NaN, +-Inf) and the index of the first, how many are non-zero (a NaN
// counts as non-zero, as `x !== 0` does in JS), and the sum (in double) and max of the finite values.
// The counts, the index and the max are exact and the same on every backend; the sum is exact while the
// values' bits fit in a double's 53 (MNIST pixels over a batch do), else it depends on the order of the
// additions, which differs between the CPU (kStatsLanes lanes per chunk of kStatsChunk elements, chunks in
// order) and CUDA (a fixed tree over the blocks). Each order is fixed, so a backend repeats itself.
// POD with no initialisers, so CUDA can keep an array of them in shared memory.
struct ReduceStats {
  i64 non_finite;
  i64 first_non_finite;  // -1: none
  i64 non_zero;
  double sum;
  double max;  // -Inf when no value is finite
};

constexpr int kStatsLanes = 8;
constexpr i64 kStatsChunk = 1 << 16;

SPAIC_HD ReduceStats stats_identity() {
  ReduceStats s;
  s.non_finite = 0;
  s.first_non_finite = -1;
  s.non_zero = 0;
  s.sum = 0;
  s.max = -static_cast<double>(INFINITY);
  return s;
}

// Adds the value x at index i. x - x is 0 for a finite x and NaN for NaN and +-Inf.
template <typename T>
SPAIC_HD void stats_add(ReduceStats& s, T x, i64 i) {
  const double d = static_cast<double>(x);
  if (!(d - d == 0.0)) {
    if (s.non_finite++ == 0) s.first_non_finite = i;
    s.non_zero++;
    return;
  }
  s.non_zero += d != 0.0;
  s.sum += d;
  if (d > s.max) s.max = d;
}

// a then b: `a` covers the lower indices when both have a first index, but the merge does not rely on it.
SPAIC_HD ReduceStats stats_merge(ReduceStats a, const ReduceStats& b) {
  if (b.first_non_finite >= 0 && (a.first_non_finite < 0 || b.first_non_finite < a.first_non_finite))
    a.first_non_finite = b.first_non_finite;
  a.non_finite += b.non_finite;
  a.non_zero += b.non_zero;
  a.sum += b.sum;
  if (b.max > a.max) a.max = b.max;
  return a;
}

}  // namespace spaic

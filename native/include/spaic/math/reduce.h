// spaic/math/reduce.h - identity and combine step of each reduction (shared by CPU and CUDA).
#pragma once

#include <cfloat>
#include <climits>

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

}  // namespace spaic

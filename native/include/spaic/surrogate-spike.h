// spaic/surrogate-spike.h - kernel API of the surrogate spike functions (maths: spaic/math/surrogate.h).
//
// x is a [rows, n] array (n = neurons; rows = everything before the last axis). alpha and the threshold
// are scalars, or per-neuron arrays of n values. The forward pass writes O = H(x - threshold) with the
// comparison the surrogate uses; the backward pass writes grad_x = upstream * dO/dx and, for AtanGrad
// and ReLUGrad, dL/dalpha: one value (summed over every element) or n values (summed over rows).
// CPU pointers for spaic::cpu, device pointers for spaic::cuda; same signatures.
#pragma once

#include "spaic/common.h"
#include "spaic/math/surrogate.h"

namespace spaic {

template <typename T>
struct SurrogateCall {
  SurrogateArgs<T> sg;
  T threshold = T(0);
  const T* threshold_per_neuron = nullptr;  // [n] or null
  i64 rows = 0, n = 0;
};

#define SPAIC_DECLARE_SURROGATE_OPS                                                               \
  /* spikes[rows, n] = fires(x - threshold) as 0/1 */                                             \
  template <typename T>                                                                           \
  void surrogate_forward(const SurrogateCall<T>& p, const T* x, T* spikes);                       \
  /* grad_x = upstream * dO/dx; grad_alpha (may be null): [1] when alpha is a scalar, else [n] */ \
  template <typename T>                                                                           \
  void surrogate_backward(const SurrogateCall<T>& p, const T* x, const T* upstream, T* grad_x, T* grad_alpha);

namespace cpu {
SPAIC_DECLARE_SURROGATE_OPS
}  // namespace cpu
namespace cuda {
SPAIC_DECLARE_SURROGATE_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_SURROGATE_OPS

}  // namespace spaic

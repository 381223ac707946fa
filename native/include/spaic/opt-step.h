// spaic/opt-step.h - the optimizer-step kernels (one fused pass per step: read grad, write param and
// state), and their read-only guard (would the step leave anything non-finite?). Same signatures in spaic::cpu
// (cpu/opt-step.cpp) and spaic::cuda (cuda/opt-step.cu).
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/math/opt-step.h"

namespace spaic {

// Row-sparse gradient for SparseAdam, coalesced by index lists: unique row r = rows[j] gets
// sum_{k in [offsets[j], offsets[j+1])} values[order[k], :] (duplicates summed in order of appearance).
struct SparseRows {
  const std::int32_t* rows = nullptr;     // [nu] unique row indices
  const std::int32_t* order = nullptr;    // [nnz] source rows of values, grouped by unique row
  const std::int32_t* offsets = nullptr;  // [nu + 1]
  i64 nu = 0;                             // unique rows
  i64 row_len = 0;                        // elements per row
};

#define SPAIC_DECLARE_OPT_STEP_OPS                                                                                   \
  template <typename T>                                                                                              \
  void opt_step(const OptStepParams& p, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n);                        \
  template <typename T>                                                                                              \
  void sparse_adam_step(const OptStepParams& p, T* param, const T* values, const SparseRows& rows, T* exp_avg,       \
                        T* exp_avg_sq);                                                                              \
  /* The guard of a step: the index of the first element that opt_step would leave non-finite (its */                \
  /* gradient, parameter or state), or -1. Writes nothing. `scratch` is 8 bytes of device memory on  */              \
  /* CUDA (unused on the CPU). For SparseAdam the index is into the parameter.                       */              \
  template <typename T>                                                                                              \
  i64 opt_check(const OptStepParams& p, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n, \
                void* scratch);                                                                                      \
  template <typename T>                                                                                              \
  i64 sparse_adam_check(const OptStepParams& p, const T* param, const T* values, const SparseRows& rows,             \
                        const T* exp_avg, const T* exp_avg_sq, void* scratch);

// The explicit instantiations, for one element type (cpu/opt-step.cpp and cuda/opt-step.cu expand it).
#define SPAIC_INSTANTIATE_OPT_STEP_OPS(T)                                                                            \
  template void opt_step<T>(const OptStepParams&, T*, const T*, T*, T*, T*, i64);                                    \
  template void sparse_adam_step<T>(const OptStepParams&, T*, const T*, const SparseRows&, T*, T*);                  \
  template i64 opt_check<T>(const OptStepParams&, const T*, const T*, const T*, const T*, const T*, i64, void*);     \
  template i64 sparse_adam_check<T>(const OptStepParams&, const T*, const T*, const SparseRows&, const T*, const T*, \
                                    void*);

namespace cpu {
SPAIC_DECLARE_OPT_STEP_OPS
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_OPT_STEP_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_OPT_STEP_OPS

}  // namespace spaic

// spaic/opt-step.h - the optimizer-step kernels (one fused pass per step: read grad, write param and
// state). Same signatures in spaic::cpu (cpu/opt-step.cpp) and spaic::cuda (cuda/opt-step.cu).
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

#define SPAIC_DECLARE_OPT_STEP_OPS                                                                    \
  template <typename T>                                                                               \
  void opt_step(const OptStepParams& p, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n);        \
  template <typename T>                                                                               \
  void sparse_adam_step(const OptStepParams& p, T* param, const T* values, const SparseRows& rows,   \
                        T* exp_avg, T* exp_avg_sq);

namespace cpu {
SPAIC_DECLARE_OPT_STEP_OPS
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_OPT_STEP_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_OPT_STEP_OPS

}  // namespace spaic

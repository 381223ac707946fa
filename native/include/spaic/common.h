// spaic/common.h - qualifiers and small helpers shared by the CPU and CUDA builds.
//
// Dimension letters used across native/: T = time steps, B = batch, N = neurons (N_pre, N_post),
// S = synapses, C/H/W = channels/height/width. All arrays are dense, row-major, batch-first.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define SPAIC_HD __host__ __device__ __forceinline__
#define SPAIC_RESTRICT __restrict__
#else
#define SPAIC_HD inline
#define SPAIC_RESTRICT __restrict__
#endif

namespace spaic {

using i64 = std::int64_t;

SPAIC_HD i64 ceil_div(i64 a, i64 b) { return (a + b - 1) / b; }

}  // namespace spaic

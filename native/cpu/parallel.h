// cpu/parallel.h - OpenMP helpers for the CPU kernels. Loops below kSerialBelow elements stay serial:
// waking the thread team costs more than it saves there.
#pragma once

#include "spaic/common.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace spaic::cpu {

constexpr i64 kSerialBelow = 1 << 15;

#define SPAIC_PRAGMA(x) _Pragma(#x)
// Vectorise this (innermost, unit-stride) loop: keeps the compiler from interchanging it with the loop
// around it, which turns contiguous row updates into gathers.
#if defined(_OPENMP)
#define SPAIC_SIMD SPAIC_PRAGMA(omp simd)
#elif defined(__GNUC__) && !defined(__clang__)
#define SPAIC_SIMD SPAIC_PRAGMA(GCC ivdep)
#else
#define SPAIC_SIMD
#endif

#if defined(_OPENMP)
#define SPAIC_OMP_FOR(n) SPAIC_PRAGMA(omp parallel for schedule(static) if ((n) > ::spaic::cpu::kSerialBelow))
#else
#define SPAIC_OMP_FOR(n)
#endif

}  // namespace spaic::cpu

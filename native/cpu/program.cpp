// cpu/program.cpp - the program executor's own small kernels on the CPU (maths: spaic/math/program.h).
#include "spaic/program.h"

#include "cpu/parallel.h"
#include "spaic/math/program.h"

namespace spaic::cpu {

template <typename T>
void gather_step(const T* src, T* out, i64 batch, i64 steps, i64 n, i64 t) {
  const i64 total = batch * n;
  SPAIC_OMP_FOR(total)
  for (i64 k = 0; k < total; ++k) out[k] = src[gather_index(k, steps, n, t)];
}

template <typename T>
void first_spike(const T* s, T* first, i64 n, T step) {
  SPAIC_OMP_FOR(n)
  for (i64 k = 0; k < n; ++k) first[k] = first_spike_update(first[k], s[k], step);
}

template <typename T>
void first_spike_done(T* first, i64 n, T steps) {
  SPAIC_OMP_FOR(n)
  for (i64 k = 0; k < n; ++k) first[k] = first_spike_final(first[k], steps);
}

SPAIC_INSTANTIATE_PROGRAM_OPS(float)
SPAIC_INSTANTIATE_PROGRAM_OPS(double)

}  // namespace spaic::cpu

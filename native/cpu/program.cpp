// cpu/program.cpp - the program executor's own small kernels on the CPU (maths: spaic/math/program.h).
#include "spaic/program.h"

#include "cpu/parallel.h"
#include "spaic/math/program.h"

namespace spaic::cpu {

template <typename T>
void gather_step(const T* src, T* out, i64 batch, i64 steps, i64 n, i64 t) {
  const i64 total = batch * n;
  parallel_for(total, total, [&](i64 k) { out[k] = src[gather_index(k, steps, n, t)]; });
}

template <typename T>
void first_spike(const T* s, T* first, i64 n, T step) {
  parallel_for(n, n, [&](i64 k) { first[k] = first_spike_update(first[k], s[k], step); });
}

template <typename T>
void first_spike_done(T* first, i64 n, T steps) {
  parallel_for(n, n, [&](i64 k) { first[k] = first_spike_final(first[k], steps); });
}

SPAIC_INSTANTIATE_PROGRAM_OPS(float)
SPAIC_INSTANTIATE_PROGRAM_OPS(double)

}  // namespace spaic::cpu

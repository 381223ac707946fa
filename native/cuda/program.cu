// cuda/program.cu - CUDA twin of cpu/program.cpp; same maths (spaic/math/program.h).
#include "cuda/common.cuh"
#include "spaic/math/program.h"
#include "spaic/program.h"

namespace spaic::cuda {

namespace {

template <typename T>
__global__ void gather_step_kernel(const T* src, T* out, i64 total, i64 steps, i64 n, i64 t) {
  SPAIC_GRID_STRIDE(k, total) out[k] = src[gather_index(k, steps, n, t)];
}

template <typename T>
__global__ void first_spike_kernel(const T* s, T* first, i64 n, T step) {
  SPAIC_GRID_STRIDE(k, n) first[k] = first_spike_update(first[k], s[k], step);
}

template <typename T>
__global__ void first_spike_done_kernel(T* first, i64 n, T steps) {
  SPAIC_GRID_STRIDE(k, n) first[k] = first_spike_final(first[k], steps);
}

}  // namespace

template <typename T>
void gather_step(const T* src, T* out, i64 batch, i64 steps, i64 n, i64 t) {
  const i64 total = batch * n;
  if (total <= 0) return;
  gather_step_kernel<T><<<grid_for(total), kBlock>>>(src, out, total, steps, n, t);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void first_spike(const T* s, T* first, i64 n, T step) {
  if (n <= 0) return;
  first_spike_kernel<T><<<grid_for(n), kBlock>>>(s, first, n, step);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void first_spike_done(T* first, i64 n, T steps) {
  if (n <= 0) return;
  first_spike_done_kernel<T><<<grid_for(n), kBlock>>>(first, n, steps);
  SPAIC_CUDA_LAUNCHED();
}

SPAIC_INSTANTIATE_PROGRAM_OPS(float)
SPAIC_INSTANTIATE_PROGRAM_OPS(double)

}  // namespace spaic::cuda

// cuda/opt-step.cu - CUDA twin of cpu/opt-step.cpp: one grid-stride pass per step; the maths is
// spaic/math/opt-step.h.
#include "cuda/common.cuh"
#include "spaic/opt-step.h"

namespace spaic::cuda {

namespace {

template <typename T, OptAlgo A>
__global__ void opt_step_kernel(OptCoef<T> c, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  SPAIC_GRID_STRIDE(i, n) opt_elem<T, A>(c, param, grad, s0, s1, s2, i);
}

template <typename T>
__global__ void sparse_adam_kernel(OptCoef<T> c, T* param, const T* values, SparseRows r, T* exp_avg, T* exp_avg_sq,
                                   i64 total) {
  SPAIC_GRID_STRIDE(e, total) {
    const i64 j = e / r.row_len;
    const i64 col = e - j * r.row_len;
    T g = values[static_cast<i64>(r.order[r.offsets[j]]) * r.row_len + col];
    for (i64 k = r.offsets[j] + 1; k < r.offsets[j + 1]; ++k)
      g = g + values[static_cast<i64>(r.order[k]) * r.row_len + col];
    const i64 i = static_cast<i64>(r.rows[j]) * r.row_len + col;
    sparse_adam_elem(c, param[i], g, exp_avg[i], exp_avg_sq[i]);
  }
}

// The guard: the smallest index whose element would end non-finite, by an integer atomicMin (so the
// answer does not depend on the order the blocks run in). `first` starts at ULLONG_MAX.
template <typename T, OptAlgo A>
__global__ void opt_check_kernel(OptCoef<T> c, const T* param, const T* grad, const T* s0, const T* s1, const T* s2,
                                 i64 n, unsigned long long* first) {
  SPAIC_GRID_STRIDE(i, n) {
    if (!opt_elem_finite<T, A>(c, param, grad, s0, s1, s2, i)) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

template <typename T>
__global__ void sparse_adam_check_kernel(OptCoef<T> c, const T* param, const T* values, SparseRows r, const T* exp_avg,
                                         const T* exp_avg_sq, i64 total, unsigned long long* first) {
  SPAIC_GRID_STRIDE(e, total) {
    const i64 j = e / r.row_len;
    const i64 col = e - j * r.row_len;
    T g = values[static_cast<i64>(r.order[r.offsets[j]]) * r.row_len + col];
    for (i64 k = r.offsets[j] + 1; k < r.offsets[j + 1]; ++k)
      g = g + values[static_cast<i64>(r.order[k]) * r.row_len + col];
    const i64 i = static_cast<i64>(r.rows[j]) * r.row_len + col;
    if (!sparse_adam_elem_finite(c, param[i], g, exp_avg[i], exp_avg_sq[i])) {
      atomicMin(first, static_cast<unsigned long long>(i));
    }
  }
}

i64 read_first(unsigned long long* first) {
  unsigned long long h = 0;
  SPAIC_CUDA_READ_BACK(&h, first, sizeof(h));
  return h == ~0ull ? -1 : static_cast<i64>(h);
}

}  // namespace

template <typename T>
i64 opt_check(const OptStepParams& p, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n,
              void* scratch) {
  if (n == 0) return -1;
  const OptCoef<T> c(p);
  auto* first = static_cast<unsigned long long*>(scratch);
  SPAIC_CUDA_CHECK(cudaMemset(first, 0xff, sizeof(unsigned long long)));
#define SPAIC_CASE(X)                                                                               \
  case OptAlgo::X:                                                                                  \
    opt_check_kernel<T, OptAlgo::X><<<grid_for(n), kBlock>>>(c, param, grad, s0, s1, s2, n, first); \
    break;
  switch (p.algo) {
    SPAIC_CASE(SGD)
    SPAIC_CASE(Adam)
    SPAIC_CASE(Adamax)
    SPAIC_CASE(ASGD)
    SPAIC_CASE(Adadelta)
    SPAIC_CASE(Adagrad)
    SPAIC_CASE(RMSprop)
    SPAIC_CASE(Rprop)
  }
#undef SPAIC_CASE
  SPAIC_CUDA_LAUNCHED();
  return read_first(first);
}

template <typename T>
i64 sparse_adam_check(const OptStepParams& p, const T* param, const T* values, const SparseRows& r, const T* exp_avg,
                      const T* exp_avg_sq, void* scratch) {
  const i64 total = r.nu * r.row_len;
  if (total == 0) return -1;
  auto* first = static_cast<unsigned long long*>(scratch);
  SPAIC_CUDA_CHECK(cudaMemset(first, 0xff, sizeof(unsigned long long)));
  sparse_adam_check_kernel<T>
      <<<grid_for(total), kBlock>>>(OptCoef<T>(p), param, values, r, exp_avg, exp_avg_sq, total, first);
  SPAIC_CUDA_LAUNCHED();
  return read_first(first);
}

template <typename T>
void opt_step(const OptStepParams& p, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  if (n == 0) return;
  const OptCoef<T> c(p);
#define SPAIC_CASE(X) \
  case OptAlgo::X: opt_step_kernel<T, OptAlgo::X><<<grid_for(n), kBlock>>>(c, param, grad, s0, s1, s2, n); break;
  switch (p.algo) {
    SPAIC_CASE(SGD)
    SPAIC_CASE(Adam)
    SPAIC_CASE(Adamax)
    SPAIC_CASE(ASGD)
    SPAIC_CASE(Adadelta)
    SPAIC_CASE(Adagrad)
    SPAIC_CASE(RMSprop)
    SPAIC_CASE(Rprop)
  }
#undef SPAIC_CASE
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void sparse_adam_step(const OptStepParams& p, T* param, const T* values, const SparseRows& r, T* exp_avg,
                      T* exp_avg_sq) {
  const i64 total = r.nu * r.row_len;
  if (total == 0) return;
  sparse_adam_kernel<T><<<grid_for(total), kBlock>>>(OptCoef<T>(p), param, values, r, exp_avg, exp_avg_sq, total);
  SPAIC_CUDA_LAUNCHED();
}

SPAIC_INSTANTIATE_OPT_STEP_OPS(float)
SPAIC_INSTANTIATE_OPT_STEP_OPS(double)

}  // namespace spaic::cuda

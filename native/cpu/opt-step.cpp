// cpu/opt-step.cpp - optimizer steps on the CPU: one OpenMP pass over the elements per step.
// The per-element maths is spaic/math/opt-step.h, shared with cuda/opt-step.cu.
#include <type_traits>

#include "cpu/parallel.h"
#include "spaic/opt-step.h"

namespace spaic::cpu {

namespace {

template <typename T, OptAlgo A>
void dense_loop(const OptCoef<T>& c, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  parallel_for(n, n, [&](i64 i) { opt_elem<T, A>(c, param, grad, s0, s1, s2, i); });
}

// Counts the elements the step would leave non-finite (a vectorisable reduction); the rare failing
// case then finds the first one serially.
template <typename T, OptAlgo A>
i64 check_loop(const OptCoef<T>& c, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n) {
  T excess = 0;  // stays exactly 0 unless some element is non-finite (then NaN): order does not matter
#if defined(_OPENMP)
#pragma omp parallel for simd schedule(static) reduction(+ : excess) if (n > kSerialBelow)
#endif
  for (i64 i = 0; i < n; ++i) excess += opt_elem_excess<T, A>(c, param, grad, s0, s1, s2, i);
  if (excess == T(0)) return -1;
  for (i64 i = 0; i < n; ++i) {
    if (!opt_elem_finite<T, A>(c, param, grad, s0, s1, s2, i)) return i;
  }
  return -1;
}

// SparseAdam's coalesced gradient of unique row j, column col.
template <typename T>
T sparse_grad(const T* values, const SparseRows& r, i64 j, i64 col) {
  T g = values[static_cast<i64>(r.order[r.offsets[j]]) * r.row_len + col];
  for (i64 k = r.offsets[j] + 1; k < r.offsets[j + 1]; ++k)
    g = g + values[static_cast<i64>(r.order[k]) * r.row_len + col];
  return g;
}

}  // namespace

template <typename T>
i64 opt_check(const OptStepParams& p, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n,
              void* /*scratch*/) {
  if (n == 0) return -1;
  const OptCoef<T> c(p);
#define SPAIC_CASE(X) \
  case OptAlgo::X: return check_loop<T, OptAlgo::X>(c, param, grad, s0, s1, s2, n);
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
  return -1;
}

template <typename T>
i64 sparse_adam_check(const OptStepParams& p, const T* param, const T* values, const SparseRows& r, const T* exp_avg,
                      const T* exp_avg_sq, void* /*scratch*/) {
  if (r.nu * r.row_len == 0) return -1;
  const OptCoef<T> c(p);
  const i64 len = r.row_len;
  i64 bad = 0;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) reduction(+ : bad) if (r.nu * len > kSerialBelow)
#endif
  for (i64 j = 0; j < r.nu; ++j) {
    const i64 base = static_cast<i64>(r.rows[j]) * len;
    for (i64 col = 0; col < len; ++col) {
      const i64 i = base + col;
      bad += sparse_adam_elem_finite(c, param[i], sparse_grad(values, r, j, col), exp_avg[i], exp_avg_sq[i]) ? 0 : 1;
    }
  }
  if (bad == 0) return -1;
  for (i64 j = 0; j < r.nu; ++j) {
    const i64 base = static_cast<i64>(r.rows[j]) * len;
    for (i64 col = 0; col < len; ++col) {
      const i64 i = base + col;
      if (!sparse_adam_elem_finite(c, param[i], sparse_grad(values, r, j, col), exp_avg[i], exp_avg_sq[i])) return i;
    }
  }
  return -1;
}

template <typename T>
void opt_step(const OptStepParams& p, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  if (n == 0) return;
  const OptCoef<T> c(p);
#define SPAIC_CASE(X) \
  case OptAlgo::X: dense_loop<T, OptAlgo::X>(c, param, grad, s0, s1, s2, n); return;
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
}

template <typename T>
void sparse_adam_step(const OptStepParams& p, T* param, const T* values, const SparseRows& r, T* exp_avg,
                      T* exp_avg_sq) {
  if (r.nu * r.row_len == 0) return;
  const OptCoef<T> c(p);
  const i64 len = r.row_len;
  // Parallel over the unique rows (each row is written by one thread); the columns are contiguous.
  parallel_for(r.nu, r.nu * len, [&](i64 j) {
    const i64 base = static_cast<i64>(r.rows[j]) * len;
    for (i64 col = 0; col < len; ++col) {
      sparse_adam_elem(c, param[base + col], sparse_grad(values, r, j, col), exp_avg[base + col],
                       exp_avg_sq[base + col]);
    }
  });
}

SPAIC_INSTANTIATE_OPT_STEP_OPS(float)
SPAIC_INSTANTIATE_OPT_STEP_OPS(double)

}  // namespace spaic::cpu

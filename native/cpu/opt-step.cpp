// cpu/opt-step.cpp - optimizer steps on the CPU: one OpenMP pass over the elements per step.
// The per-element maths is spaic/math/opt-step.h, shared with cuda/opt-step.cu.
#include <type_traits>

#include "cpu/parallel.h"
#include "spaic/opt-step.h"

namespace spaic::cpu {

namespace {

template <typename T, OptAlgo A>
void dense_loop(const OptCoef<T>& c, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  SPAIC_OMP_FOR(n)
  for (i64 i = 0; i < n; ++i) opt_elem<T, A>(c, param, grad, s0, s1, s2, i);
}

}  // namespace

template <typename T>
void opt_step(const OptStepParams& p, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  if (n == 0) return;
  const OptCoef<T> c(p);
#define SPAIC_CASE(X) \
  case OptAlgo::X: dense_loop<T, OptAlgo::X>(c, param, grad, s0, s1, s2, n); return;
  switch (p.algo) {
    SPAIC_CASE(SGD) SPAIC_CASE(Adam) SPAIC_CASE(Adamax) SPAIC_CASE(ASGD)
    SPAIC_CASE(Adadelta) SPAIC_CASE(Adagrad) SPAIC_CASE(RMSprop) SPAIC_CASE(Rprop)
  }
#undef SPAIC_CASE
}

template <typename T>
void sparse_adam_step(const OptStepParams& p, T* param, const T* values, const SparseRows& r, T* exp_avg, T* exp_avg_sq) {
  if (r.nu * r.row_len == 0) return;
  const OptCoef<T> c(p);
  const i64 len = r.row_len;
  // Parallel over the unique rows (each row is written by one thread); the columns are contiguous.
  SPAIC_OMP_FOR(r.nu * len)
  for (i64 j = 0; j < r.nu; ++j) {
    const i64 base = static_cast<i64>(r.rows[j]) * len;
    const T* first = values + static_cast<i64>(r.order[r.offsets[j]]) * len;
    for (i64 col = 0; col < len; ++col) {
      T g = first[col];
      for (i64 k = r.offsets[j] + 1; k < r.offsets[j + 1]; ++k) g = g + values[static_cast<i64>(r.order[k]) * len + col];
      sparse_adam_elem(c, param[base + col], g, exp_avg[base + col], exp_avg_sq[base + col]);
    }
  }
}

#define SPAIC_INSTANTIATE(T)                                                              \
  template void opt_step<T>(const OptStepParams&, T*, const T*, T*, T*, T*, i64);         \
  template void sparse_adam_step<T>(const OptStepParams&, T*, const T*, const SparseRows&, T*, T*);
SPAIC_INSTANTIATE(float)
SPAIC_INSTANTIATE(double)
#undef SPAIC_INSTANTIATE

}  // namespace spaic::cpu

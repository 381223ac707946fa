// cpu/opt-step.cpp - optimizer steps on the CPU: one OpenMP pass over the elements per step.
// The per-element maths is spaic/math/opt-step.h, shared with cuda/opt-step.cu.
#include <algorithm>
#include <type_traits>
#include <vector>

#include "cpu/parallel.h"
#include "spaic/opt-step.h"

namespace spaic::cpu {

namespace {

template <typename T, OptAlgo A>
void dense_loop(const OptCoef<T>& c, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  parallel_for(n, n, [&](i64 i) { opt_elem<T, A>(c, param, grad, s0, s1, s2, i); });
}

// Whether the step would leave any element non-finite (its gradient, its new value or a state value it
// writes). Each block of elements is copied to this thread's scratch, the step's own loop runs on the
// copies (the loop that the compiler vectorises for the step), and the results are tested with an
// integer OR; the tensors are only read. This is the same maths and the same test as opt_elem_finite, a
// few times faster than running it element by element (whose per-element branches stay scalar).
template <typename T, OptAlgo A>
bool any_bad(const OptCoef<T>& c, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n) {
  constexpr i64 kBlock = 1024;
  const i64 blocks = ceil_div(n, kBlock);
  std::vector<unsigned char> flag(static_cast<std::size_t>(blocks), 0);
  parallel_for(blocks, n, [&](i64 k) {
    T p[kBlock], a[kBlock], b[kBlock], e[kBlock];
    const i64 lo = k * kBlock;
    const i64 m = lo + kBlock < n ? kBlock : n - lo;
    const T* g = grad + lo;
    std::copy(param + lo, param + lo + m, p);
    if (s0) std::copy(s0 + lo, s0 + lo + m, a);
    if (s1) std::copy(s1 + lo, s1 + lo + m, b);
    if (s2) std::copy(s2 + lo, s2 + lo + m, e);
    T* pa = s0 ? a : nullptr;
    T* pb = s1 ? b : nullptr;
    T* pe = s2 ? e : nullptr;
    for (i64 i = 0; i < m; ++i) opt_elem<T, A>(c, p, g, pa, pb, pe, i);
    int bad = 0;
    for (i64 i = 0; i < m; ++i) bad |= ((g[i] - g[i]) + (p[i] - p[i])) != T(0) ? 1 : 0;
    if (pa)
      for (i64 i = 0; i < m; ++i) bad |= (a[i] - a[i]) != T(0) ? 1 : 0;
    if (pb)
      for (i64 i = 0; i < m; ++i) bad |= (b[i] - b[i]) != T(0) ? 1 : 0;
    if (pe)
      for (i64 i = 0; i < m; ++i) bad |= (e[i] - e[i]) != T(0) ? 1 : 0;
    flag[static_cast<std::size_t>(k)] = static_cast<unsigned char>(bad);
  });
  for (const unsigned char f : flag)
    if (f) return true;
  return false;
}

// The index of the first element the step would leave non-finite, or -1: the block test over all, then,
// in the rare failing case, a serial search for the first.
template <typename T, OptAlgo A>
i64 check_loop(const OptCoef<T>& c, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n) {
  if (!any_bad<T, A>(c, param, grad, s0, s1, s2, n)) return -1;
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

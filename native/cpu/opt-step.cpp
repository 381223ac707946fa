// cpu/opt-step.cpp - optimizer steps on the CPU: one OpenMP pass over the elements per step, and one for
// its guard. The per-element maths is spaic/math/opt-step.h, shared with cuda/opt-step.cu; each loop here
// is compiled once per set of option flags, so it vectorises.
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "cpu/parallel.h"
#include "spaic/opt-step.h"

namespace spaic::cpu {

namespace {

// --- One loop per flag set
// The element functions test the option flags (maximize, amsgrad, ...) as `c.<flag>`. Here they come from
// OptCoefFixed<T, F>, constants of the type, so each loop below is compiled once per combination of the
// flags its algorithm reads and keeps no test in its body; visit_flags picks the one for this call.

constexpr unsigned count_bits(unsigned m) { return m == 0 ? 0 : (m & 1u) + count_bits(m >> 1); }

// The k-th combination of the bits of `mask`: bit j of k sets the j-th lowest bit of mask.
constexpr unsigned deposit_bits(unsigned k, unsigned mask) {
  unsigned out = 0;
  for (unsigned bit = 1, j = 1; bit != 0 && bit <= mask; bit <<= 1) {
    if (mask & bit) {
      if (k & j) out |= bit;
      j <<= 1;
    }
  }
  return out;
}

template <unsigned Mask, class V, std::size_t... K>
void visit_flags_impl(unsigned flags, V& visit, std::index_sequence<K...>) {
  const unsigned f = flags & Mask;
  (void)((f == deposit_bits(K, Mask) ? (visit(std::integral_constant<unsigned, deposit_bits(K, Mask)>{}), true)
                                     : false) ||
         ...);
}

// Calls visit(std::integral_constant<unsigned, F>) once, with F = the bits of `flags` that are in Mask.
template <unsigned Mask, class V>
void visit_flags(unsigned flags, V&& visit) {
  visit_flags_impl<Mask>(flags, visit, std::make_index_sequence<std::size_t{1} << count_bits(Mask)>{});
}

// The elements one task of the thread team takes at a time (the static schedule gives each thread one run
// of consecutive blocks).
constexpr i64 kBlock = 4096;

#if defined(_OPENMP)
#define SPAIC_SIMD_OR(v) SPAIC_PRAGMA(omp simd reduction(| : v))
#else
#define SPAIC_SIMD_OR(v)
#endif

// --- Dense steps

// The step of elements [lo, hi). No test in the body, so it vectorises, square roots and divisions included
// (this file is compiled with -fno-math-errno: a sqrt that may set errno is a call no vectoriser widens).
template <typename T, OptAlgo A, unsigned F>
void step_range(const OptCoefFixed<T, F> c, T* SPAIC_RESTRICT param, const T* SPAIC_RESTRICT grad, T* SPAIC_RESTRICT s0,
                T* SPAIC_RESTRICT s1, T* SPAIC_RESTRICT s2, i64 lo, i64 hi) {
  SPAIC_SIMD
  for (i64 i = lo; i < hi; ++i) opt_elem<T, A>(c, param, grad, s0, s1, s2, i);
}

template <typename T, OptAlgo A>
void dense_loop(const OptStepParams& p, T* param, const T* grad, T* s0, T* s1, T* s2, i64 n) {
  visit_flags<opt_flags_used(A)>(opt_flags(p), [&](auto flags) {
    const OptCoefFixed<T, decltype(flags)::value> c(p);
    parallel_for(ceil_div(n, kBlock), n, [&](i64 k) {
      const i64 lo = k * kBlock;
      step_range<T, A>(c, param, grad, s0, s1, s2, lo, lo + kBlock < n ? lo + kBlock : n);
    });
  });
}

// Whether the step would leave any element of [lo, hi) non-finite (its gradient, its new value or a given
// state value): the step's own maths on values in registers (opt_elem_values), each element's excess
// (opt_excess) folded into one integer OR. Reads only, every stream once and side by side, as the step
// does. Every state pointer must be valid: the caller passes the gradient for an absent buffer, which the
// flags keep the maths from using and whose test repeats the gradient's own.
template <typename T, OptAlgo A, unsigned F>
bool bad_range(const OptCoefFixed<T, F> c, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 lo,
               i64 hi) {
  int bad = 0;
  SPAIC_SIMD_OR(bad)
  for (i64 i = lo; i < hi; ++i) {
    T p = param[i], a = s0[i], b = s1[i], e = s2[i];
    const T g = grad[i];
    opt_elem_values<T, A>(c, p, g, a, b, e);
    bad |= opt_excess(g, p, a, b, e) != T(0) ? 1 : 0;
  }
  return bad != 0;
}

// The index of the first element the step would leave non-finite, or -1: bad_range over all the blocks,
// then, in the rare failing case, a serial search for the first (opt_elem_finite, the same test).
template <typename T, OptAlgo A>
i64 check_loop(const OptStepParams& p, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n) {
  const i64 blocks = ceil_div(n, kBlock);
  std::vector<unsigned char> flag(static_cast<std::size_t>(blocks), 0);
  visit_flags<opt_flags_used(A)>(opt_flags(p), [&](auto flags) {
    const OptCoefFixed<T, decltype(flags)::value> c(p);
    const T* q0 = s0 ? s0 : grad;
    const T* q1 = s1 ? s1 : grad;
    const T* q2 = s2 ? s2 : grad;
    parallel_for(blocks, n, [&](i64 k) {
      const i64 lo = k * kBlock;
      const bool bad = bad_range<T, A>(c, param, grad, q0, q1, q2, lo, lo + kBlock < n ? lo + kBlock : n);
      flag[static_cast<std::size_t>(k)] = bad ? 1 : 0;
    });
  });
  bool any = false;
  for (const unsigned char f : flag) any = any || f != 0;
  if (!any) return -1;
  const OptCoef<T> c(p);
  for (i64 i = 0; i < n; ++i) {
    if (!opt_elem_finite<T, A>(c, param, grad, s0, s1, s2, i)) return i;
  }
  return -1;
}

// --- SparseAdam

// SparseAdam's coalesced gradient of unique row j, column col.
template <typename T>
T sparse_grad(const T* values, const SparseRows& r, i64 j, i64 col) {
  T g = values[static_cast<i64>(r.order[r.offsets[j]]) * r.row_len + col];
  for (i64 k = r.offsets[j] + 1; k < r.offsets[j + 1]; ++k)
    g = g + values[static_cast<i64>(r.order[k]) * r.row_len + col];
  return g;
}

// The same for columns [c0, c0 + m) of row j, into g: each column sums its rows in the same order as
// sparse_grad, a vector of columns at a time.
template <typename T>
void sparse_grad_cols(const T* values, const SparseRows& r, i64 j, i64 c0, i64 m, T* SPAIC_RESTRICT g) {
  const T* first = values + static_cast<i64>(r.order[r.offsets[j]]) * r.row_len + c0;
  SPAIC_SIMD
  for (i64 i = 0; i < m; ++i) g[i] = first[i];
  for (i64 k = r.offsets[j] + 1; k < r.offsets[j + 1]; ++k) {
    const T* v = values + static_cast<i64>(r.order[k]) * r.row_len + c0;
    SPAIC_SIMD
    for (i64 i = 0; i < m; ++i) g[i] = g[i] + v[i];
  }
}

// Columns a row is taken at a time (the coalesced gradient of one such piece sits on the stack).
constexpr i64 kSparseCols = 1024;

// body(j, c0, m, g) for every piece of every unique row, on the thread team: g holds the coalesced
// gradient of columns [c0, c0 + m) of unique row j.
template <typename T, class Body>
void sparse_pieces(const T* values, const SparseRows& r, Body&& body) {
  const i64 pieces = ceil_div(r.row_len, kSparseCols);
  parallel_for(r.nu * pieces, r.nu * r.row_len, [&](i64 t) {
    const i64 j = t / pieces;
    const i64 c0 = (t - j * pieces) * kSparseCols;
    const i64 m = c0 + kSparseCols < r.row_len ? kSparseCols : r.row_len - c0;
    T g[kSparseCols];
    sparse_grad_cols(values, r, j, c0, m, g);
    body(t, static_cast<i64>(r.rows[j]) * r.row_len + c0, m, g);
  });
}

}  // namespace

template <typename T>
i64 opt_check(const OptStepParams& p, const T* param, const T* grad, const T* s0, const T* s1, const T* s2, i64 n,
              void* /*scratch*/) {
  if (n == 0) return -1;
#define SPAIC_CASE(X) \
  case OptAlgo::X: return check_loop<T, OptAlgo::X>(p, param, grad, s0, s1, s2, n);
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
  std::vector<unsigned char> flag(static_cast<std::size_t>(r.nu * ceil_div(r.row_len, kSparseCols)), 0);
  visit_flags<kOptMaximize>(opt_flags(p), [&](auto flags) {
    const OptCoefFixed<T, decltype(flags)::value> c(p);
    sparse_pieces(values, r, [&](i64 t, i64 base, i64 m, const T* g) {
      const T* pp = param + base;
      const T* pm = exp_avg + base;
      const T* pv = exp_avg_sq + base;
      int bad = 0;
      SPAIC_SIMD_OR(bad)
      for (i64 i = 0; i < m; ++i) {
        T q = pp[i], mm = pm[i], vv = pv[i];
        sparse_adam_elem(c, q, g[i], mm, vv);
        bad |= opt_excess(g[i], q, mm, vv, T(0)) != T(0) ? 1 : 0;
      }
      flag[static_cast<std::size_t>(t)] = bad != 0 ? 1 : 0;
    });
  });
  bool any = false;
  for (const unsigned char f : flag) any = any || f != 0;
  if (!any) return -1;
  const OptCoef<T> c(p);
  const i64 len = r.row_len;
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
#define SPAIC_CASE(X) \
  case OptAlgo::X: dense_loop<T, OptAlgo::X>(p, param, grad, s0, s1, s2, n); return;
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
  // Each piece of a row is written by one task (the unique rows are distinct); its columns are contiguous.
  visit_flags<kOptMaximize>(opt_flags(p), [&](auto flags) {
    const OptCoefFixed<T, decltype(flags)::value> c(p);
    sparse_pieces(values, r, [&](i64 /*t*/, i64 base, i64 m, const T* g) {
      T* SPAIC_RESTRICT pp = param + base;
      T* SPAIC_RESTRICT pm = exp_avg + base;
      T* SPAIC_RESTRICT pv = exp_avg_sq + base;
      SPAIC_SIMD
      for (i64 i = 0; i < m; ++i) sparse_adam_elem(c, pp[i], g[i], pm[i], pv[i]);
    });
  });
}

SPAIC_INSTANTIATE_OPT_STEP_OPS(float)
SPAIC_INSTANTIATE_OPT_STEP_OPS(double)

}  // namespace spaic::cpu

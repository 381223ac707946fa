// cpu/reduce.cpp - sum/mean/max/min of a [outer, len, inner] view along the middle axis.
// NaN propagates through sum and mean; max/min follow the comparison (a NaN input is skipped).
// reduce_stats: the input stage's summary of a whole tensor (spaic/math/reduce.h).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/parallel.h"
#include "spaic/math/reduce.h"
#include "spaic/ops.h"

namespace spaic::cpu {

template <typename T>
void reduce(const ReduceParams& p, const T* a, T* out) {
  using A = typename AccType<T>::type;
  const i64 outer = p.outer, len = p.len, inner = p.inner;
  const i64 rows = outer * inner;
  const bool max_min = p.op == ReduceOp::Max || p.op == ReduceOp::Min;
  if (inner == 1 && outer < 4 && len > kSerialBelow) {
    // Few long rows: split each row across the threads, then combine the partial results.
    for (i64 o = 0; o < outer; ++o) {
      const T* row = a + o * len;
      A acc = max_min ? A(reduce_identity<T>(p.op)) : A(0);
#if defined(_OPENMP)
#pragma omp parallel
#endif
      {
        A local = max_min ? A(reduce_identity<T>(p.op)) : A(0);
#if defined(_OPENMP)
#pragma omp for schedule(static) nowait
#endif
        for (i64 i = 0; i < len; ++i) local = reduce_combine<A>(p.op, local, A(row[i]));
#if defined(_OPENMP)
#pragma omp critical
#endif
        acc = reduce_combine<A>(p.op, acc, local);
      }
      if (p.op == ReduceOp::Mean) acc = acc / A(len);
      out[o] = static_cast<T>(acc);
    }
    return;
  }
  if (inner == 1) {
    // Contiguous rows: one accumulator per output.
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (outer * len > kSerialBelow && outer > 1)
#endif
    for (i64 o = 0; o < outer; ++o) {
      const T* row = a + o * len;
      A acc = max_min ? A(reduce_identity<T>(p.op)) : A(0);
      for (i64 i = 0; i < len; ++i) acc = reduce_combine<A>(p.op, acc, A(row[i]));
      if (p.op == ReduceOp::Mean) acc = len > 0 ? acc / A(len) : A(0);
      out[o] = static_cast<T>(acc);
    }
    return;
  }
  // Strided: walk the rows of the middle axis, accumulating a vector of `inner` values.
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (outer * len * inner > kSerialBelow && outer > 1)
#endif
  for (i64 o = 0; o < outer; ++o) {
    std::vector<A> acc(static_cast<std::size_t>(inner), max_min ? A(reduce_identity<T>(p.op)) : A(0));
    const T* base = a + o * len * inner;
    for (i64 i = 0; i < len; ++i) {
      const T* row = base + i * inner;
      for (i64 j = 0; j < inner; ++j) acc[j] = reduce_combine<A>(p.op, acc[j], A(row[j]));
    }
    for (i64 j = 0; j < inner; ++j) {
      A v = acc[j];
      if (p.op == ReduceOp::Mean) v = len > 0 ? v / A(len) : A(0);
      out[o * inner + j] = static_cast<T>(v);
    }
  }
  (void)rows;
}

template void reduce<float>(const ReduceParams&, const float*, float*);
template void reduce<double>(const ReduceParams&, const double*, double*);
template void reduce<std::int32_t>(const ReduceParams&, const std::int32_t*, std::int32_t*);

namespace {

// The stats of a[lo..hi): kStatsLanes interleaved lanes (no dependency from one element to the next, so
// the loop vectorises), merged in lane order, then the tail element by element. A chunk with a non-finite
// value is scanned again for the first one.
template <typename T>
ReduceStats chunk_stats(const T* a, i64 lo, i64 hi) {
  constexpr int L = kStatsLanes;
  double sum[L], mx[L];
  i64 nz[L], bad[L];
  for (int k = 0; k < L; ++k) {
    sum[k] = 0;
    mx[k] = -static_cast<double>(INFINITY);
    nz[k] = 0;
    bad[k] = 0;
  }
  i64 i = lo;
  for (; i + L <= hi; i += L) {
    SPAIC_SIMD
    for (int k = 0; k < L; ++k) {
      const double d = static_cast<double>(a[i + k]);
      const bool fin = d - d == 0.0;
      bad[k] += !fin;
      nz[k] += d != 0.0;
      sum[k] += fin ? d : 0.0;
      mx[k] = fin && d > mx[k] ? d : mx[k];
    }
  }
  ReduceStats s = stats_identity();
  for (int k = 0; k < L; ++k) {
    s.non_finite += bad[k];
    s.non_zero += nz[k];
    s.sum += sum[k];
    if (mx[k] > s.max) s.max = mx[k];
  }
  for (; i < hi; ++i) stats_add(s, a[i], i);
  if (s.non_finite > 0) {
    for (i64 j = lo; j < hi; ++j) {
      const double d = static_cast<double>(a[j]);
      if (!(d - d == 0.0)) {
        s.first_non_finite = j;
        break;
      }
    }
  }
  return s;
}

}  // namespace

// Chunks of kStatsChunk elements on the thread team, merged in chunk order: the result does not depend on
// the number of threads, nor on the vector width the build targets.
template <typename T>
ReduceStats reduce_stats(const T* a, i64 n) {
  const i64 chunks = ceil_div(n, kStatsChunk);
  std::vector<ReduceStats> part(static_cast<std::size_t>(chunks));
  parallel_for(chunks, n, [&](i64 c) {
    const i64 lo = c * kStatsChunk;
    part[static_cast<std::size_t>(c)] = chunk_stats(a, lo, std::min(n, lo + kStatsChunk));
  });
  ReduceStats s = stats_identity();
  for (const ReduceStats& p : part) s = stats_merge(s, p);
  return s;
}

template ReduceStats reduce_stats<float>(const float*, i64);
template ReduceStats reduce_stats<double>(const double*, i64);

}  // namespace spaic::cpu

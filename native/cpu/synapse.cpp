// cpu/synapse.cpp - synaptic products on the CPU: dense (GEMM) and event-driven, forward and backward.
//
// Event-driven forward: each row's active inputs are listed first (ascending, in the workspace); then
// - W^T [pre, post]: the output row is split into column tiles that stay in L1, and every active input
//   adds its contiguous weight row tile into the tile (a vectorised axpy). Threads share (row, tile) pairs.
// - W [post, pre]: each post neuron j walks the active list of every row, reading W[j, i] (strided).
//   Threads share the post neurons, so a row of W is read once for all rows of the batch.
// The 'auto' mode counts the events first and picks the path by the measured density.
#include <algorithm>
#include <vector>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cpu/parallel.h"
#include "spaic/ops.h"
#include "spaic/synapse.h"

namespace spaic::cpu {

namespace {

constexpr i64 kTile = 256;  // output columns per tile (1 KiB of float accumulators)
// Event accumulation is a few cycles per multiply-add: below this many, waking the thread team costs
// more than it saves (and on a loaded machine it can cost milliseconds).
constexpr i64 kEventSerialBelow = i64(1) << 18;

template <typename T>
T* at(void* ws, std::size_t off) {
  return reinterpret_cast<T*>(static_cast<char*>(ws) + off);
}

// counts[r] = number of active inputs of row r, index[r*n_pre + k] their positions; returns the total.
template <typename S>
i64 compact(const SynapseParams& p, const S* s, std::int32_t* counts, std::int32_t* index) {
  i64 total = 0;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) reduction(+ : total) if (p.rows * p.n_pre > kEventSerialBelow)
#endif
  for (i64 r = 0; r < p.rows; ++r) {
    const S* row = s + r * p.n_pre;
    std::int32_t* idx = index + r * p.n_pre;
    std::int32_t c = 0;
    for (i64 i = 0; i < p.n_pre; ++i) {
      idx[c] = static_cast<std::int32_t>(i);
      c += spike_active(row[i]) ? 1 : 0;  // branch-free: write always, advance on events
    }
    counts[r] = c;
    total += c;
  }
  counts[p.rows] = static_cast<std::int32_t>(total > INT32_MAX ? INT32_MAX : total);
  return total;
}

template <typename T, typename S>
void event_pre_post(const SynapseParams& p, const S* s, const T* wt, const T* bias, T* out,
                    const std::int32_t* counts, const std::int32_t* index) {
  const i64 tiles = ceil_div(p.n_post, kTile);
  const i64 work = p.rows * tiles;
  i64 events = 0;
  for (i64 r = 0; r < p.rows; ++r) events += counts[r];
  const bool par = events * p.n_post > kEventSerialBelow && work > 1;
  (void)par;
#if defined(_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (par)
#endif
  for (i64 item = 0; item < work; ++item) {
    const i64 r = item / tiles;
    const i64 j0 = (item % tiles) * kTile;
    const i64 nj = std::min<i64>(kTile, p.n_post - j0);
    T acc[kTile];
    for (i64 j = 0; j < nj; ++j) acc[j] = T(0);
    const std::int32_t* idx = index + r * p.n_pre;
    const S* srow = s + r * p.n_pre;
    for (std::int32_t k = 0; k < counts[r]; ++k) {
      const i64 i = idx[k];
      const T v = spike_value<T>(srow[i]);
      const T* SPAIC_RESTRICT w = wt + i * p.n_post + j0;
      for (i64 j = 0; j < nj; ++j) acc[j] += v * w[j];
    }
    T* o = out + r * p.n_post + j0;
    const T* b = bias ? bias + j0 : nullptr;
    for (i64 j = 0; j < nj; ++j) o[j] = synapse_finish(acc[j], b, j, o + j, p.accumulate);
  }
}

template <typename T, typename S>
void event_post_pre(const SynapseParams& p, const S* s, const T* w, const T* bias, T* out,
                    const std::int32_t* counts, const std::int32_t* index) {
  i64 events = 0;
  for (i64 r = 0; r < p.rows; ++r) events += counts[r];
  const bool par = events * p.n_post > kEventSerialBelow;
  (void)par;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (par)
#endif
  for (i64 j = 0; j < p.n_post; ++j) {
    const T* SPAIC_RESTRICT wj = w + j * p.n_pre;
    for (i64 r = 0; r < p.rows; ++r) {
      const std::int32_t* idx = index + r * p.n_pre;
      const S* srow = s + r * p.n_pre;
      T acc = T(0);
      for (std::int32_t k = 0; k < counts[r]; ++k) {
        const i64 i = idx[k];
        acc += spike_value<T>(srow[i]) * wj[i];
      }
      T* o = out + r * p.n_post + j;
      *o = synapse_finish(acc, bias, j, o, p.accumulate);
    }
  }
}

template <typename T, typename S>
const T* widen(const S* s, i64 n, void* ws, std::size_t off) {
  if constexpr (std::is_same_v<T, S>) {
    (void)n;
    (void)ws;
    (void)off;
    return s;
  } else {
    T* d = at<T>(ws, off);
    SPAIC_OMP_FOR(n)
    for (i64 i = 0; i < n; ++i) d[i] = spike_value<T>(s[i]);
    return d;
  }
}

// out = s . op(W) (+ bias) (+ out): bias is written (or added) first, then the GEMM runs with beta = 1.
template <typename T>
void dense(const SynapseParams& p, const T* s, const T* w, const T* bias, T* out) {
  const i64 n = p.rows * p.n_post;
  double beta = p.accumulate ? 1.0 : 0.0;
  if (bias) {
    SPAIC_OMP_FOR(n)
    for (i64 e = 0; e < n; ++e) {
      const i64 j = e % p.n_post;
      out[e] = p.accumulate ? out[e] + bias[j] : bias[j];
    }
    beta = 1.0;
  }
  GemmParams g;
  g.m = p.rows;
  g.n = p.n_post;
  g.k = p.n_pre;
  g.lda = p.n_pre;
  g.trans_b = p.layout == WeightLayout::PostPre;
  g.ldb = p.layout == WeightLayout::PostPre ? p.n_pre : p.n_post;
  g.ldc = p.n_post;
  g.beta = beta;
  gemm<T>(g, s, w, out);
}

}  // namespace

template <typename T, typename S>
SynapseMode synapse_forward(const SynapseParams& p, const S* spikes, const T* weight, const T* bias, T* out,
                            void* workspace) {
  if (p.rows == 0 || p.n_post == 0) return p.mode == SynapseMode::Event ? SynapseMode::Event : SynapseMode::Dense;
  const SynapseWorkspace ws = synapse_forward_workspace(p, !std::is_same_v<T, S>, sizeof(T));
  SynapseMode mode = p.mode;
  std::int32_t* counts = nullptr;
  std::int32_t* index = nullptr;
  if (mode != SynapseMode::Dense) {
    counts = at<std::int32_t>(workspace, ws.counts);
    index = at<std::int32_t>(workspace, ws.index);
    const i64 total = compact(p, spikes, counts, index);
    if (mode == SynapseMode::Auto) {
      const double crossover = p.crossover >= 0 ? p.crossover : synapse_default_crossover(false, p.rows, p.layout == WeightLayout::PrePost);
      const double density = p.n_pre > 0 ? static_cast<double>(total) / static_cast<double>(p.rows * p.n_pre) : 0.0;
      mode = density < crossover ? SynapseMode::Event : SynapseMode::Dense;
    }
  }
  if (mode == SynapseMode::Event) {
    if (p.layout == WeightLayout::PrePost) event_pre_post<T, S>(p, spikes, weight, bias, out, counts, index);
    else event_post_pre<T, S>(p, spikes, weight, bias, out, counts, index);
  } else {
    dense<T>(p, widen<T, S>(spikes, p.rows * p.n_pre, workspace, ws.spikes), weight, bias, out);
  }
  return mode;
}

namespace {

// Event-driven weight gradient: a CSR of the active inputs (one pass over the spikes), then every
// thread adds gradOut rows into its own slice of the post dimension, so no two threads write the
// same element and the result does not depend on the thread count.
template <typename T, typename S>
void grad_weight_event(const SynapseBackwardParams& p, const T* g, const S* s, T* gw) {
  const i64 R = p.rows, NP = p.n_pre, NO = p.n_post;
  if (!p.accumulate) std::fill(gw, gw + NP * NO, T(0));
  std::vector<i64> row_ptr(static_cast<std::size_t>(R + 1), 0);
  SPAIC_OMP_FOR(R * NP)
  for (i64 r = 0; r < R; ++r) {
    i64 c = 0;
    const S* sr = s + r * NP;
    for (i64 i = 0; i < NP; ++i) c += sr[i] != S(0);
    row_ptr[r + 1] = c;
  }
  for (i64 r = 0; r < R; ++r) row_ptr[r + 1] += row_ptr[r];
  std::vector<std::int32_t> col(static_cast<std::size_t>(row_ptr[R]));
  std::vector<T> val(static_cast<std::size_t>(row_ptr[R]));
  SPAIC_OMP_FOR(R * NP)
  for (i64 r = 0; r < R; ++r) {
    i64 k = row_ptr[r];
    const S* sr = s + r * NP;
    for (i64 i = 0; i < NP; ++i)
      if (sr[i] != S(0)) {
        col[k] = static_cast<std::int32_t>(i);
        val[k++] = static_cast<T>(sr[i]);
      }
  }
  const bool pre_post = p.layout == WeightLayout::PrePost;
#if defined(_OPENMP)
#pragma omp parallel if (row_ptr[R] * NO > kSerialBelow)
#endif
  {
#if defined(_OPENMP)
    const int nt = omp_get_num_threads(), tid = omp_get_thread_num();
#else
    const int nt = 1, tid = 0;
#endif
    const i64 chunk = ceil_div(ceil_div(NO, nt), 16) * 16;
    const i64 j0 = std::min<i64>(NO, tid * chunk), j1 = std::min<i64>(NO, j0 + chunk);
    for (i64 r = 0; r < R && j0 < j1; ++r) {
      const T* gr = g + r * NO;
      for (i64 k = row_ptr[r]; k < row_ptr[r + 1]; ++k) {
        const i64 i = col[k];
        const T v = val[k];
        if (pre_post) {
          T* SPAIC_RESTRICT dst = gw + i * NO;
          for (i64 j = j0; j < j1; ++j) dst[j] += v * gr[j];
        } else {
          for (i64 j = j0; j < j1; ++j) gw[j * NP + i] += v * gr[j];
        }
      }
    }
  }
}

template <typename S>
double active_fraction(const S* s, i64 n) {
  i64 c = 0;
  SPAIC_PRAGMA(omp parallel for reduction(+ : c) if (n > kSerialBelow))
  for (i64 i = 0; i < n; ++i) c += s[i] != S(0);
  return n > 0 ? static_cast<double>(c) / static_cast<double>(n) : 0.0;
}

}  // namespace

template <typename T, typename S>
void synapse_backward(const SynapseBackwardParams& p, const T* grad_out, const S* spikes, const T* weight,
                      T* grad_weight, T* grad_spikes, T* grad_bias, void* workspace) {
  const double beta = p.accumulate ? 1.0 : 0.0;
  const bool post_pre = p.layout == WeightLayout::PostPre;
  bool event = p.mode == SynapseMode::Event;
  if (grad_weight && p.mode == SynapseMode::Auto) {
    const double cross = p.crossover >= 0 ? p.crossover : kBackwardEventCrossoverCpu;
    event = active_fraction(spikes, p.rows * p.n_pre) < cross;
  }
  if (grad_weight && event && p.n_pre > 0 && p.n_post > 0) {
    grad_weight_event<T, S>(p, grad_out, spikes, grad_weight);
  } else if (grad_weight && p.n_pre > 0 && p.n_post > 0) {
    const T* s = widen<T, S>(spikes, p.rows * p.n_pre, workspace, 0);
    GemmParams g;
    g.trans_a = true;
    g.k = p.rows;
    g.beta = beta;
    if (post_pre) {  // [post, pre] = gI^T [post, rows] . s [rows, pre]
      g.m = p.n_post;
      g.n = p.n_pre;
      g.lda = p.n_post;
      g.ldb = p.n_pre;
      g.ldc = p.n_pre;
      gemm<T>(g, grad_out, s, grad_weight);
    } else {  // [pre, post] = s^T [pre, rows] . gI [rows, post]
      g.m = p.n_pre;
      g.n = p.n_post;
      g.lda = p.n_pre;
      g.ldb = p.n_post;
      g.ldc = p.n_post;
      gemm<T>(g, s, grad_out, grad_weight);
    }
  }
  if (grad_spikes && p.rows > 0 && p.n_pre > 0) {  // [rows, pre] = gI [rows, post] . W [post, pre]
    GemmParams g;
    g.m = p.rows;
    g.n = p.n_pre;
    g.k = p.n_post;
    g.lda = p.n_post;
    g.trans_b = !post_pre;
    g.ldb = post_pre ? p.n_pre : p.n_post;
    g.ldc = p.n_pre;
    g.beta = beta;
    gemm<T>(g, grad_out, weight, grad_spikes);
  }
  if (grad_bias) {
    SPAIC_OMP_FOR(p.rows * p.n_post)
    for (i64 j = 0; j < p.n_post; ++j) {
      T acc = T(0);
      for (i64 r = 0; r < p.rows; ++r) acc += grad_out[r * p.n_post + j];
      grad_bias[j] = p.accumulate ? grad_bias[j] + acc : acc;
    }
  }
}

template <typename T>
void transpose(const T* a, T* out, i64 rows, i64 cols) {
  constexpr i64 B = 32;
  const i64 tr = ceil_div(rows, B), tc = ceil_div(cols, B);
  SPAIC_OMP_FOR(rows * cols)
  for (i64 t = 0; t < tr * tc; ++t) {
    const i64 r0 = (t / tc) * B, c0 = (t % tc) * B;
    const i64 r1 = std::min(rows, r0 + B), c1 = std::min(cols, c0 + B);
    for (i64 r = r0; r < r1; ++r)
      for (i64 c = c0; c < c1; ++c) out[c * rows + r] = a[r * cols + c];
  }
}

#define SPAIC_INSTANTIATE(T, S)                                                                                  \
  template SynapseMode synapse_forward<T, S>(const SynapseParams&, const S*, const T*, const T*, T*, void*);     \
  template void synapse_backward<T, S>(const SynapseBackwardParams&, const T*, const S*, const T*, T*, T*, T*, void*);
SPAIC_INSTANTIATE(float, float)
SPAIC_INSTANTIATE(float, std::uint8_t)
SPAIC_INSTANTIATE(double, double)
SPAIC_INSTANTIATE(double, std::uint8_t)
#undef SPAIC_INSTANTIATE
template void transpose<float>(const float*, float*, i64, i64);
template void transpose<double>(const double*, double*, i64, i64);

}  // namespace spaic::cpu

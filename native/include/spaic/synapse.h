// spaic/synapse.h - kernel API of the synaptic products (ALGORITHMS.md 0, 3.5):
//
//   Isyn[r, j] = sum_i s[r, i] * W[j, i] (+ bias[j])   for r < rows (B, or T*B for a whole run at once)
//
// W is SPAIC's [N_post, N_pre] (layout PostPre), or its transpose W^T [N_pre, N_post] (PrePost). The
// event-driven path gathers the active inputs of each row and adds only their weights: with W^T those
// are contiguous rows, which is what makes it fast; with W they are strided columns.
// Spikes S are T (float32/float64, any values; zeros are skipped) or uint8.
#pragma once

#include <cstdint>
#include <vector>

#include "spaic/common.h"
#include "spaic/math/synapse.h"
#include "spaic/ops.h"

namespace spaic {

enum class WeightLayout : int { PostPre = 0, PrePost = 1 };
enum class SynapseMode : int { Dense = 0, Event = 1, Auto = 2 };

struct SynapseParams {
  i64 rows = 0, n_pre = 0, n_post = 0;
  WeightLayout layout = WeightLayout::PostPre;
  SynapseMode mode = SynapseMode::Auto;
  double crossover = -1.0;  // Auto: event path when the active fraction < crossover; < 0: built-in default
  bool accumulate = false;  // out += Isyn instead of out = Isyn
};

// dL/dW (+)= dL/dI^T . s (PostPre; dL/dW^T (+)= s^T . dL/dI for PrePost), dL/ds (+)= dL/dI . W,
// dL/dbias (+)= sum_r dL/dI[r, :]. Any output pointer may be null to skip it.
// mode (weight gradient only): Dense runs a GEMM; Event adds gradOut[r, :] into the weight row
// (pre_post) or column (post_pre) of every active input (r, i), touching only active inputs; Auto
// picks Event when the active fraction is below the crossover (kBackwardEventCrossover by default).
struct SynapseBackwardParams {
  i64 rows = 0, n_pre = 0, n_post = 0;
  WeightLayout layout = WeightLayout::PostPre;
  bool accumulate = false;
  SynapseMode mode = SynapseMode::Dense;
  double crossover = -1.0;
};

// Active fraction below which the event-driven weight gradient beats the GEMM. CPU: measured on 784x784
// over 1900 rows at 12% active inputs, event 25 ms vs OpenBLAS 11 ms; CUDA: an estimate until measured.
constexpr double kBackwardEventCrossoverCpu = 0.04;
constexpr double kBackwardEventCrossoverCuda = 0.05;

// Scratch the calls below need: caller-owned, on the kernel's device, 16-byte aligned, `bytes` long.
//   counts  int32[rows + 1]    active inputs per row, then their total       (event / auto)
//   total   uint64             the total as a 64-bit count (CUDA; rows*n_pre may pass 2^31) (event / auto)
//   index   int32[rows * n_pre] the active inputs of each row, ascending     (event / auto)
//   spikes  T[rows * n_pre]    uint8 spikes widened to T for the GEMM        (dense / auto, uint8 spikes)
struct SynapseWorkspace {
  std::size_t counts = 0, total = 0, index = 0, spikes = 0, bytes = 0;
};

inline std::size_t align16(std::size_t b) { return (b + 15) & ~static_cast<std::size_t>(15); }

inline SynapseWorkspace synapse_forward_workspace(const SynapseParams& p, bool spikes_u8, std::size_t elem_size) {
  SynapseWorkspace w;
  std::size_t at = 0;
  const std::size_t n = static_cast<std::size_t>(p.rows * p.n_pre);
  if (p.mode != SynapseMode::Dense) {
    w.counts = at;
    at += align16(sizeof(std::int32_t) * static_cast<std::size_t>(p.rows + 1));
    w.total = at;
    at += 16;
    w.index = at;
    at += align16(sizeof(std::int32_t) * n);
  }
  if (spikes_u8 && p.mode != SynapseMode::Event) {
    w.spikes = at;
    at += align16(elem_size * n);
  }
  w.bytes = at;
  return w;
}

// Backward: `spikes` (uint8 spikes widened for the GEMM) at 0, then `counts`: 16 bytes where the auto
// mode's device count of active inputs lands (no allocation per call).
inline SynapseWorkspace synapse_backward_workspace(const SynapseBackwardParams& p, bool spikes_u8,
                                                   std::size_t elem_size) {
  SynapseWorkspace w;
  std::size_t at = 0;
  if (spikes_u8) at = align16(elem_size * static_cast<std::size_t>(p.rows * p.n_pre));
  if (p.mode == SynapseMode::Auto) {
    w.counts = at;
    at += 16;
  }
  w.bytes = at;
  return w;
}

// The GEMMs of the dense paths, the same on both devices (alpha 1):
//   forward      out [rows, post] (beta)= s [rows, pre] . op(W)
//   grad weight  PostPre: dW [post, pre] = gI^T . s;  PrePost: dW^T [pre, post] = s^T . gI
//                (operands: gI, s for PostPre; s, gI for PrePost)
//   grad spikes  ds [rows, pre] = gI [rows, post] . op(W)
inline GemmParams synapse_forward_gemm(const SynapseParams& p, double beta) {
  GemmParams g;
  g.m = p.rows;
  g.n = p.n_post;
  g.k = p.n_pre;
  g.lda = p.n_pre;
  g.trans_b = p.layout == WeightLayout::PostPre;
  g.ldb = p.layout == WeightLayout::PostPre ? p.n_pre : p.n_post;
  g.ldc = p.n_post;
  g.beta = beta;
  return g;
}

inline GemmParams synapse_grad_weight_gemm(const SynapseBackwardParams& p) {
  const bool post_pre = p.layout == WeightLayout::PostPre;
  GemmParams g;
  g.trans_a = true;
  g.k = p.rows;
  g.beta = p.accumulate ? 1.0 : 0.0;
  g.m = post_pre ? p.n_post : p.n_pre;
  g.n = post_pre ? p.n_pre : p.n_post;
  g.lda = g.m;
  g.ldb = g.n;
  g.ldc = g.n;
  return g;
}

inline GemmParams synapse_grad_spikes_gemm(const SynapseBackwardParams& p) {
  const bool post_pre = p.layout == WeightLayout::PostPre;
  GemmParams g;
  g.m = p.rows;
  g.n = p.n_pre;
  g.k = p.n_post;
  g.lda = p.n_post;
  g.trans_b = !post_pre;
  g.ldb = post_pre ? p.n_pre : p.n_post;
  g.ldc = p.n_pre;
  g.beta = p.accumulate ? 1.0 : 0.0;
  return g;
}

#define SPAIC_DECLARE_SYNAPSE_OPS                                                                              \
  /* Returns the path taken (Dense or Event). */                                                               \
  template <typename T, typename S>                                                                            \
  SynapseMode synapse_forward(const SynapseParams& p, const S* spikes, const T* weight, const T* bias, T* out, \
                              void* workspace);                                                                \
  template <typename T, typename S>                                                                            \
  void synapse_backward(const SynapseBackwardParams& p, const T* grad_out, const S* spikes, const T* weight,   \
                        T* grad_weight, T* grad_spikes, T* grad_bias, void* workspace);                        \
  /* out[c, r] = a[r, c] for a [rows, cols]: keeps a W^T copy in step with W. */                               \
  template <typename T>                                                                                        \
  void transpose(const T* a, T* out, i64 rows, i64 cols);

// The explicit instantiations (cpu/synapse.cpp and cuda/synapse.cu expand them).
#define SPAIC_INSTANTIATE_SYNAPSE_FOR(T, S)                                                                  \
  template SynapseMode synapse_forward<T, S>(const SynapseParams&, const S*, const T*, const T*, T*, void*); \
  template void synapse_backward<T, S>(const SynapseBackwardParams&, const T*, const S*, const T*, T*, T*, T*, void*);
#define SPAIC_INSTANTIATE_SYNAPSE_OPS                             \
  SPAIC_INSTANTIATE_SYNAPSE_FOR(float, float)                     \
  SPAIC_INSTANTIATE_SYNAPSE_FOR(float, std::uint8_t)              \
  SPAIC_INSTANTIATE_SYNAPSE_FOR(double, double)                   \
  SPAIC_INSTANTIATE_SYNAPSE_FOR(double, std::uint8_t)             \
  template void transpose<float>(const float*, float*, i64, i64); \
  template void transpose<double>(const double*, double*, i64, i64);

namespace cpu {
SPAIC_DECLARE_SYNAPSE_OPS

// The program executor's sparse-input shortcut for a full synapse on the CPU (core/ops/synapse-full.cpp):
// Isyn[r, :] = sum over active i of s[r, i] * W^T[i, :] (+ bias), from a W^T copy (PostPre weight only)
// whose rows are refreshed lazily from the weight's change stamps. The cache persists between steps.
template <typename T>
struct TransposedCache {
  std::vector<T> wt, acc;
  std::vector<i64> col_stamp;  // the clock at which each W^T row was last refreshed (-1: never)
  std::vector<std::int32_t> idx;
  std::vector<i64> off;
};
// Above this fraction of active inputs the step executor's full synapse op leaves its W^T path for the
// dense product. It is the executor's own choice between two of its paths, not the 'auto' crossover of
// the kernels (synapse_default_crossover in spaic/math/synapse.h), which picks among the family's paths.
// A few rows (batch <= 8) reuse nothing of a dense product's weight reads, so the gather of the active
// inputs' W^T rows stays cheaper up to about a third of the inputs (784 -> 100 at batch 1: 0.3 active
// is still 2x faster than the dense product); many rows amortise the dense product's weight reads.
inline constexpr double kTransposedDenseAbove = 0.05;
inline constexpr double kTransposedDenseAboveFewRows = 0.3;
inline double transposed_dense_above(i64 rows) {
  return rows <= 8 ? kTransposedDenseAboveFewRows : kTransposedDenseAbove;
}
// Gathers the active inputs of each of `rows` rows; false (take the dense product) above
// transposed_dense_above(rows) active.
template <typename T>
bool transposed_gather(TransposedCache<T>& c, const T* s, i64 rows, i64 n_pre);
// After transposed_gather: refreshes the W^T rows of the active inputs whose weight changed since their
// last refresh (all: the stamp of the last whole-weight change; row_stamps: each weight row's; now: the
// clock), then writes (accumulate: adds to) out.
template <typename T>
void transposed_forward(TransposedCache<T>& c, const T* s, const T* weight, const T* bias, T* out, i64 rows, i64 n_pre,
                        i64 n_post, bool accumulate, i64 all, const i64* row_stamps, i64 now);
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_SYNAPSE_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_SYNAPSE_OPS

}  // namespace spaic

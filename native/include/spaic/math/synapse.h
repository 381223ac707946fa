// spaic/math/synapse.h - per-element maths of the synaptic products, shared by cpu/synapse.cpp and
// cuda/synapse.cu: what counts as an event, the value it carries, and how a row of input current is
// finished (bias, accumulate).
#pragma once

#include <cstdint>

#include "spaic/common.h"

namespace spaic {

// A presynaptic element is an event when it is non-zero (binary spikes, or graded values).
template <typename S>
SPAIC_HD bool spike_active(S s) {
  return s != S(0);
}

template <typename T, typename S>
SPAIC_HD T spike_value(S s) {
  return static_cast<T>(s);
}

// out = acc (+ bias) (+ previous out when accumulating), always in this order so that every path of
// every backend finishes a row the same way.
template <typename T>
SPAIC_HD T synapse_finish(T acc, const T* bias, i64 j, const T* prev, bool accumulate) {
  T v = acc;
  if (bias) v = v + bias[j];
  if (accumulate) v = *prev + v;
  return v;
}

// The built-in crossover of the 'auto' mode: the event-driven path is used when the measured fraction
// of active inputs is below this. From bench/ops/synapse.bench.ts on the CPU (the table at the top of
// that file): a single row is a matrix-vector product bound by reading W, which the event path skips in
// proportion; many rows make a GEMM that reuses W from cache, so the events must be much sparser to win.
// With W [post, pre] the event path reads strided columns and wins only when very sparse. The CUDA
// values are estimates until measured on a GPU.
SPAIC_HD double synapse_default_crossover(bool cuda, i64 rows, bool pre_post) {
  if (cuda) {
    if (pre_post) return rows <= 8 ? 0.25 : 0.05;
    return rows <= 8 ? 0.1 : 0.02;
  }
  if (pre_post) return rows <= 8 ? 0.3 : rows <= 256 ? 0.15 : 0.05;
  return rows <= 8 ? 0.1 : 0.02;
}

}  // namespace spaic

// spaic/math/program.h - per-element maths of the program executor's own kernels (used by
// cpu/program.cpp and cuda/program.cu alike).
#pragma once

#include "spaic/common.h"

namespace spaic {

// Flat index into a [B, T, n] input of element k of frame t of a [B, n] output.
SPAIC_HD i64 gather_index(i64 k, i64 steps, i64 n, i64 t) {
  const i64 b = k / n, i = k - b * n;
  return (b * steps + t) * n + i;
}

// first_spike decoder: the step of the first spike, -1 until it fires.
template <typename T>
SPAIC_HD T first_spike_update(T first, T s, T step) {
  return (first < T(0) && s > T(0)) ? step : first;
}

// ... and `steps` for a neuron that never fired.
template <typename T>
SPAIC_HD T first_spike_final(T first, T steps) {
  return first < T(0) ? steps : first;
}

}  // namespace spaic

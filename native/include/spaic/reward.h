// spaic/reward.h - kernels of SPAIC's reward nodes (ALGORITHMS.md §3.8), run by the program executor's
// reward_* ops (core/program.cpp); the maths is spaic/math/reward.h, shared by cpu/ and cuda/.
//
//   reward_count:   count[k] = (first ? 0 : prev[k]) + s[k]      the window's spike count [B, num]
//   reward_compute: the reward of a full window, from count [B, num] and label [B]:
//     global / xor: out[0 .. n_out) = the sample's reward (B = 1) or the batch mean (B > 1); with
//                   per_sample, out[b, 0 .. n_out) = sample b's reward;
//     da:           out[num] = per-neuron reward, summed over the batch;
//     classify:     running [B, npop] <- 0.99*running_prev + window mean; out [B, npop] = its reward.
//   `scratch` holds reward_scratch_elems(p) elements of T on the kernel's device.
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/math/reward.h"

namespace spaic {

#define SPAIC_DECLARE_REWARD_OPS                                                                                   \
  template <typename T, typename S>                                                                                \
  void reward_count(const S* s, const T* prev, T* count, i64 n, bool first);                                       \
  template <typename T>                                                                                            \
  void reward_compute(const RewardNodeParams& p, const T* count, const std::int32_t* label, const T* running_prev, \
                      T* running, T* out, T* scratch);

// The explicit instantiations, for one element type (cpu/reward.cpp and cuda/reward.cu expand it).
#define SPAIC_INSTANTIATE_REWARD_OPS(T)                                                      \
  template void reward_count<T, T>(const T*, const T*, T*, i64, bool);                       \
  template void reward_count<T, std::int32_t>(const std::int32_t*, const T*, T*, i64, bool); \
  template void reward_compute<T>(const RewardNodeParams&, const T*, const std::int32_t*, const T*, T*, T*, T*);

namespace cpu {
SPAIC_DECLARE_REWARD_OPS
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_REWARD_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_REWARD_OPS

}  // namespace spaic

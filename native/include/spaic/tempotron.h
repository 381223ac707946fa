// spaic/tempotron.h - kernels of the tempotron rule (ALGORITHMS.md §2.5), run by the program executor's
// `tempotron` op (core/ops/tempotron.cpp); the maths is spaic/math/tempotron.h, shared by cpu/ and cuda/.
//
//   tempotron_record: step t of a run: hist[t] = x [B, n_pre]; the running maximum of v [B, n_post]
//                     (vmax, tmax).
//   tempotron_update: at the end of the run: D [B, n_post, n_pre] = the kernel-weighted input windows
//                     (K [steps], float64, on the kernel's device), coef [B, n_post] = lr_n * the signs, then
//                     W [n_post, n_pre] += the batch mean (through the velocity `vel` [n_post, n_pre] when
//                     momentum > 0, else null; clamped when bounds are set), in place. With lr_decay > 0,
//                     `count` [1] (int32, else null) holds the updates done: lr_n = lr / (1 + lr_decay * count),
//                     and the update adds one to it.
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/math/tempotron.h"

namespace spaic {

#define SPAIC_DECLARE_TEMPOTRON_OPS                                                                       \
  template <typename T>                                                                                   \
  void tempotron_record(const TempotronParams& p, i64 t, const T* x, const T* v, T* hist, T* vmax,        \
                        std::int32_t* tmax);                                                              \
  template <typename T>                                                                                   \
  void tempotron_update(const TempotronParams& p, const T* hist, const T* vmax, const std::int32_t* tmax, \
                        const std::int32_t* label, const double* K, T* D, T* coef, T* w, T* vel, std::int32_t* count);

#define SPAIC_INSTANTIATE_TEMPOTRON_OPS(T)                                                                   \
  template void tempotron_record<T>(const TempotronParams&, i64, const T*, const T*, T*, T*, std::int32_t*); \
  template void tempotron_update<T>(const TempotronParams&, const T*, const T*, const std::int32_t*,         \
                                    const std::int32_t*, const double*, T*, T*, T*, T*, std::int32_t*);

namespace cpu {
SPAIC_DECLARE_TEMPOTRON_OPS
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_TEMPOTRON_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_TEMPOTRON_OPS

}  // namespace spaic

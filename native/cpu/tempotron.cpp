// cpu/tempotron.cpp - the tempotron rule's kernels on the CPU (maths: spaic/math/tempotron.h). The windows are
// summed per (sample, output) row in blocks of inputs, the steps in order, in double: the same sums, in the
// same order, as the CUDA twin's one thread per element.
#include "spaic/tempotron.h"

#include <cstdint>
#include <cstring>

#include "cpu/parallel.h"

namespace spaic::cpu {

template <typename T>
void tempotron_record(const TempotronParams& p, i64 t, const T* x, const T* v, T* hist, T* vmax, std::int32_t* tmax) {
  const i64 nx = p.batch * p.n_pre;
  if (nx > 0) std::memcpy(hist + t * nx, x, static_cast<std::size_t>(nx) * sizeof(T));
  for (i64 k = 0; k < p.batch * p.n_post; ++k) tempotron_track(t, v[k], vmax + k, tmax + k);
}

template <typename T>
void tempotron_update(const TempotronParams& p, const T* hist, const T* vmax, const std::int32_t* tmax,
                      const std::int32_t* label, const double* K, T* D, T* coef, T* w, T* vel, std::int32_t* count) {
  constexpr i64 kBlockI = 256;
  const i64 rows = p.batch * p.n_post, stride = p.batch * p.n_pre;
  parallel_for(rows, rows * p.n_pre * (p.steps / 2 + 1), [&](i64 r) {
    const i64 b = r / p.n_post;
    const i64 last = p.canonical ? static_cast<i64>(tmax[r]) : static_cast<i64>(tmax[r]) - 1;
    double acc[kBlockI];
    for (i64 i0 = 0; i0 < p.n_pre; i0 += kBlockI) {
      const i64 n = p.n_pre - i0 < kBlockI ? p.n_pre - i0 : kBlockI;
      for (i64 i = 0; i < n; ++i) acc[i] = 0.0;
      for (i64 t = 0; t <= last; ++t) {
        const T* x = hist + t * stride + b * p.n_pre + i0;
        const double k = K[last - t];
        for (i64 i = 0; i < n; ++i) acc[i] += static_cast<double>(x[i]) * k;
      }
      T* out = D + r * p.n_pre + i0;
      for (i64 i = 0; i < n; ++i) out[i] = static_cast<T>(acc[i]);
    }
  });
  for (i64 o = 0; o < p.n_post; ++o) tempotron_signs(p, o, vmax, label, count, coef);
  const i64 nw = p.n_post * p.n_pre;
  parallel_for(nw, nw * p.batch, [&](i64 k) {
    w[k] = tempotron_apply(p, k / p.n_pre, k % p.n_pre, D, coef, w[k], vel != nullptr ? vel + k : nullptr);
  });
  tempotron_count(count);
}

SPAIC_INSTANTIATE_TEMPOTRON_OPS(float)
SPAIC_INSTANTIATE_TEMPOTRON_OPS(double)

}  // namespace spaic::cpu

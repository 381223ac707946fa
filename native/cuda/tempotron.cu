// cuda/tempotron.cu - CUDA twin of cpu/tempotron.cpp (maths: spaic/math/tempotron.h): one thread per element
// for the record, the windows and the weight update; the signs run one thread per output, over the batch in
// sample order (SPAIC's carried sign is sequential), so both backends give the same numbers. The update counter
// of a decaying rate (lr_decay) is read by the signs and moved on by the weight kernel's first thread, which
// runs after every sign is written (the same stream) and reads no count.
#include <cstdint>

#include "cuda/common.cuh"
#include "spaic/tempotron.h"

namespace spaic::cuda {

namespace {

template <typename T>
__global__ void record_kernel(TempotronParams p, i64 t, const T* x, const T* v, T* hist, T* vmax, std::int32_t* tmax) {
  const i64 nx = p.batch * p.n_pre, nv = p.batch * p.n_post;
  SPAIC_GRID_STRIDE(k, nx + nv) {
    if (k < nx) hist[t * nx + k] = x[k];
    else tempotron_track(t, v[k - nx], vmax + (k - nx), tmax + (k - nx));
  }
}

template <typename T>
__global__ void window_kernel(TempotronParams p, const T* hist, const std::int32_t* tmax, const double* K, T* D) {
  SPAIC_GRID_STRIDE(e, p.batch * p.n_post * p.n_pre) {
    const i64 r = e / p.n_pre, i = e % p.n_pre;
    D[e] = tempotron_window(p, hist, r / p.n_post, i, tmax[r], K);
  }
}

template <typename T>
__global__ void signs_kernel(TempotronParams p, const T* vmax, const std::int32_t* label, const std::int32_t* count,
                             T* coef) {
  SPAIC_GRID_STRIDE(o, p.n_post) tempotron_signs(p, o, vmax, label, count, coef);
}

template <typename T>
__global__ void apply_kernel(TempotronParams p, const T* D, const T* coef, T* w, T* vel, std::int32_t* count) {
  SPAIC_GRID_STRIDE(k, p.n_post * p.n_pre) {
    w[k] = tempotron_apply(p, k / p.n_pre, k % p.n_pre, D, coef, w[k], vel != nullptr ? vel + k : nullptr);
    if (k == 0) tempotron_count(count);
  }
}

}  // namespace

template <typename T>
void tempotron_record(const TempotronParams& p, i64 t, const T* x, const T* v, T* hist, T* vmax, std::int32_t* tmax) {
  const i64 n = p.batch * (p.n_pre + p.n_post);
  if (n == 0) return;
  record_kernel<T><<<grid_for(n), kBlock>>>(p, t, x, v, hist, vmax, tmax);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void tempotron_update(const TempotronParams& p, const T* hist, const T* vmax, const std::int32_t* tmax,
                      const std::int32_t* label, const double* K, T* D, T* coef, T* w, T* vel, std::int32_t* count) {
  const i64 nd = p.batch * p.n_post * p.n_pre, nw = p.n_post * p.n_pre;
  if (nw == 0) return;
  window_kernel<T><<<grid_for(nd), kBlock>>>(p, hist, tmax, K, D);
  SPAIC_CUDA_LAUNCHED();
  signs_kernel<T><<<grid_for(p.n_post), kBlock>>>(p, vmax, label, count, coef);
  SPAIC_CUDA_LAUNCHED();
  apply_kernel<T><<<grid_for(nw), kBlock>>>(p, D, coef, w, vel, count);
  SPAIC_CUDA_LAUNCHED();
}

SPAIC_INSTANTIATE_TEMPOTRON_OPS(float)
SPAIC_INSTANTIATE_TEMPOTRON_OPS(double)

}  // namespace spaic::cuda

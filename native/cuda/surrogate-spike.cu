// cuda/surrogate-spike.cu - CUDA twin of cpu/surrogate-spike.cpp; same maths (spaic/math/surrogate.h).
// dL/dalpha: one alpha -> per-block double partials, then one block adds them in order; per-neuron
// alphas -> one thread per neuron sums its column.
#include "cuda/block-sum.cuh"
#include "spaic/surrogate-spike.h"

namespace spaic::cuda {

namespace {

template <typename T>
__device__ __forceinline__ T threshold_at(const SurrogateCall<T>& p, i64 j) {
  return p.threshold_per_neuron ? p.threshold_per_neuron[j] : p.threshold;
}

template <typename T>
__global__ void forward_kernel(SurrogateCall<T> p, const T* x, T* spikes) {
  const i64 total = p.rows * p.n;
  SPAIC_GRID_STRIDE(i, total) {
    spikes[i] = surrogate_fires(p.sg.kind, x[i], threshold_at(p, i % p.n)) ? T(1) : T(0);
  }
}

template <typename T, int K>
__global__ void backward_kernel(SurrogateCall<T> p, const T* x, const T* upstream, T* grad_x, double* partials) {
  constexpr Surrogate kind = static_cast<Surrogate>(K);
  const i64 total = p.rows * p.n;
  double acc = 0;
  SPAIC_GRID_STRIDE(i, total) {
    const i64 j = i % p.n;
    const T xi = x[i] - threshold_at(p, j);
    const T a = p.sg.alpha_at(j);
    grad_x[i] = upstream[i] * surrogate_grad<T>(kind, xi, a, p.sg.normalized);
    if (partials) acc += static_cast<double>(surrogate_alpha_grad<T>(kind, xi, a, upstream[i]));
  }
  if (partials) {
    acc = block_sum(acc);
    if (threadIdx.x == 0) partials[blockIdx.x] = acc;
  }
}

template <typename T, int K>
__global__ void alpha_columns_kernel(SurrogateCall<T> p, const T* x, const T* upstream, T* grad_alpha) {
  constexpr Surrogate kind = static_cast<Surrogate>(K);
  SPAIC_GRID_STRIDE(j, p.n) {
    const T a = p.sg.alpha_at(j), th = threshold_at(p, j);
    double acc = 0;
    for (i64 r = 0; r < p.rows; ++r) {
      const i64 i = r * p.n + j;
      acc += static_cast<double>(surrogate_alpha_grad<T>(kind, x[i] - th, a, upstream[i]));
    }
    grad_alpha[j] = static_cast<T>(acc);
  }
}

}  // namespace

template <typename T>
void surrogate_forward(const SurrogateCall<T>& p, const T* x, T* spikes) {
  const i64 total = p.rows * p.n;
  if (total == 0) return;
  forward_kernel<T><<<grid_for(total), kBlock>>>(p, x, spikes);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void surrogate_backward(const SurrogateCall<T>& p, const T* x, const T* upstream, T* grad_x, T* grad_alpha) {
  const i64 total = p.rows * p.n;
  with_surrogate(p.sg.kind, [&](auto K) {
    constexpr int k = decltype(K)::value;
    const bool scalar_alpha = grad_alpha && !p.sg.alpha_per_neuron;
    if (scalar_alpha) {
      const unsigned blocks = grid_for(total) < unsigned(kSumBlocks) ? grid_for(total) : unsigned(kSumBlocks);
      Partials part(static_cast<int>(blocks));
      backward_kernel<T, k><<<blocks, kBlock>>>(p, x, upstream, grad_x, part.ptr);
      SPAIC_CUDA_LAUNCHED();
      sum_partials_kernel<T><<<1, kBlock>>>(part.ptr, static_cast<int>(blocks), grad_alpha);
      SPAIC_CUDA_LAUNCHED();
      return;
    }
    if (total > 0) {
      backward_kernel<T, k><<<grid_for(total), kBlock>>>(p, x, upstream, grad_x, nullptr);
      SPAIC_CUDA_LAUNCHED();
    }
    if (grad_alpha && p.n > 0) {
      alpha_columns_kernel<T, k><<<grid_for(p.n), kBlock>>>(p, x, upstream, grad_alpha);
      SPAIC_CUDA_LAUNCHED();
    }
  });
}

template void surrogate_forward<float>(const SurrogateCall<float>&, const float*, float*);
template void surrogate_forward<double>(const SurrogateCall<double>&, const double*, double*);
template void surrogate_backward<float>(const SurrogateCall<float>&, const float*, const float*, float*, float*);
template void surrogate_backward<double>(const SurrogateCall<double>&, const double*, const double*, double*, double*);

}  // namespace spaic::cuda

// cuda/block-sum.cuh - deterministic sums for the surrogate and neuron kernels: each block reduces its
// threads' double partials in shared memory, and one more block adds the per-block results in a fixed
// order (no atomics), so a sum is the same from run to run.
#pragma once

#include "cuda/common.cuh"
#include "spaic/device.h"

namespace spaic::cuda {

constexpr int kSumBlocks = 512;  // at most this many per-block partials

// Block-wide sum of v, returned to every thread. Needs a power-of-two blockDim.x <= kBlock (every
// launch in this file family uses kBlock); the fixed tree order makes the sum deterministic. The
// trailing barrier lets a kernel call it more than once (the shared buffer is reused).
__device__ inline double block_sum(double v) {
  __shared__ double sh[kBlock];
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  const double total = sh[0];
  __syncthreads();
  return total;
}

// out[0] = sum of partials[0..count) as T (one block).
template <typename T>
__global__ void sum_partials_kernel(const double* partials, int count, T* out) {
  double acc = 0;
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) out[0] = static_cast<T>(acc);
}

// Scratch for the per-block partials, from the caching allocator of the current device.
struct Partials {
  int dev = 0;
  double* ptr = nullptr;
  explicit Partials(int blocks) {
    SPAIC_CUDA_CHECK(cudaGetDevice(&dev));
    ptr = static_cast<double*>(gpu::alloc(dev, sizeof(double) * static_cast<std::size_t>(blocks)));
    bytes = sizeof(double) * static_cast<std::size_t>(blocks);
  }
  ~Partials() { gpu::release(dev, ptr, bytes); }
  Partials(const Partials&) = delete;
  Partials& operator=(const Partials&) = delete;

 private:
  std::size_t bytes = 0;
};

}  // namespace spaic::cuda

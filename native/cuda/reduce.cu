// cuda/reduce.cu - CUDA twin of cpu/reduce.cpp: one block per output row (inner == 1), or one thread
// per output column (inner > 1). Float sums accumulate in double, as on the CPU. reduce_stats: each of at
// most kStatsBlocks blocks summarises its grid-stride share, and one block merges the blocks' summaries in a
// fixed tree (no atomics): the counts, first index and max equal the CPU's, the sum is added in another order.
#include <algorithm>
#include <cstdint>

#include "cuda/common.cuh"
#include "spaic/math/reduce.h"
#include "spaic/ops.h"

namespace spaic::cuda {

namespace {

template <typename T>
__global__ void reduce_rows_kernel(ReduceParams p, const T* a, T* out) {
  using A = typename AccType<T>::type;
  __shared__ A sh[kBlock];
  const bool mm = p.op == ReduceOp::Max || p.op == ReduceOp::Min;
  for (i64 o = blockIdx.x; o < p.outer; o += gridDim.x) {
    const T* row = a + o * p.len;
    A acc = mm ? A(reduce_identity<T>(p.op)) : A(0);
    for (i64 i = threadIdx.x; i < p.len; i += blockDim.x) acc = reduce_combine<A>(p.op, acc, A(row[i]));
    sh[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) sh[threadIdx.x] = reduce_combine<A>(p.op, sh[threadIdx.x], sh[threadIdx.x + s]);
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      A v = sh[0];
      if (p.op == ReduceOp::Mean) v = p.len > 0 ? v / A(p.len) : A(0);
      out[o] = static_cast<T>(v);
    }
    __syncthreads();
  }
}

template <typename T>
__global__ void reduce_cols_kernel(ReduceParams p, const T* a, T* out) {
  using A = typename AccType<T>::type;
  const bool mm = p.op == ReduceOp::Max || p.op == ReduceOp::Min;
  SPAIC_GRID_STRIDE(idx, p.outer * p.inner) {
    const i64 o = idx / p.inner, j = idx % p.inner;
    const T* base = a + o * p.len * p.inner + j;
    A acc = mm ? A(reduce_identity<T>(p.op)) : A(0);
    for (i64 i = 0; i < p.len; ++i) acc = reduce_combine<A>(p.op, acc, A(base[i * p.inner]));
    if (p.op == ReduceOp::Mean) acc = p.len > 0 ? acc / A(p.len) : A(0);
    out[idx] = static_cast<T>(acc);
  }
}

constexpr int kStatsBlocks = 512;

// The block's summary of its threads' stats, in thread 0 (a fixed tree; blockDim.x a power of two <= kBlock).
__device__ ReduceStats block_stats(ReduceStats s) {
  __shared__ ReduceStats sh[kBlock];
  sh[threadIdx.x] = s;
  __syncthreads();
  for (int w = blockDim.x / 2; w > 0; w >>= 1) {
    if (threadIdx.x < w) sh[threadIdx.x] = stats_merge(sh[threadIdx.x], sh[threadIdx.x + w]);
    __syncthreads();
  }
  return sh[0];
}

template <typename T>
__global__ void stats_blocks_kernel(const T* a, i64 n, ReduceStats* part) {
  ReduceStats s = stats_identity();
  SPAIC_GRID_STRIDE(i, n) stats_add(s, a[i], i);
  s = block_stats(s);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

__global__ void stats_merge_kernel(const ReduceStats* part, int count, ReduceStats* out) {
  ReduceStats s = stats_identity();
  for (int i = threadIdx.x; i < count; i += blockDim.x) s = stats_merge(s, part[i]);
  s = block_stats(s);
  if (threadIdx.x == 0) out[0] = s;
}

}  // namespace

template <typename T>
ReduceStats reduce_stats(const T* a, i64 n) {
  ReduceStats h = stats_identity();
  if (n == 0) return h;
  const unsigned blocks = std::min<unsigned>(grid_for(n), kStatsBlocks);
  int dev = 0;
  SPAIC_CUDA_CHECK(cudaGetDevice(&dev));
  const std::size_t bytes = sizeof(ReduceStats) * (blocks + 1);
  auto* part = static_cast<ReduceStats*>(gpu::alloc(dev, bytes));
  try {
    stats_blocks_kernel<T><<<blocks, kBlock>>>(a, n, part);
    SPAIC_CUDA_LAUNCHED();
    stats_merge_kernel<<<1, kBlock>>>(part, static_cast<int>(blocks), part + blocks);
    SPAIC_CUDA_LAUNCHED();
    SPAIC_CUDA_READ_BACK(&h, part + blocks, sizeof(ReduceStats));
  } catch (...) {
    gpu::release(dev, part, bytes);
    throw;
  }
  gpu::release(dev, part, bytes);
  return h;
}

template ReduceStats reduce_stats<float>(const float*, i64);
template ReduceStats reduce_stats<double>(const double*, i64);

template <typename T>
void reduce(const ReduceParams& p, const T* a, T* out) {
  if (p.outer * p.inner == 0) return;
  if (p.inner == 1) {
    unsigned g = static_cast<unsigned>(p.outer < 65535 ? p.outer : 65535);
    reduce_rows_kernel<T><<<g, kBlock>>>(p, a, out);
  } else {
    reduce_cols_kernel<T><<<grid_for(p.outer * p.inner), kBlock>>>(p, a, out);
  }
  SPAIC_CUDA_LAUNCHED();
}

template void reduce<float>(const ReduceParams&, const float*, float*);
template void reduce<double>(const ReduceParams&, const double*, double*);
template void reduce<std::int32_t>(const ReduceParams&, const std::int32_t*, std::int32_t*);

}  // namespace spaic::cuda

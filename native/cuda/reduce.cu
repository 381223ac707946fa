// cuda/reduce.cu - CUDA twin of cpu/reduce.cpp: one block per output row (inner == 1), or one thread
// per output column (inner > 1). Float sums accumulate in double, as on the CPU.
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

}  // namespace

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

// cuda/elementwise.cu - CUDA twin of cpu/elementwise.cpp (transpose01 included); same maths
// (spaic/math/elementwise.h).
#include <cstdint>

#include "cuda/common.cuh"
#include "spaic/dispatch.h"
#include "spaic/ops.h"

namespace spaic::cuda {

namespace {

template <typename T, BinaryOp OP>
__global__ void binary_kernel(const T* a, const T* b, T* out, i64 n) {
  SPAIC_GRID_STRIDE(i, n) out[i] = apply_binary<T>(OP, a[i], b[i]);
}

template <typename T, BinaryOp OP>
__global__ void binary_bcast_kernel(const T* a, const T* b, T* out, i64 n, Broadcast bc) {
  SPAIC_GRID_STRIDE(i, n) {
    i64 oa, ob;
    broadcast_offsets(bc, i, &oa, &ob);
    out[i] = apply_binary<T>(OP, a[oa], b[ob]);
  }
}

template <typename T, BinaryOp OP, bool FIRST>
__global__ void binary_scalar_kernel(const T* a, T s, T* out, i64 n) {
  SPAIC_GRID_STRIDE(i, n) out[i] = FIRST ? apply_binary<T>(OP, s, a[i]) : apply_binary<T>(OP, a[i], s);
}

template <typename T, UnaryOp OP>
__global__ void unary_kernel(const T* a, T* out, i64 n) {
  SPAIC_GRID_STRIDE(i, n) out[i] = apply_unary<T>(OP, a[i]);
}

template <typename T>
__global__ void fill_kernel(T* out, T v, i64 n) {
  SPAIC_GRID_STRIDE(i, n) out[i] = v;
}

template <typename To, typename Ti>
__global__ void cast_kernel(const Ti* a, To* out, i64 n) {
  SPAIC_GRID_STRIDE(i, n) out[i] = convert<To, Ti>(a[i]);
}

// One thread per element of out ([d1, d0, inner]): writes coalesce, and so do reads along a row of `inner`.
template <typename T>
__global__ void transpose01_kernel(const T* a, T* out, i64 d0, i64 d1, i64 inner, i64 n) {
  SPAIC_GRID_STRIDE(o, n) {
    const i64 r = o / inner, k = o - r * inner;
    const i64 j = r / d0, i = r - j * d0;
    out[o] = a[(i * d1 + j) * inner + k];
  }
}

}  // namespace

template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, i64 n, const Broadcast* bc) {
  if (n == 0) return;
  with_binary_op(op, [&](auto OP) {
    if (bc) binary_bcast_kernel<T, decltype(OP)::value><<<grid_for(n), kBlock>>>(a, b, out, n, *bc);
    else binary_kernel<T, decltype(OP)::value><<<grid_for(n), kBlock>>>(a, b, out, n);
  });
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void binary_scalar(BinaryOp op, const T* a, T s, T* out, i64 n, bool scalar_first) {
  if (n == 0) return;
  with_binary_op(op, [&](auto OP) {
    if (scalar_first) binary_scalar_kernel<T, decltype(OP)::value, true><<<grid_for(n), kBlock>>>(a, s, out, n);
    else binary_scalar_kernel<T, decltype(OP)::value, false><<<grid_for(n), kBlock>>>(a, s, out, n);
  });
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void unary(UnaryOp op, const T* a, T* out, i64 n) {
  if (n == 0) return;
  with_unary_op(op, [&](auto OP) { unary_kernel<T, decltype(OP)::value><<<grid_for(n), kBlock>>>(a, out, n); });
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void fill(T* out, T value, i64 n) {
  if (n == 0) return;
  fill_kernel<T><<<grid_for(n), kBlock>>>(out, value, n);
  SPAIC_CUDA_LAUNCHED();
}

template <typename To, typename Ti>
void cast(const Ti* a, To* out, i64 n) {
  if (n == 0) return;
  cast_kernel<To, Ti><<<grid_for(n), kBlock>>>(a, out, n);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void transpose01(const T* a, T* out, i64 d0, i64 d1, i64 inner) {
  const i64 n = d0 * d1 * inner;
  if (n == 0) return;
  transpose01_kernel<T><<<grid_for(n), kBlock>>>(a, out, d0, d1, inner, n);
  SPAIC_CUDA_LAUNCHED();
}

SPAIC_INSTANTIATE_ELEMENTWISE_OPS

}  // namespace spaic::cuda

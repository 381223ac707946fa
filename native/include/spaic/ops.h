// spaic/ops.h - the backend-neutral kernel API.
//
// Every op family has a CPU implementation in cpu/<stem>.cpp and a CUDA twin in cuda/<stem>.cu with the
// same signature in namespace spaic::cpu / spaic::cuda. Kernels take raw pointers, sizes and a params
// struct; they never see N-API. Pointers point into memory of the backend being called.
// Dimension letters: T time steps, B batch, N neurons, S synapses (see common.h).
#pragma once

#include <cstdint>
#include <string>

#include "spaic/common.h"
#include "spaic/math/elementwise.h"
#include "spaic/math/reduce.h"

namespace spaic {

// C[M,N] = alpha * op(A) * op(B) + beta * C, row-major. op(A) is [M,K]: A is [M,K] (lda >= K) or,
// transposed, [K,M] (lda >= M). Likewise op(B) is [K,N].
struct GemmParams {
  bool trans_a = false, trans_b = false;
  i64 m = 0, n = 0, k = 0;
  i64 lda = 0, ldb = 0, ldc = 0;
  double alpha = 1.0, beta = 0.0;
};

// Reduce a [outer, len, inner] view along the middle axis to [outer, inner].
struct ReduceParams {
  ReduceOp op = ReduceOp::Sum;
  i64 outer = 1, len = 1, inner = 1;
};

// reduce_stats: the summary of a[0..n) (spaic/math/reduce.h, ReduceStats); on CUDA it waits for the device
// and reads the summary back. transpose01: out[j, i, :] = a[i, j, :] for a [d0, d1, inner] view (out is
// [d1, d0, inner]), a copy of any dtype.
#define SPAIC_DECLARE_BACKEND_OPS                                                       \
  template <typename T>                                                                 \
  void binary(BinaryOp op, const T* a, const T* b, T* out, i64 n, const Broadcast* bc); \
  template <typename T>                                                                 \
  void binary_scalar(BinaryOp op, const T* a, T s, T* out, i64 n, bool scalar_first);   \
  template <typename T>                                                                 \
  void unary(UnaryOp op, const T* a, T* out, i64 n);                                    \
  template <typename T>                                                                 \
  void fill(T* out, T value, i64 n);                                                    \
  template <typename T>                                                                 \
  void reduce(const ReduceParams& p, const T* a, T* out);                               \
  template <typename T>                                                                 \
  ReduceStats reduce_stats(const T* a, i64 n);                                          \
  template <typename T>                                                                 \
  void transpose01(const T* a, T* out, i64 d0, i64 d1, i64 inner);                      \
  template <typename T>                                                                 \
  void gemm(const GemmParams& p, const T* a, const T* b, T* c);                         \
  template <typename To, typename Ti>                                                   \
  void cast(const Ti* a, To* out, i64 n);

// The explicit instantiations of the elementwise templates above (cpu/elementwise.cpp and
// cuda/elementwise.cu expand it once each).
#define SPAIC_INSTANTIATE_ELEMENTWISE_FOR(T)                                        \
  template void binary<T>(BinaryOp, const T*, const T*, T*, i64, const Broadcast*); \
  template void binary_scalar<T>(BinaryOp, const T*, T, T*, i64, bool);             \
  template void unary<T>(UnaryOp, const T*, T*, i64);                               \
  template void fill<T>(T*, T, i64);
#define SPAIC_INSTANTIATE_CAST_FROM(Ti)                                \
  template void cast<float, Ti>(const Ti*, float*, i64);               \
  template void cast<double, Ti>(const Ti*, double*, i64);             \
  template void cast<std::int32_t, Ti>(const Ti*, std::int32_t*, i64); \
  template void cast<std::uint8_t, Ti>(const Ti*, std::uint8_t*, i64);
#define SPAIC_INSTANTIATE_TRANSPOSE01(T) template void transpose01<T>(const T*, T*, i64, i64, i64);
#define SPAIC_INSTANTIATE_ELEMENTWISE_OPS                             \
  SPAIC_INSTANTIATE_ELEMENTWISE_FOR(float)                            \
  SPAIC_INSTANTIATE_ELEMENTWISE_FOR(double)                           \
  SPAIC_INSTANTIATE_ELEMENTWISE_FOR(std::int32_t)                     \
  template void fill<std::uint8_t>(std::uint8_t*, std::uint8_t, i64); \
  SPAIC_INSTANTIATE_TRANSPOSE01(float)                                \
  SPAIC_INSTANTIATE_TRANSPOSE01(double)                               \
  SPAIC_INSTANTIATE_TRANSPOSE01(std::int32_t)                         \
  SPAIC_INSTANTIATE_TRANSPOSE01(std::uint8_t)                         \
  SPAIC_INSTANTIATE_CAST_FROM(float)                                  \
  SPAIC_INSTANTIATE_CAST_FROM(double)                                 \
  SPAIC_INSTANTIATE_CAST_FROM(std::int32_t)                           \
  SPAIC_INSTANTIATE_CAST_FROM(std::uint8_t)

namespace cpu {
SPAIC_DECLARE_BACKEND_OPS
// The built-in GEMM, always compiled. `gemm` takes a narrow-product path of its own for an inner dimension
// of a few values (cpu/gemm.cpp), else BLAS when the addon has one, else the built-in kernel; `gemm_blas` is
// the BLAS alone (have_blas() must hold).
template <typename T>
void gemm_builtin(const GemmParams& p, const T* a, const T* b, T* c);
template <typename T>
void gemm_blas(const GemmParams& p, const T* a, const T* b, T* c);
bool have_blas();
std::string blas_name();
int num_threads();
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_BACKEND_OPS
}  // namespace cuda

}  // namespace spaic

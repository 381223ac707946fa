// cuda/gemm.cu - CUDA twin of cpu/gemm.cpp (C = alpha*op(A)*op(B) + beta*C, row-major).
//
// cuBLAS is not part of the toolkit this package links, so this is a self-contained tiled kernel:
// a 64x64 output tile per 256-thread block, 16-deep k slices staged through shared memory, and a 4x4
// register tile per thread. Accumulation is in T (float or double).
#include "cuda/common.cuh"
#include "cuda/gemm.cuh"
#include "spaic/ops.h"

namespace spaic::cuda {

namespace {

constexpr int BM = 64, BN = 64, BK = 16, TM = 4, TN = 4;

template <typename T>
__global__ void __launch_bounds__(256) gemm_kernel(GemmParams p, const T* __restrict__ a, const T* __restrict__ b,
                                                   T* __restrict__ c, i64 row_base, i64 sa, i64 sb, i64 sc) {
  // blockIdx.z picks one product of a strided batch (0 strides: the same operand for all)
  a += blockIdx.z * sa;
  b += blockIdx.z * sb;
  c += blockIdx.z * sc;
  __shared__ T as[BK][BM + 1];
  __shared__ T bs[BK][BN + 1];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const i64 row0 = row_base + blockIdx.y * (i64)BM, col0 = blockIdx.x * (i64)BN;
  T acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = T(0);

  for (i64 k0 = 0; k0 < p.k; k0 += BK) {
    // Each of the 256 threads loads 4 elements of the A tile (BM x BK) and 4 of the B tile (BK x BN).
    for (int l = threadIdx.x; l < BM * BK; l += 256) {
      const int r = l / BK, kk = l % BK;
      const i64 gi = row0 + r, gk = k0 + kk;
      T v = T(0);
      if (gi < p.m && gk < p.k) v = p.trans_a ? a[gk * p.lda + gi] : a[gi * p.lda + gk];
      as[kk][r] = v;
    }
    for (int l = threadIdx.x; l < BK * BN; l += 256) {
      const int kk = l / BN, cc = l % BN;
      const i64 gk = k0 + kk, gj = col0 + cc;
      T v = T(0);
      if (gk < p.k && gj < p.n) v = p.trans_b ? b[gj * p.ldb + gk] : b[gk * p.ldb + gj];
      bs[kk][cc] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      T ar[TM], br[TN];
#pragma unroll
      for (int i = 0; i < TM; ++i) ar[i] = as[kk][ty * TM + i];
#pragma unroll
      for (int j = 0; j < TN; ++j) br[j] = bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) acc[i][j] += ar[i] * br[j];
    }
    __syncthreads();
  }
  const T alpha = static_cast<T>(p.alpha), beta = static_cast<T>(p.beta);
#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const i64 gi = row0 + ty * TM + i;
    if (gi >= p.m) continue;
#pragma unroll
    for (int j = 0; j < TN; ++j) {
      const i64 gj = col0 + tx + 16 * j;
      if (gj >= p.n) continue;
      T* dst = c + gi * p.ldc + gj;
      *dst = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *dst;
    }
  }
}

}  // namespace

template <typename T>
void gemm_batched(const GemmParams& p, const T* a, i64 sa, const T* b, i64 sb, T* c, i64 sc, i64 count) {
  if (p.m == 0 || p.n == 0 || count == 0) return;
  // grid.y is limited to 65535 blocks (4,194,240 rows of 64): taller products run as several launches
  // over consecutive row ranges (m = T*B rows of a spike product reaches that); grid.z likewise for
  // the batch.
  constexpr i64 kMaxBlocks = 65535;
  const i64 row_blocks = ceil_div(p.m, BM);
  for (i64 z0 = 0; z0 < count; z0 += kMaxBlocks) {
    const i64 nz = count - z0 < kMaxBlocks ? count - z0 : kMaxBlocks;
    for (i64 first = 0; first < row_blocks; first += kMaxBlocks) {
      const i64 blocks = row_blocks - first < kMaxBlocks ? row_blocks - first : kMaxBlocks;
      dim3 grid(static_cast<unsigned>(ceil_div(p.n, BN)), static_cast<unsigned>(blocks), static_cast<unsigned>(nz));
      gemm_kernel<T><<<grid, 256>>>(p, a + z0 * sa, b + z0 * sb, c + z0 * sc, first * BM, sa, sb, sc);
      SPAIC_CUDA_LAUNCHED();
    }
  }
}

template <typename T>
void gemm(const GemmParams& p, const T* a, const T* b, T* c) {
  gemm_batched<T>(p, a, 0, b, 0, c, 0, 1);
}

template void gemm<float>(const GemmParams&, const float*, const float*, float*);
template void gemm<double>(const GemmParams&, const double*, const double*, double*);
template void gemm_batched<float>(const GemmParams&, const float*, i64, const float*, i64, float*, i64, i64);
template void gemm_batched<double>(const GemmParams&, const double*, i64, const double*, i64, double*, i64, i64);

}  // namespace spaic::cuda

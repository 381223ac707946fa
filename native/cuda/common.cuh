// cuda/common.cuh - launch helpers and the error check used by every .cu file.
#pragma once

#include <cuda_runtime.h>

#include "spaic/common.h"
#include "spaic/error.h"

// Throws a DeviceError naming the call, file and line. Never aborts.
#define SPAIC_CUDA_CHECK(stmt)                                                                              \
  do {                                                                                                      \
    cudaError_t spaic_err_ = (stmt);                                                                        \
    if (spaic_err_ != cudaSuccess) {                                                                        \
      cudaGetLastError();                                                                                   \
      SPAIC_FAIL(Device, "device", "CUDA error ", cudaGetErrorName(spaic_err_), " (", cudaGetErrorString(spaic_err_), \
                 ") in ", #stmt, " at ", __FILE__, ":", __LINE__);                                          \
    }                                                                                                       \
  } while (0)

// After a kernel launch: report launch-configuration errors at the launch site.
#define SPAIC_CUDA_LAUNCHED() SPAIC_CUDA_CHECK(cudaGetLastError())

namespace spaic::cuda {

constexpr int kBlock = 256;

inline unsigned grid_for(i64 n, int block = kBlock) {
  i64 g = ceil_div(n, block);
  if (g > 65535LL * 32) g = 65535LL * 32;  // grid-stride loops cover the rest
  if (g < 1) g = 1;
  return static_cast<unsigned>(g);
}

#define SPAIC_GRID_STRIDE(i, n) \
  for (::spaic::i64 i = blockIdx.x * (::spaic::i64)blockDim.x + threadIdx.x; i < (n); i += (::spaic::i64)blockDim.x * gridDim.x)

}  // namespace spaic::cuda

// cuda/common.cuh - launch helpers and the error check used by every .cu file.
#pragma once

#include <cuda_runtime.h>

#include "spaic/common.h"
#include "spaic/error.h"

#include "spaic/device.h"

// Throws a DeviceError naming the call, file and line. Never aborts. A sticky error (one that kills the
// context) also marks the device unusable for every later call (spaic/device.h note_error).
#define SPAIC_CUDA_CHECK(stmt)                                                                                        \
  do {                                                                                                                \
    cudaError_t spaic_err_ = (stmt);                                                                                  \
    if (spaic_err_ != cudaSuccess) {                                                                                  \
      cudaGetLastError();                                                                                             \
      ::spaic::gpu::note_error(static_cast<int>(spaic_err_), #stmt, __FILE__, __LINE__);                              \
      SPAIC_FAIL(Device, "device", "CUDA error ", cudaGetErrorName(spaic_err_), " (", cudaGetErrorString(spaic_err_), \
                 ") in ", #stmt, " at ", __FILE__, ":", __LINE__);                                                    \
    }                                                                                                                 \
  } while (0)

// A device-to-host read the host waits for (counted: the step executor reports host syncs per step).
#define SPAIC_CUDA_READ_BACK(dst, src, bytes)                                    \
  do {                                                                           \
    ::spaic::gpu::note_host_sync();                                              \
    SPAIC_CUDA_CHECK(cudaMemcpy((dst), (src), (bytes), cudaMemcpyDeviceToHost)); \
  } while (0)

// After a kernel launch: report launch-configuration errors at the launch site. With SPAIC_CUDA_SYNC=1
// it also waits for the kernel, so a fault is reported by the function that launched it.
#define SPAIC_CUDA_LAUNCHED()                                                                                          \
  do {                                                                                                                 \
    ::spaic::gpu::note_launch();                                                                                       \
    SPAIC_CUDA_CHECK(cudaGetLastError());                                                                              \
    if (::spaic::gpu::sync_launches()) {                                                                               \
      cudaError_t spaic_sync_err_ = cudaDeviceSynchronize();                                                           \
      if (spaic_sync_err_ != cudaSuccess) {                                                                            \
        cudaGetLastError();                                                                                            \
        ::spaic::gpu::note_error(static_cast<int>(spaic_sync_err_), __func__, __FILE__, __LINE__);                     \
        SPAIC_FAIL(Device, "device", "CUDA error ", cudaGetErrorName(spaic_sync_err_), " (",                           \
                   cudaGetErrorString(spaic_sync_err_), ") in a kernel launched by ", __func__, " at ", __FILE__, ":", \
                   __LINE__);                                                                                          \
      }                                                                                                                \
    }                                                                                                                  \
  } while (0)

namespace spaic::cuda {

constexpr int kBlock = 256;

inline unsigned grid_for(i64 n, int block = kBlock) {
  i64 g = ceil_div(n, block);
  if (g > 65535LL * 32) g = 65535LL * 32;  // grid-stride loops cover the rest
  if (g < 1) g = 1;
  return static_cast<unsigned>(g);
}

#define SPAIC_GRID_STRIDE(i, n)                                                       \
  for (::spaic::i64 i = blockIdx.x * (::spaic::i64)blockDim.x + threadIdx.x; i < (n); \
       i += (::spaic::i64)blockDim.x * gridDim.x)

}  // namespace spaic::cuda

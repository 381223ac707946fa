// spaic/device.h - the CUDA runtime surface the rest of native/ uses.
//
// Implemented by cuda/device.cu when the addon is built with CUDA, and by core/cuda-absent.cpp
// otherwise (every call then throws a DeviceError that says CUDA was not compiled in).
// Device memory comes from a caching allocator over cudaMalloc, never managed memory.
#pragma once

#include <cstddef>
#include <string>

namespace spaic::gpu {

struct Info {
  bool compiled = false;   // built with CUDA
  int device_count = 0;    // devices usable at run time
  int status = 0;          // cudaError_t of the probe (0 = fine)
  std::string message;     // why CUDA is unavailable, quoting the runtime/driver
  int runtime_version = 0;
  int driver_version = 0;
};

Info probe();
std::string device_name(int dev);

void* alloc(int dev, std::size_t bytes);
void release(int dev, void* ptr, std::size_t bytes);
void empty_cache();
std::size_t bytes_in_use();
std::size_t bytes_cached();

void copy_h2d(int dev, void* dst, const void* src, std::size_t bytes);
void copy_d2h(int dev, void* dst, const void* src, std::size_t bytes);
void copy_d2d(int dev, void* dst, const void* src, std::size_t bytes);
void memset0(int dev, void* dst, std::size_t bytes);
void synchronize(int dev);
void set_current(int dev);  // cudaSetDevice before launching kernels

}  // namespace spaic::gpu

// spaic/device.h - the CUDA runtime surface the rest of native/ uses.
//
// Implemented by cuda/device.cu when the addon is built with CUDA, and by core/cuda-absent.cpp
// otherwise (every call then throws a DeviceError that says CUDA was not compiled in).
// Device memory comes from a caching allocator over cudaMalloc, never managed memory.
#pragma once

#include <cstddef>
#include <map>
#include <string>

namespace spaic::gpu {

struct Info {
  bool compiled = false;  // built with CUDA
  int device_count = 0;   // devices usable at run time
  int status = 0;         // cudaError_t of the probe (0 = fine)
  std::string message;    // why CUDA is unavailable, quoting the runtime/driver
  int runtime_version = 0;
  int driver_version = 0;
  std::map<int, std::string> unusable;  // devices lost to a sticky error, with its first cause
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

// Error bookkeeping for cuda/common.cuh: records a sticky error (cudaError_t `err`) against the current
// device, which is then unusable; and whether SPAIC_CUDA_SYNC=1 asks every launch to synchronise.
void note_error(int err, const char* what, const char* file, int line);
bool sync_launches();

// Work counters of this process (all devices): kernel launches, and host syncs (a device-to-host copy
// or a wait for the device). The step executor reports them per step; CUDA-less builds count nothing.
struct Counters {
  unsigned long long launches = 0;
  unsigned long long host_syncs = 0;
};
Counters counters();
void note_launch();
void note_host_sync();

// For the GPU check only: launches a kernel that writes through a null pointer on `dev`, so that the
// sticky-error handling can be exercised (the device is unusable afterwards). Refused unless the
// environment variable SPAIC_ALLOW_CUDA_FAULT=1 is set.
void debug_fault(int dev);

}  // namespace spaic::gpu

// cuda/device.cu - device probe, the caching allocator and copies (CPU twin: core/tensor.cpp's host path).
//
// The allocator keeps freed blocks in per-device free lists keyed by rounded size and hands them out
// again, so training loops do not pay cudaMalloc/cudaFree per step. Sizes round up to 512 B below 1 MiB
// and to 2 MiB above. On an out-of-memory error the cache is emptied and the allocation retried once.
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cuda/common.cuh"
#include "spaic/device.h"

namespace spaic::gpu {

namespace {

struct Pool {
  std::mutex mu;
  std::map<int, std::multimap<std::size_t, void*>> free_blocks;  // per device
  std::size_t in_use = 0, cached = 0;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: blocks may be released during process teardown
  return *p;
}

std::size_t round_size(std::size_t n) {
  if (n < (1u << 20)) return (n + 511) / 512 * 512;
  const std::size_t mb2 = 2u << 20;
  return (n + mb2 - 1) / mb2 * mb2;
}

void set_device(int dev) { SPAIC_CUDA_CHECK(cudaSetDevice(dev)); }

}  // namespace

Info probe() {
  Info info;
  info.compiled = true;
  cudaRuntimeGetVersion(&info.runtime_version);
  cudaDriverGetVersion(&info.driver_version);
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    info.status = static_cast<int>(e);
    info.device_count = 0;
    info.message = std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
    if (e == cudaErrorInsufficientDriver && info.driver_version == 0) info.message += " (no NVIDIA driver found)";
    return info;
  }
  info.device_count = count;
  if (count == 0) info.message = "no CUDA device found";
  return info;
}

std::string device_name(int dev) {
  cudaDeviceProp prop;
  SPAIC_CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  return prop.name;
}

void* alloc(int dev, std::size_t bytes) {
  const std::size_t size = round_size(bytes);
  Pool& p = pool();
  {
    std::lock_guard<std::mutex> lock(p.mu);
    auto& fl = p.free_blocks[dev];
    auto it = fl.lower_bound(size);
    if (it != fl.end() && it->first <= size + size / 4 + 512) {  // reuse blocks up to 25% larger
      void* ptr = it->second;
      p.cached -= it->first;
      p.in_use += it->first;
      fl.erase(it);
      return ptr;
    }
  }
  set_device(dev);
  void* ptr = nullptr;
  cudaError_t e = cudaMalloc(&ptr, size);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    empty_cache();
    set_device(dev);
    e = cudaMalloc(&ptr, size);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    SPAIC_FAIL(Device, "device", "cudaMalloc of ", bytes, " bytes on cuda:", dev, " failed: ", cudaGetErrorName(e), " (",
               cudaGetErrorString(e), ")");
  }
  std::lock_guard<std::mutex> lock(p.mu);
  p.in_use += size;
  return ptr;
}

void release(int dev, void* ptr, std::size_t bytes) {
  if (!ptr) return;
  const std::size_t size = round_size(bytes);
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  p.free_blocks[dev].emplace(size, ptr);
  p.in_use -= size;
  p.cached += size;
}

void empty_cache() {
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  for (auto& [dev, fl] : p.free_blocks) {
    if (fl.empty()) continue;
    cudaSetDevice(dev);
    cudaDeviceSynchronize();
    for (auto& [size, ptr] : fl) cudaFree(ptr);
    fl.clear();
  }
  p.cached = 0;
}

std::size_t bytes_in_use() { return pool().in_use; }
std::size_t bytes_cached() { return pool().cached; }

void copy_h2d(int dev, void* dst, const void* src, std::size_t bytes) {
  set_device(dev);
  SPAIC_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void copy_d2h(int dev, void* dst, const void* src, std::size_t bytes) {
  set_device(dev);
  SPAIC_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
}
void copy_d2d(int dev, void* dst, const void* src, std::size_t bytes) {
  set_device(dev);
  SPAIC_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice));
}
void memset0(int dev, void* dst, std::size_t bytes) {
  set_device(dev);
  SPAIC_CUDA_CHECK(cudaMemset(dst, 0, bytes));
}
void synchronize(int dev) {
  set_device(dev);
  SPAIC_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace spaic::gpu

namespace spaic::gpu {
void set_current(int dev) { set_device(dev); }
}  // namespace spaic::gpu

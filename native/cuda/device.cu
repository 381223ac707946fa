// cuda/device.cu - device probe, the caching allocator and copies (CPU twin: core/tensor.cpp's host path).
//
// The allocator keeps freed blocks in per-device free lists keyed by rounded size and hands them out
// again, so training loops do not pay cudaMalloc/cudaFree per step. Sizes round up to 512 B below 1 MiB
// and to 2 MiB above. On an out-of-memory error the cache is emptied and the allocation retried once.
// Every live block's true size is recorded by pointer: a request served by a larger cached block is
// accounted (and filed again on release) at the block's size, so the counters stay exact.
//
// Reuse assumes one stream: all work runs on the legacy default stream, so a block released by a call
// can be handed to the next call's kernels in stream order. If streams are ever added, blocks must be
// tagged with the stream that last used them.
//
// Sticky errors (a kernel fault that kills the context) mark the device unusable: every later call on
// it throws a DeviceError quoting the first error, and backends() reports it. SPAIC_CUDA_SYNC=1 makes
// every launch synchronise and name the function that launched it (for debugging).
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cuda/common.cuh"
#include "spaic/device.h"

namespace spaic::gpu {

namespace {

struct Pool {
  std::mutex mu;
  std::map<int, std::multimap<std::size_t, void*>> free_blocks;  // per device
  std::unordered_map<void*, std::size_t> live;                   // every handed-out block's true size
  std::size_t in_use = 0, cached = 0;
  std::map<int, std::string> broken;  // devices lost to a sticky error
};

std::atomic<unsigned long long> g_launches{0}, g_host_syncs{0};
std::atomic<bool> g_any_broken{false};  // fast path: no device has been lost
thread_local int t_current = -1;        // the device this host thread last selected

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: blocks may be released during process teardown
  return *p;
}

std::size_t round_size(std::size_t n) {
  if (n < (1u << 20)) return (n + 511) / 512 * 512;
  const std::size_t mb2 = 2u << 20;
  return (n + mb2 - 1) / mb2 * mb2;
}

// The errors after which the context is unusable (cudaGetLastError cannot clear them).
bool is_sticky(cudaError_t e) {
  switch (e) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorECCUncorrectable:
    case cudaErrorLaunchTimeout:
    case cudaErrorContextIsDestroyed:
    case cudaErrorDevicesUnavailable: return true;
    default: return false;
  }
}

void check_usable(int dev) {
  if (!g_any_broken.load(std::memory_order_acquire)) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  auto it = p.broken.find(dev);
  if (it != p.broken.end()) {
    SPAIC_FAIL(Device, "device", "cuda:", dev, " is unusable after an earlier fatal error (", it->second,
               "); restart the process to use it again");
  }
}

// Selects `dev` for this host thread; a no-op when it is selected already (the step executor calls it
// before every op).
void set_device(int dev) {
  check_usable(dev);
  if (t_current == dev) return;
  SPAIC_CUDA_CHECK(cudaSetDevice(dev));
  t_current = dev;
}

}  // namespace

void note_error(int err, const char* what, const char* file, int line) {
  const cudaError_t e = static_cast<cudaError_t>(err);
  if (!is_sticky(e)) return;
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess) dev = 0;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  if (p.broken.count(dev)) return;  // keep the first cause
  g_any_broken.store(true);
  p.broken[dev] = std::string(cudaGetErrorName(e)) + " in " + what + " at " + file + ":" + std::to_string(line);
}

Counters counters() {
  Counters c;
  c.launches = g_launches.load(std::memory_order_relaxed);
  c.host_syncs = g_host_syncs.load(std::memory_order_relaxed);
  return c;
}
void note_launch() { g_launches.fetch_add(1, std::memory_order_relaxed); }
void note_host_sync() { g_host_syncs.fetch_add(1, std::memory_order_relaxed); }

namespace {
__global__ void fault_kernel(int* p) { *p = 1; }
}  // namespace

void debug_fault(int dev) {
  const char* allow = std::getenv("SPAIC_ALLOW_CUDA_FAULT");
  SPAIC_CHECK(allow != nullptr && std::string(allow) == "1", State, "device",
              "debugCudaFault destroys the device's context: set SPAIC_ALLOW_CUDA_FAULT=1 to run it");
  set_device(dev);
  fault_kernel<<<1, 1>>>(nullptr);
  SPAIC_CUDA_CHECK(cudaGetLastError());
  SPAIC_CUDA_CHECK(cudaDeviceSynchronize());  // the fault surfaces here, as a sticky error
}

bool sync_launches() {
  static const bool on = [] {
    const char* v = std::getenv("SPAIC_CUDA_SYNC");
    return v != nullptr && v[0] != '\0' && std::string(v) != "0";
  }();
  return on;
}

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
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  for (const auto& [dev, why] : p.broken) {
    if (dev >= 0 && dev < count) info.unusable[dev] = why;
  }
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
  check_usable(dev);
  {
    std::lock_guard<std::mutex> lock(p.mu);
    auto& fl = p.free_blocks[dev];
    auto it = fl.lower_bound(size);
    if (it != fl.end() && it->first <= size + size / 4 + 512) {  // reuse blocks up to 25% larger
      void* ptr = it->second;
      const std::size_t block = it->first;
      p.cached -= block;
      p.in_use += block;
      p.live[ptr] = block;
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
    SPAIC_FAIL(Device, "device", "cudaMalloc of ", bytes, " bytes on cuda:", dev, " failed: ", cudaGetErrorName(e),
               " (", cudaGetErrorString(e), ")");
  }
  std::lock_guard<std::mutex> lock(p.mu);
  p.in_use += size;
  p.live[ptr] = size;
  return ptr;
}

void release(int dev, void* ptr, std::size_t bytes) {
  if (!ptr) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mu);
  (void)bytes;  // the block's true size is the recorded one
  auto it = p.live.find(ptr);
  // A pointer this allocator never handed out cannot be filed (its size is unknown): leave it alone.
  if (it == p.live.end()) return;
  const std::size_t size = it->second;
  p.live.erase(it);
  if (p.broken.count(dev)) {  // a lost context: its memory is gone with it
    p.in_use -= size;
    return;
  }
  p.free_blocks[dev].emplace(size, ptr);
  p.in_use -= size;
  p.cached += size;
}

void empty_cache() {
  Pool& p = pool();
  std::string first_error;
  {
    std::lock_guard<std::mutex> lock(p.mu);
    for (auto& [dev, fl] : p.free_blocks) {
      if (fl.empty()) continue;
      cudaError_t e = cudaSetDevice(dev);
      t_current = -1;  // selected behind set_device's back
      if (e == cudaSuccess) e = cudaDeviceSynchronize();
      for (auto& [size, ptr] : fl) {
        const cudaError_t f = cudaFree(ptr);
        if (e == cudaSuccess) e = f;
        p.cached -= size;
      }
      fl.clear();
      if (e != cudaSuccess && first_error.empty()) {
        cudaGetLastError();
        first_error =
            std::string(cudaGetErrorName(e)) + " (" + cudaGetErrorString(e) + ") on cuda:" + std::to_string(dev);
        if (is_sticky(e) && !p.broken.count(dev)) {
          p.broken[dev] = std::string(cudaGetErrorName(e)) + " in empty_cache";
          g_any_broken.store(true);
        }
      }
    }
  }
  if (!first_error.empty()) SPAIC_FAIL(Device, "device", "emptying the CUDA cache failed: ", first_error);
}

std::size_t bytes_in_use() { return pool().in_use; }
std::size_t bytes_cached() { return pool().cached; }

void copy_h2d(int dev, void* dst, const void* src, std::size_t bytes) {
  set_device(dev);
  SPAIC_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
}
void copy_d2h(int dev, void* dst, const void* src, std::size_t bytes) {
  set_device(dev);
  note_host_sync();
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
  note_host_sync();
  SPAIC_CUDA_CHECK(cudaDeviceSynchronize());
}

}  // namespace spaic::gpu

namespace spaic::gpu {
void set_current(int dev) { set_device(dev); }
}  // namespace spaic::gpu

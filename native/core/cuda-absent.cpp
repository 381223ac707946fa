// core/cuda-absent.cpp - compiled instead of cuda/*.cu when the addon is built without CUDA.
// probe() explains why; every other call throws a DeviceError (callers check first, so these are
// a last line of defence, never a silent CPU fallback).
#include <string>

#include "spaic/device.h"
#include "spaic/error.h"
#include "spaic/ops.h"

namespace spaic::gpu {

static const char* kWhy = "built without CUDA (nvcc was not found, or SPAIC_CUDA=OFF, when the addon was compiled)";

Info probe() {
  Info i;
  i.compiled = false;
  i.message = kWhy;
  return i;
}
[[noreturn]] static void absent() { SPAIC_FAIL(Device, "device", "CUDA is not available: ", kWhy); }
std::string device_name(int) { absent(); }
void* alloc(int, std::size_t) { absent(); }
void release(int, void*, std::size_t) {}
void empty_cache() {}
std::size_t bytes_in_use() { return 0; }
std::size_t bytes_cached() { return 0; }
void copy_h2d(int, void*, const void*, std::size_t) { absent(); }
void copy_d2h(int, void*, const void*, std::size_t) { absent(); }
void copy_d2d(int, void*, const void*, std::size_t) { absent(); }
void memset0(int, void*, std::size_t) { absent(); }
void synchronize(int) { absent(); }
void set_current(int) { absent(); }
void note_error(int, const char*, const char*, int) {}
bool sync_launches() { return false; }
Counters counters() { return Counters{}; }
void note_launch() {}
void note_host_sync() {}
void debug_fault(int) { absent(); }

}  // namespace spaic::gpu

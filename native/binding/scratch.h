// binding/scratch.h - reusable host scratch for CPU kernels (event lists, im2col columns, widened spikes).
//
// Each thread that runs kernels (the JS thread for sync calls, a pool thread for async ones) keeps one
// 64-byte aligned buffer that grows to the largest request and is then reused, so a per-step call does
// not pay an allocation and fresh page faults every time. Device kernels get a Tensor instead.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

#include "spaic/error.h"

namespace spaic::binding {

inline void* host_scratch(std::size_t bytes) {
  struct Buf {
    void* p = nullptr;
    std::size_t n = 0;
    ~Buf() { std::free(p); }
  };
  thread_local Buf buf;
  if (bytes > buf.n) {
    const std::size_t rounded = (bytes + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    if (!p) SPAIC_FAIL(Device, "", "out of host memory allocating ", bytes, " bytes of scratch");
    std::free(buf.p);
    buf.p = p;
    buf.n = rounded;
  }
  return buf.p;
}

}  // namespace spaic::binding

// core/tensor.cpp - device buffers. Host memory is 64-byte aligned; device memory comes from the
// caching allocator in cuda/device.cu.
#include "spaic/tensor.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>

#include "spaic/device.h"
#include "spaic/error.h"

namespace spaic {

namespace {

std::string shape_string(const std::vector<i64>& s) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ']';
  return os.str();
}

}  // namespace

// Physical memory of this machine (0 where unknown). A host buffer larger than that can only end with the
// kernel's out-of-memory killer taking the process once its pages are touched (allocations themselves
// succeed under overcommit), so it is refused up front as a typed error.
static std::size_t physical_memory() {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGE_SIZE)
  static const std::size_t total = [] {
    const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && size > 0 ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(size) : std::size_t(0);
  }();
  return total;
#else
  return 0;
#endif
}

Storage::Storage(Device dev, std::size_t bytes) : bytes_(bytes), dev_(dev) {
  if (bytes == 0) return;
  if (dev.is_cpu()) {
    const std::size_t ram = physical_memory();
    SPAIC_CHECK(ram == 0 || bytes <= ram, Device, "", "out of host memory: a buffer of ", bytes,
                " bytes is more than this machine's ", ram, " bytes of memory");
    std::size_t rounded = (bytes + 63) / 64 * 64;
    ptr_ = std::aligned_alloc(64, rounded);
    if (!ptr_) SPAIC_FAIL(Device, "", "out of host memory allocating ", bytes, " bytes");
  } else {
    ptr_ = gpu::alloc(dev.index, bytes);
  }
}

Storage::~Storage() {
  if (!ptr_) return;
  if (dev_.is_cpu()) {
    std::free(ptr_);
  } else {
    try {
      gpu::release(dev_.index, ptr_, bytes_);
    } catch (...) {
      // A destructor must not throw; the allocator already reported the failure where it could.
    }
  }
}

i64 checked_numel(const std::vector<i64>& shape, std::size_t elem_bytes, const char* param) {
  i64 n = 1;
  bool zero = false;
  for (i64 d : shape) {
    SPAIC_CHECK(d >= 0, Shape, param, "dimensions must be >= 0, got ", d);
    if (d == 0) zero = true;
  }
  if (zero) return 0;
  const i64 limit = kMaxTensorBytes / static_cast<i64>(elem_bytes == 0 ? 1 : elem_bytes);
  for (i64 d : shape) {
    // n * d <= limit without computing the product first.
    SPAIC_CHECK(n <= limit / d, Shape, param, "a tensor of shape ", shape_string(shape), " would need more than ",
                kMaxTensorBytes, " bytes");
    n *= d;
  }
  return n;
}

Tensor make_tensor(DType dtype, std::vector<i64> shape, Device dev, bool zero) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  const i64 n = checked_numel(t.shape, dtype_size(dtype), "shape");
  t.storage = std::make_shared<Storage>(dev, static_cast<std::size_t>(n) * dtype_size(dtype));
  if (zero && t.bytes() > 0) {
    if (dev.is_cpu()) std::memset(t.raw(), 0, t.bytes());
    else gpu::memset0(dev.index, t.raw(), t.bytes());
  }
  return t;
}

void copy_bytes(const Tensor& dst, const Tensor& src) {
  std::size_t n = src.bytes();
  SPAIC_CHECK(dst.bytes() == n, Shape, "src", "copy between tensors of ", src.bytes(), " and ", dst.bytes(), " bytes");
  if (n == 0) return;
  Device d = dst.device(), s = src.device();
  if (d.is_cpu() && s.is_cpu()) std::memcpy(dst.raw(), src.raw(), n);
  else if (d.is_cuda() && s.is_cpu()) gpu::copy_h2d(d.index, dst.raw(), src.raw(), n);
  else if (d.is_cpu() && s.is_cuda()) gpu::copy_d2h(s.index, dst.raw(), src.raw(), n);
  else gpu::copy_d2d(d.index, dst.raw(), src.raw(), n);
}

}  // namespace spaic

// spaic/tensor.h - a dense buffer on one device, shared by the JS handle and any async work using it.
#pragma once

#include <memory>
#include <vector>

#include "spaic/common.h"
#include "spaic/dtype.h"

namespace spaic {

class Storage {
 public:
  Storage(Device dev, std::size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const { return ptr_; }
  std::size_t bytes() const { return bytes_; }
  Device device() const { return dev_; }

 private:
  void* ptr_ = nullptr;
  std::size_t bytes_ = 0;
  Device dev_;
};

struct Tensor {
  std::shared_ptr<Storage> storage;
  DType dtype = DType::F32;
  std::vector<i64> shape;
  std::size_t offset = 0;  // bytes into the storage (views made by narrow())

  // The element count. A tensor without storage (default-constructed, not yet allocated) holds nothing.
  i64 numel() const {
    if (!storage) return 0;
    i64 n = 1;
    for (i64 d : shape) n *= d;
    return n;
  }
  Device device() const { return storage ? storage->device() : Device{}; }
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype); }
  template <typename T>
  T* ptr() const {
    return reinterpret_cast<T*>(static_cast<char*>(storage->data()) + offset);
  }
  void* raw() const { return static_cast<char*>(storage->data()) + offset; }
};

// The element count of `shape`, checked: each dimension >= 0 and the count and its byte size (for
// elements of `elem_bytes`) within kMaxTensorBytes, else a ShapeError naming `param`. Every size that
// allocates goes through here, so an int64 product can never wrap.
constexpr i64 kMaxTensorBytes = i64(1) << 50;  // 1 PiB: far above any device, far below a wrap
i64 checked_numel(const std::vector<i64>& shape, std::size_t elem_bytes, const char* param);

Tensor make_tensor(DType dtype, std::vector<i64> shape, Device dev, bool zero);
void copy_bytes(const Tensor& dst, const Tensor& src);  // same bytes, any devices

}  // namespace spaic

// spaic/dtype.h - element types and devices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "spaic/error.h"

namespace spaic {

// The codes are shared with lib/runtime/dtype.ts.
enum class DType : int { F32 = 0, F64 = 1, I32 = 2, U8 = 3 };

inline std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I32: return 4;
    case DType::U8: return 1;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I32: return "int32";
    case DType::U8: return "uint8";
  }
  return "?";
}

inline bool dtype_is_float(DType t) { return t == DType::F32 || t == DType::F64; }

// A device is the CPU (index -1) or CUDA device `index`.
struct Device {
  int index = -1;
  bool is_cpu() const { return index < 0; }
  bool is_cuda() const { return index >= 0; }
  bool operator==(const Device& o) const { return index == o.index; }
  bool operator!=(const Device& o) const { return index != o.index; }
  std::string name() const { return is_cpu() ? std::string("cpu") : "cuda:" + std::to_string(index); }
};

}  // namespace spaic

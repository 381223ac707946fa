// binding/elementwise.cpp - binary (broadcasting), scalar, unary, cast, transpose01.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "binding/napi-util.h"
#include "spaic/ops.h"

namespace spaic::binding {

namespace {

BinaryOp binary_code(const Napi::CallbackInfo& info, size_t i) {
  i64 c = int_arg(info, i, "op");
  SPAIC_CHECK(c >= 0 && c <= static_cast<i64>(BinaryOp::Eq), InvalidArgument, "op", "unknown binary op code ", c);
  return static_cast<BinaryOp>(c);
}

// Fills `bc` for out = a (op) b, returning false when no broadcasting is needed.
bool make_broadcast(const Tensor& a, const Tensor& b, const Tensor& out, Broadcast* bc) {
  const auto& so = out.shape;
  if (a.shape == so && b.shape == so) return false;
  const int nd = static_cast<int>(so.size());
  SPAIC_CHECK(nd <= kMaxDims, Shape, "out", "at most ", kMaxDims, " dimensions are supported");
  SPAIC_CHECK(static_cast<int>(a.shape.size()) <= nd && static_cast<int>(b.shape.size()) <= nd, Shape, "out",
              "out has fewer dimensions than an input");
  bc->ndim = nd;
  auto fill = [&](const std::vector<i64>& s, i64* strides, const char* name) {
    const int off = nd - static_cast<int>(s.size());
    i64 stride = 1;
    for (int d = nd - 1; d >= 0; --d) {
      const i64 dim = d >= off ? s[d - off] : 1;
      SPAIC_CHECK(dim == so[d] || dim == 1, Shape, name, "shape ", shape_str(s), " of ", name,
                  " does not broadcast to ", shape_str(so));
      strides[d] = dim == 1 ? 0 : stride;
      stride *= dim;
    }
  };
  for (int d = 0; d < nd; ++d) bc->shape[d] = so[d];
  fill(a.shape, bc->stride_a, "a");
  fill(b.shape, bc->stride_b, "b");
  return true;
}

// int32 division by zero is an error (torch raises ZeroDivisionError), checked before anything is
// written. A device divisor is copied to the host for the scan: integer division on a GPU is rare.
void check_no_zero_divisor(const Tensor& t, const char* name) {
  const i64 n = t.numel();
  if (n == 0) return;
  Tensor host = t;
  if (!t.device().is_cpu()) {
    host = make_tensor(t.dtype, t.shape, Device{}, false);
    copy_bytes(host, t);
  }
  const int32_t* v = host.ptr<int32_t>();
  for (i64 i = 0; i < n; ++i) {
    SPAIC_CHECK(v[i] != 0, InvalidArgument, name, "integer division by zero: ", name, " holds 0 at element ", i);
  }
}

// binary(op, a, b, out)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  BinaryOp op = binary_code(info, 0);
  const Tensor& a = tensor_arg(info, 1, "a");
  const Tensor& b = tensor_arg(info, 2, "b");
  const Tensor& out = tensor_arg(info, 3, "out");
  check_same_device(a, "a", b, "b");
  check_same_device(a, "a", out, "out");
  check_dtype(b, a.dtype, "b");
  check_dtype(out, a.dtype, "out");
  SPAIC_CHECK(a.dtype != DType::U8, InvalidArgument, "a", "uint8 tensors hold spikes; cast them before arithmetic");
  Broadcast bc;
  const Broadcast* pbc = make_broadcast(a, b, out, &bc) ? &bc : nullptr;
  if (op == BinaryOp::Div && a.dtype == DType::I32) check_no_zero_divisor(b, "b");
  const i64 n = out.numel();
  switch (a.dtype) {
    case DType::F32:
      SPAIC_DISPATCH(a.device(), binary<float>(op, a.ptr<float>(), b.ptr<float>(), out.ptr<float>(), n, pbc));
      break;
    case DType::F64:
      SPAIC_DISPATCH(a.device(), binary<double>(op, a.ptr<double>(), b.ptr<double>(), out.ptr<double>(), n, pbc));
      break;
    case DType::I32:
      SPAIC_DISPATCH(a.device(), binary<int32_t>(op, a.ptr<int32_t>(), b.ptr<int32_t>(), out.ptr<int32_t>(), n, pbc));
      break;
    default: break;
  }
  return info.Env().Undefined();
}

// binaryScalar(op, a, scalar, out, scalarFirst)
Napi::Value BinaryScalar(const Napi::CallbackInfo& info) {
  BinaryOp op = binary_code(info, 0);
  const Tensor& a = tensor_arg(info, 1, "a");
  double s = num_arg(info, 2, "scalar");
  const Tensor& out = tensor_arg(info, 3, "out");
  bool first = bool_arg(info, 4, "scalarFirst");
  check_same_device(a, "a", out, "out");
  check_dtype(out, a.dtype, "out");
  check_numel(out, a.numel(), "out");
  const i64 n = a.numel();
  if (a.dtype == DType::I32) {
    // The scalar is an int32 operand: an integer in range (a cast of anything else is undefined).
    SPAIC_CHECK(std::isfinite(s) && s == std::floor(s) && s >= -2147483648.0 && s <= 2147483647.0, InvalidArgument,
                "scalar", "Expected an int32 value for scalar (the tensor is int32) but received ", s);
    if (op == BinaryOp::Div && !first) SPAIC_CHECK(s != 0, InvalidArgument, "scalar", "integer division by zero");
    if (op == BinaryOp::Div && first) check_no_zero_divisor(a, "a");
  }
  switch (a.dtype) {
    case DType::F32:
      SPAIC_DISPATCH(a.device(),
                     binary_scalar<float>(op, a.ptr<float>(), static_cast<float>(s), out.ptr<float>(), n, first));
      break;
    case DType::F64:
      SPAIC_DISPATCH(a.device(), binary_scalar<double>(op, a.ptr<double>(), s, out.ptr<double>(), n, first));
      break;
    case DType::I32:
      SPAIC_DISPATCH(a.device(), binary_scalar<int32_t>(op, a.ptr<int32_t>(), static_cast<int32_t>(s),
                                                        out.ptr<int32_t>(), n, first));
      break;
    default: SPAIC_FAIL(InvalidArgument, "a", "uint8 tensors hold spikes; cast them before arithmetic");
  }
  return info.Env().Undefined();
}

// unary(op, a, out)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  i64 c = int_arg(info, 0, "op");
  SPAIC_CHECK(c >= 0 && c <= static_cast<i64>(UnaryOp::Reciprocal), InvalidArgument, "op", "unknown unary op code ", c);
  UnaryOp op = static_cast<UnaryOp>(c);
  const Tensor& a = tensor_arg(info, 1, "a");
  const Tensor& out = tensor_arg(info, 2, "out");
  check_same_device(a, "a", out, "out");
  check_dtype(out, a.dtype, "out");
  check_numel(out, a.numel(), "out");
  const i64 n = a.numel();
  switch (a.dtype) {
    case DType::F32: SPAIC_DISPATCH(a.device(), unary<float>(op, a.ptr<float>(), out.ptr<float>(), n)); break;
    case DType::F64: SPAIC_DISPATCH(a.device(), unary<double>(op, a.ptr<double>(), out.ptr<double>(), n)); break;
    case DType::I32: {
      SPAIC_CHECK(op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Relu || op == UnaryOp::Square ||
                      op == UnaryOp::Sign || op == UnaryOp::Heaviside,
                  InvalidArgument, "a", "this unary op needs a float tensor, not int32");
      SPAIC_DISPATCH(a.device(), unary<int32_t>(op, a.ptr<int32_t>(), out.ptr<int32_t>(), n));
      break;
    }
    default: SPAIC_FAIL(InvalidArgument, "a", "uint8 tensors hold spikes; cast them before arithmetic");
  }
  return info.Env().Undefined();
}

template <typename To>
void cast_to(const Tensor& a, const Tensor& out) {
  To* o = out.ptr<To>();
  const i64 n = a.numel();
  switch (a.dtype) {
    case DType::F32: SPAIC_DISPATCH(a.device(), cast<To, float>(a.ptr<float>(), o, n)); break;
    case DType::F64: SPAIC_DISPATCH(a.device(), cast<To, double>(a.ptr<double>(), o, n)); break;
    case DType::I32: SPAIC_DISPATCH(a.device(), cast<To, int32_t>(a.ptr<int32_t>(), o, n)); break;
    case DType::U8: SPAIC_DISPATCH(a.device(), cast<To, uint8_t>(a.ptr<uint8_t>(), o, n)); break;
  }
}

// cast(a, out): element conversion to out's dtype.
Napi::Value Cast(const Napi::CallbackInfo& info) {
  const Tensor& a = tensor_arg(info, 0, "a");
  const Tensor& out = tensor_arg(info, 1, "out");
  check_same_device(a, "a", out, "out");
  check_numel(out, a.numel(), "out");
  switch (out.dtype) {
    case DType::F32: cast_to<float>(a, out); break;
    case DType::F64: cast_to<double>(a, out); break;
    case DType::I32: cast_to<int32_t>(a, out); break;
    case DType::U8: cast_to<uint8_t>(a, out); break;
  }
  return info.Env().Undefined();
}

// transpose01(a, out): out[j, i, ...] = a[i, j, ...]; out is [d1, d0, ...rest], same dtype and device, and
// shares no memory with a.
Napi::Value Transpose01(const Napi::CallbackInfo& info) {
  const Tensor& a = tensor_arg(info, 0, "a");
  const Tensor& out = tensor_arg(info, 1, "out");
  check_same_device(a, "a", out, "out");
  check_dtype(out, a.dtype, "out");
  SPAIC_CHECK(a.shape.size() >= 2, Shape, "a", "Expected at least 2 dimensions for a but received ",
              shape_str(a.shape));
  std::vector<i64> want = a.shape;
  std::swap(want[0], want[1]);
  SPAIC_CHECK(out.shape == want, Shape, "out", "Expected shape ", shape_str(want), " for out but received ",
              shape_str(out.shape));
  const i64 d0 = a.shape[0], d1 = a.shape[1], inner = a.numel() / std::max<i64>(1, d0 * d1);
  if (a.numel() == 0) return info.Env().Undefined();
  const auto* pa = static_cast<const char*>(a.raw());
  const auto* po = static_cast<const char*>(out.raw());
  SPAIC_CHECK(po + out.bytes() <= pa || pa + a.bytes() <= po, InvalidArgument, "out",
              "out shares memory with a (transpose01 cannot work in place)");
  switch (a.dtype) {
    case DType::F32:
      SPAIC_DISPATCH(a.device(), transpose01<float>(a.ptr<float>(), out.ptr<float>(), d0, d1, inner));
      break;
    case DType::F64:
      SPAIC_DISPATCH(a.device(), transpose01<double>(a.ptr<double>(), out.ptr<double>(), d0, d1, inner));
      break;
    case DType::I32:
      SPAIC_DISPATCH(a.device(), transpose01<int32_t>(a.ptr<int32_t>(), out.ptr<int32_t>(), d0, d1, inner));
      break;
    case DType::U8:
      SPAIC_DISPATCH(a.device(), transpose01<uint8_t>(a.ptr<uint8_t>(), out.ptr<uint8_t>(), d0, d1, inner));
      break;
  }
  return info.Env().Undefined();
}

}  // namespace

void register_elementwise(Napi::Object exports) {
  SPAIC_EXPORT(exports, "binary", Binary);
  SPAIC_EXPORT(exports, "binaryScalar", BinaryScalar);
  SPAIC_EXPORT(exports, "unary", Unary);
  SPAIC_EXPORT(exports, "cast", Cast);
  SPAIC_EXPORT(exports, "transpose01", Transpose01);
}

}  // namespace spaic::binding

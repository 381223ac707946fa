// binding/conv2d.cpp - conv2d forward/backward (im2col + GEMM) and the max pool after it.
//
//   conv2dForward(x, w, bias|null, y, geometry, groups)            geometry = [sH, sW, pH, pW, dH, dW]
//   conv2dBackward(x, w, gy, gx|null, gw|null, gb|null, geometry, groups, accumulate)
//   maxPool2dForward(x, y, argmax, k)      maxPool2dBackward(gy, argmax, gx, k)     (kernel = stride = k)
//   conv2dIm2col(x, w, col, geometry, groups)   col [N, C_in*kh*kw, H_out*W_out] (the unfold conv STDP reads)
// plus conv2dForwardAsync / conv2dBackwardAsync (Promises).
#include <cstdint>

#include "binding/napi-util.h"
#include "binding/scratch.h"
#include "spaic/conv2d.h"
#include "spaic/device.h"

namespace spaic::binding {

namespace {

bool opt_tensor(const Napi::CallbackInfo& info, size_t i, const char* name, Tensor* out) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return false;
  *out = tensor_arg(info, i, name);
  return true;
}

void check_4d(const Tensor& t, const char* name) {
  SPAIC_CHECK(t.shape.size() == 4, Shape, name, "Expected a 4-D NCHW tensor for ", name, " but received shape ",
              shape_str(t.shape));
}

void check_like(const Tensor& t, const Tensor& ref, const std::vector<i64>& shape, const char* name) {
  check_dtype(t, ref.dtype, name);
  check_same_device(ref, "x", t, name);
  SPAIC_CHECK(t.shape == shape, Shape, name, "Expected shape ", shape_str(shape), " for ", name, " but received ",
              shape_str(t.shape));
}

// Geometry from x [N, C_in, H, W], w [C_out, C_in/groups, kh, kw] and [sH, sW, pH, pW, dH, dW].
Conv2dParams geometry(const Napi::CallbackInfo& info, size_t gi, size_t groups_i, const Tensor& x, const Tensor& w) {
  const i64 groups = int_arg(info, groups_i, "groups");
  SPAIC_CHECK(groups >= 1, InvalidArgument, "groups", "Expected groups >= 1 but received ", groups);
  std::vector<i64> g = shape_arg(info, gi, "geometry");
  SPAIC_CHECK(g.size() == 6, InvalidArgument, "geometry",
              "Expected [strideH, strideW, padH, padW, dilationH, dilationW]");
  SPAIC_CHECK(g[0] >= 1 && g[1] >= 1, InvalidArgument, "stride", "Expected stride >= 1 but received [", g[0], ", ",
              g[1], "]");
  SPAIC_CHECK(g[4] >= 1 && g[5] >= 1, InvalidArgument, "dilation", "Expected dilation >= 1 but received [", g[4], ", ",
              g[5], "]");
  check_float(x, "x");
  check_dtype(w, x.dtype, "weight");
  check_same_device(x, "x", w, "weight");
  check_4d(x, "x");
  check_4d(w, "weight");
  SPAIC_CHECK(w.shape[1] * groups == x.shape[1], Shape, "weight", "weight has ", w.shape[1],
              " input channels per group (", groups, " groups) but x has ", x.shape[1]);
  SPAIC_CHECK(w.shape[0] % groups == 0, Shape, "groups", "groups ", groups, " does not divide the ", w.shape[0],
              " output channels");
  SPAIC_CHECK(w.shape[2] >= 1 && w.shape[3] >= 1, Shape, "weight", "Expected a kernel of at least 1x1 but received ",
              shape_str(w.shape));
  Conv2dParams p;
  p.batch = x.shape[0];
  p.c_in = x.shape[1];
  p.h_in = x.shape[2];
  p.w_in = x.shape[3];
  p.c_out = w.shape[0];
  p.kh = w.shape[2];
  p.kw = w.shape[3];
  p.stride_h = g[0];
  p.stride_w = g[1];
  p.pad_h = g[2];
  p.pad_w = g[3];
  p.dil_h = g[4];
  p.dil_w = g[5];
  p.groups = groups;
  p.h_out = conv_out_size(p.h_in, p.kh, p.stride_h, p.pad_h, p.dil_h);
  p.w_out = conv_out_size(p.w_in, p.kw, p.stride_w, p.pad_w, p.dil_w);
  SPAIC_CHECK(p.h_out > 0 && p.w_out > 0, Shape, "x", "the dilated kernel ", p.kh, "x", p.kw,
              " does not fit the padded input ", shape_str(x.shape));
  return p;
}

struct ConvCall {
  Tensor x, w, bias, y, gy, gx, gw, gb, col;
  bool has_bias = false, has_gx = false, has_gw = false, has_gb = false, accumulate = false;
  Conv2dParams p;
};

// Device scratch for the im2col columns (the CPU uses host_scratch on the thread that runs the kernel).
Tensor make_col(const ConvCall& c) {
  i64 n = 0;
  if (c.x.device().is_cuda()) SPAIC_CUDA_ONLY(n = cuda::conv2d_workspace_elems(c.p));
  return make_tensor(c.x.dtype, {n}, c.x.device(), false);
}

template <typename T>
T* col_ptr(const ConvCall& c) {
  if (c.x.device().is_cuda()) return c.col.ptr<T>();
  return static_cast<T*>(host_scratch(sizeof(T) * static_cast<std::size_t>(cpu::conv2d_workspace_elems(c.p))));
}

ConvCall parse_forward(const Napi::CallbackInfo& info) {
  ConvCall c;
  c.x = tensor_arg(info, 0, "x");
  c.w = tensor_arg(info, 1, "weight");
  c.has_bias = opt_tensor(info, 2, "bias", &c.bias);
  c.y = tensor_arg(info, 3, "out");
  c.p = geometry(info, 4, 5, c.x, c.w);
  if (c.has_bias) check_like(c.bias, c.x, {c.p.c_out}, "bias");
  check_like(c.y, c.x, {c.p.batch, c.p.c_out, c.p.h_out, c.p.w_out}, "out");
  c.col = make_col(c);
  return c;
}

ConvCall parse_backward(const Napi::CallbackInfo& info) {
  ConvCall c;
  c.x = tensor_arg(info, 0, "x");
  c.w = tensor_arg(info, 1, "weight");
  c.gy = tensor_arg(info, 2, "gradOut");
  c.has_gx = opt_tensor(info, 3, "gradInput", &c.gx);
  c.has_gw = opt_tensor(info, 4, "gradWeight", &c.gw);
  c.has_gb = opt_tensor(info, 5, "gradBias", &c.gb);
  c.p = geometry(info, 6, 7, c.x, c.w);
  c.accumulate = bool_arg(info, 8, "accumulate");
  check_like(c.gy, c.x, {c.p.batch, c.p.c_out, c.p.h_out, c.p.w_out}, "gradOut");
  if (c.has_gx) check_like(c.gx, c.x, c.x.shape, "gradInput");
  if (c.has_gw) check_like(c.gw, c.x, c.w.shape, "gradWeight");
  if (c.has_gb) check_like(c.gb, c.x, {c.p.c_out}, "gradBias");
  c.col = make_col(c);
  return c;
}

template <typename T>
void forward_t(const ConvCall& c) {
  const T* b = c.has_bias ? c.bias.ptr<T>() : nullptr;
  SPAIC_DISPATCH(c.x.device(), conv2d_forward<T>(c.p, c.x.ptr<T>(), c.w.ptr<T>(), b, c.y.ptr<T>(), col_ptr<T>(c)));
}

template <typename T>
void backward_t(const ConvCall& c) {
  T* gx = c.has_gx ? c.gx.ptr<T>() : nullptr;
  T* gw = c.has_gw ? c.gw.ptr<T>() : nullptr;
  T* gb = c.has_gb ? c.gb.ptr<T>() : nullptr;
  SPAIC_DISPATCH(c.x.device(), conv2d_backward<T>(c.p, c.x.ptr<T>(), c.w.ptr<T>(), c.gy.ptr<T>(), gx, gw, gb,
                                                  c.accumulate, col_ptr<T>(c)));
}

void run_forward(const ConvCall& c) { c.x.dtype == DType::F32 ? forward_t<float>(c) : forward_t<double>(c); }
void run_backward(const ConvCall& c) { c.x.dtype == DType::F32 ? backward_t<float>(c) : backward_t<double>(c); }

Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  run_forward(parse_forward(info));
  return info.Env().Undefined();
}

Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  run_backward(parse_backward(info));
  return info.Env().Undefined();
}

Napi::Value Conv2dForwardAsync(const Napi::CallbackInfo& info) {
  ConvCall c = parse_forward(info);
  return run_async(info.Env(), [c]() {
    run_forward(c);
    if (c.x.device().is_cuda()) gpu::synchronize(c.x.device().index);
  });
}

Napi::Value Conv2dBackwardAsync(const Napi::CallbackInfo& info) {
  ConvCall c = parse_backward(info);
  return run_async(info.Env(), [c]() {
    run_backward(c);
    if (c.x.device().is_cuda()) gpu::synchronize(c.x.device().index);
  });
}

// conv2dIm2col(x, w, col, geometry, groups): the weight gives the kernel's size (and checks the geometry as
// the forward does); every input channel's rows are written, whatever the groups.
Napi::Value Conv2dIm2col(const Napi::CallbackInfo& info) {
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& w = tensor_arg(info, 1, "weight");
  const Tensor& col = tensor_arg(info, 2, "out");
  const Conv2dParams p = geometry(info, 3, 4, x, w);
  check_like(col, x, {p.batch, conv_col_rows(p), conv_col_cols(p)}, "out");
  if (x.dtype == DType::F32) SPAIC_DISPATCH(x.device(), conv2d_im2col<float>(p, x.ptr<float>(), col.ptr<float>()));
  else SPAIC_DISPATCH(x.device(), conv2d_im2col<double>(p, x.ptr<double>(), col.ptr<double>()));
  return info.Env().Undefined();
}

Pool2dParams pool_params(const Tensor& x, i64 k) {
  SPAIC_CHECK(k >= 1, InvalidArgument, "kernel", "Expected a pool kernel >= 1 but received ", k);
  check_float(x, "x");
  check_4d(x, "x");
  Pool2dParams p;
  p.planes = x.shape[0] * x.shape[1];
  p.h_in = x.shape[2];
  p.w_in = x.shape[3];
  p.k = k;
  p.h_out = p.h_in / k;
  p.w_out = p.w_in / k;
  return p;
}

// maxPool2dForward(x, y, argmax, k)
Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info) {
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& y = tensor_arg(info, 1, "out");
  const Tensor& a = tensor_arg(info, 2, "argmax");
  const Pool2dParams p = pool_params(x, int_arg(info, 3, "kernel"));
  const std::vector<i64> shape{x.shape[0], x.shape[1], p.h_out, p.w_out};
  check_like(y, x, shape, "out");
  check_dtype(a, DType::I32, "argmax");
  check_same_device(x, "x", a, "argmax");
  SPAIC_CHECK(a.shape == shape, Shape, "argmax", "Expected shape ", shape_str(shape), " for argmax but received ",
              shape_str(a.shape));
  if (x.dtype == DType::F32)
    SPAIC_DISPATCH(x.device(), maxpool2d_forward<float>(p, x.ptr<float>(), y.ptr<float>(), a.ptr<std::int32_t>()));
  else
    SPAIC_DISPATCH(x.device(), maxpool2d_forward<double>(p, x.ptr<double>(), y.ptr<double>(), a.ptr<std::int32_t>()));
  return info.Env().Undefined();
}

// maxPool2dBackward(gy, argmax, gx, k): gx has the pool input's shape.
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  const Tensor& gy = tensor_arg(info, 0, "gradOut");
  const Tensor& a = tensor_arg(info, 1, "argmax");
  const Tensor& gx = tensor_arg(info, 2, "gradInput");
  const Pool2dParams p = pool_params(gx, int_arg(info, 3, "kernel"));
  const std::vector<i64> shape{gx.shape[0], gx.shape[1], p.h_out, p.w_out};
  check_dtype(gy, gx.dtype, "gradOut");
  check_same_device(gx, "gradInput", gy, "gradOut");
  check_same_device(gx, "gradInput", a, "argmax");
  SPAIC_CHECK(gy.shape == shape, Shape, "gradOut", "Expected shape ", shape_str(shape), " for gradOut but received ",
              shape_str(gy.shape));
  check_dtype(a, DType::I32, "argmax");
  SPAIC_CHECK(a.shape == shape, Shape, "argmax", "Expected shape ", shape_str(shape), " for argmax but received ",
              shape_str(a.shape));
  if (gx.dtype == DType::F32)
    SPAIC_DISPATCH(gx.device(), maxpool2d_backward<float>(p, gy.ptr<float>(), a.ptr<std::int32_t>(), gx.ptr<float>()));
  else
    SPAIC_DISPATCH(gx.device(),
                   maxpool2d_backward<double>(p, gy.ptr<double>(), a.ptr<std::int32_t>(), gx.ptr<double>()));
  return info.Env().Undefined();
}

}  // namespace

void register_conv2d(Napi::Object exports) {
  SPAIC_EXPORT(exports, "conv2dForward", Conv2dForward);
  SPAIC_EXPORT(exports, "conv2dForwardAsync", Conv2dForwardAsync);
  SPAIC_EXPORT(exports, "conv2dBackward", Conv2dBackward);
  SPAIC_EXPORT(exports, "conv2dBackwardAsync", Conv2dBackwardAsync);
  SPAIC_EXPORT(exports, "conv2dIm2col", Conv2dIm2col);
  SPAIC_EXPORT(exports, "maxPool2dForward", MaxPool2dForward);
  SPAIC_EXPORT(exports, "maxPool2dBackward", MaxPool2dBackward);
}

}  // namespace spaic::binding

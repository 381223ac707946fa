// binding/synapse.cpp - synaptic products (dense / event-driven), their backward, and the W^T helper.
//
//   synapseForward(spikes, weight, bias|null, out, layout, mode, crossover, accumulate) -> 'dense' | 'event'
//   synapseBackward(gradOut, spikes, weight, gradWeight|null, gradSpikes|null, gradBias|null, layout, accumulate)
//   transpose2d(a, out)
// plus synapseForwardAsync / synapseBackwardAsync (Promises). layout: 0 = W [post, pre], 1 = W^T [pre, post];
// mode: 0 dense, 1 event, 2 auto. spikes [..., N_pre] (weight's dtype or uint8), out [..., N_post].
#include <cmath>
#include <cstdint>

#include "binding/napi-util.h"
#include "binding/scratch.h"
#include "spaic/device.h"
#include "spaic/synapse.h"

namespace spaic::binding {

namespace {

bool opt_tensor(const Napi::CallbackInfo& info, size_t i, const char* name, Tensor* out) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return false;
  *out = tensor_arg(info, i, name);
  return true;
}

WeightLayout layout_arg(const Napi::CallbackInfo& info, size_t i) {
  const i64 v = int_arg(info, i, "layout");
  SPAIC_CHECK(v == 0 || v == 1, InvalidArgument, "layout", "Expected layout 0 (post_pre) or 1 (pre_post) but received ",
              v);
  return static_cast<WeightLayout>(v);
}

// n_pre / n_post from the weight and its layout.
void weight_dims(const Tensor& w, WeightLayout layout, i64* n_pre, i64* n_post) {
  SPAIC_CHECK(w.shape.size() == 2, Shape, "weight", "Expected a 2-D weight but received shape ", shape_str(w.shape));
  *n_post = layout == WeightLayout::PostPre ? w.shape[0] : w.shape[1];
  *n_pre = layout == WeightLayout::PostPre ? w.shape[1] : w.shape[0];
}

i64 spike_rows(const Tensor& s, i64 n_pre, const char* name) {
  SPAIC_CHECK(!s.shape.empty() && s.shape.back() == n_pre, Shape, name, "Expected ", name, " of shape [..., ", n_pre,
              "] to match the weight but received ", shape_str(s.shape));
  i64 rows = 1;
  for (size_t d = 0; d + 1 < s.shape.size(); ++d) rows *= s.shape[d];
  return rows;
}

void check_rows_tensor(const Tensor& t, const Tensor& s, i64 last, const char* name) {
  std::vector<i64> want(s.shape.begin(), s.shape.end() - 1);
  want.push_back(last);
  SPAIC_CHECK(t.shape == want, Shape, name, "Expected shape ", shape_str(want), " for ", name, " but received ",
              shape_str(t.shape));
}

void check_spikes(const Tensor& s, const Tensor& w, const char* name) {
  SPAIC_CHECK(s.dtype == w.dtype || s.dtype == DType::U8, InvalidArgument, name, "Expected ", dtype_name(w.dtype),
              " or uint8 for ", name, " but received ", dtype_name(s.dtype));
  check_same_device(w, "weight", s, name);
}

struct Forward {
  Tensor s, w, bias, out, ws;  // ws: device scratch (CUDA only; the CPU uses host_scratch)
  std::size_t ws_bytes = 0;
  bool has_bias = false;
  SynapseParams p;
};

Forward parse_forward(const Napi::CallbackInfo& info) {
  Forward f;
  f.s = tensor_arg(info, 0, "spikes");
  f.w = tensor_arg(info, 1, "weight");
  f.has_bias = opt_tensor(info, 2, "bias", &f.bias);
  f.out = tensor_arg(info, 3, "out");
  f.p.layout = layout_arg(info, 4);
  const i64 mode = int_arg(info, 5, "mode");
  SPAIC_CHECK(mode >= 0 && mode <= 2, InvalidArgument, "mode",
              "Expected mode 0 (dense), 1 (event) or 2 (auto) but received ", mode);
  f.p.mode = static_cast<SynapseMode>(mode);
  f.p.crossover = num_arg(info, 6, "crossover");
  SPAIC_CHECK(std::isfinite(f.p.crossover), InvalidArgument, "crossover", "Expected a finite crossover");
  f.p.accumulate = bool_arg(info, 7, "accumulate");
  check_float(f.w, "weight");
  check_spikes(f.s, f.w, "spikes");
  check_dtype(f.out, f.w.dtype, "out");
  check_same_device(f.w, "weight", f.out, "out");
  weight_dims(f.w, f.p.layout, &f.p.n_pre, &f.p.n_post);
  f.p.rows = spike_rows(f.s, f.p.n_pre, "spikes");
  check_rows_tensor(f.out, f.s, f.p.n_post, "out");
  if (f.has_bias) {
    check_dtype(f.bias, f.w.dtype, "bias");
    check_same_device(f.w, "weight", f.bias, "bias");
    SPAIC_CHECK(f.bias.shape.size() == 1 && f.bias.shape[0] == f.p.n_post, Shape, "bias", "Expected shape [",
                f.p.n_post, "] for bias but received ", shape_str(f.bias.shape));
  }
  f.ws_bytes = synapse_forward_workspace(f.p, f.s.dtype == DType::U8, dtype_size(f.w.dtype)).bytes;
  if (f.w.device().is_cuda()) f.ws = make_tensor(DType::U8, {static_cast<i64>(f.ws_bytes)}, f.w.device(), false);
  return f;
}

template <typename T, typename S>
SynapseMode forward_ts(const Forward& f) {
  const T* bias = f.has_bias ? f.bias.ptr<T>() : nullptr;
  const Device dev = f.w.device();
  if (dev.is_cpu())
    return cpu::synapse_forward<T, S>(f.p, f.s.ptr<S>(), f.w.ptr<T>(), bias, f.out.ptr<T>(), host_scratch(f.ws_bytes));
  use_device(dev);
  SPAIC_CUDA_ONLY(
      return cuda::synapse_forward<T, S>(f.p, f.s.ptr<S>(), f.w.ptr<T>(), bias, f.out.ptr<T>(), f.ws.raw()));
}

template <typename T>
SynapseMode forward_t(const Forward& f) {
  return f.s.dtype == DType::U8 ? forward_ts<T, std::uint8_t>(f) : forward_ts<T, T>(f);
}

SynapseMode run_forward(const Forward& f) {
  return f.w.dtype == DType::F32 ? forward_t<float>(f) : forward_t<double>(f);
}

const char* mode_name(SynapseMode m) { return m == SynapseMode::Event ? "event" : "dense"; }

Napi::Value SynapseForward(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), mode_name(run_forward(parse_forward(info))));
}

Napi::Value SynapseForwardAsync(const Napi::CallbackInfo& info) {
  Forward f = parse_forward(info);
  auto used = std::make_shared<SynapseMode>(SynapseMode::Dense);
  return run_async(
      info.Env(),
      [f, used]() {
        *used = run_forward(f);
        if (f.w.device().is_cuda()) gpu::synchronize(f.w.device().index);
      },
      [used](Napi::Env env) -> Napi::Value { return Napi::String::New(env, mode_name(*used)); });
}

struct Backward {
  Tensor g, s, w, gw, gs, gb, ws;  // ws: device scratch (CUDA only)
  std::size_t ws_bytes = 0;
  bool has_gw = false, has_gs = false, has_gb = false;
  SynapseBackwardParams p;
};

Backward parse_backward(const Napi::CallbackInfo& info) {
  Backward b;
  b.g = tensor_arg(info, 0, "gradOut");
  b.s = tensor_arg(info, 1, "spikes");
  b.w = tensor_arg(info, 2, "weight");
  b.has_gw = opt_tensor(info, 3, "gradWeight", &b.gw);
  b.has_gs = opt_tensor(info, 4, "gradSpikes", &b.gs);
  b.has_gb = opt_tensor(info, 5, "gradBias", &b.gb);
  b.p.layout = layout_arg(info, 6);
  b.p.accumulate = bool_arg(info, 7, "accumulate");
  if (info.Length() > 8 && !info[8].IsUndefined()) {
    const i64 mode = int_arg(info, 8, "mode");
    SPAIC_CHECK(mode >= 0 && mode <= 2, InvalidArgument, "mode",
                "Expected mode 0 (dense), 1 (event) or 2 (auto) but received ", mode);
    b.p.mode = static_cast<SynapseMode>(mode);
  }
  if (info.Length() > 9 && !info[9].IsUndefined()) {
    b.p.crossover = num_arg(info, 9, "crossover");
    SPAIC_CHECK(b.p.crossover >= -1.0 && b.p.crossover <= 1.0, InvalidArgument, "crossover",
                "Expected crossover in [0, 1]");
  }
  check_float(b.w, "weight");
  check_spikes(b.s, b.w, "spikes");
  check_dtype(b.g, b.w.dtype, "gradOut");
  check_same_device(b.w, "weight", b.g, "gradOut");
  weight_dims(b.w, b.p.layout, &b.p.n_pre, &b.p.n_post);
  b.p.rows = spike_rows(b.s, b.p.n_pre, "spikes");
  check_rows_tensor(b.g, b.s, b.p.n_post, "gradOut");
  if (b.has_gw) {
    check_dtype(b.gw, b.w.dtype, "gradWeight");
    check_same_device(b.w, "weight", b.gw, "gradWeight");
    SPAIC_CHECK(b.gw.shape == b.w.shape, Shape, "gradWeight", "Expected shape ", shape_str(b.w.shape),
                " for gradWeight but received ", shape_str(b.gw.shape));
  }
  if (b.has_gs) {
    check_dtype(b.gs, b.w.dtype, "gradSpikes");
    check_same_device(b.w, "weight", b.gs, "gradSpikes");
    check_rows_tensor(b.gs, b.s, b.p.n_pre, "gradSpikes");
  }
  if (b.has_gb) {
    check_dtype(b.gb, b.w.dtype, "gradBias");
    check_same_device(b.w, "weight", b.gb, "gradBias");
    SPAIC_CHECK(b.gb.shape.size() == 1 && b.gb.shape[0] == b.p.n_post, Shape, "gradBias", "Expected shape [",
                b.p.n_post, "] for gradBias but received ", shape_str(b.gb.shape));
  }
  b.ws_bytes = synapse_backward_workspace(b.p, b.s.dtype == DType::U8, dtype_size(b.w.dtype)).bytes;
  if (b.w.device().is_cuda()) b.ws = make_tensor(DType::U8, {static_cast<i64>(b.ws_bytes)}, b.w.device(), false);
  return b;
}

template <typename T>
void backward_t(const Backward& b) {
  T* gw = b.has_gw ? b.gw.ptr<T>() : nullptr;
  T* gs = b.has_gs ? b.gs.ptr<T>() : nullptr;
  T* gb = b.has_gb ? b.gb.ptr<T>() : nullptr;
  void* ws = b.w.device().is_cpu() ? host_scratch(b.ws_bytes) : b.ws.raw();
  if (b.s.dtype == DType::U8)
    SPAIC_DISPATCH(b.w.device(), synapse_backward<T, std::uint8_t>(b.p, b.g.ptr<T>(), b.s.ptr<std::uint8_t>(),
                                                                   b.w.ptr<T>(), gw, gs, gb, ws));
  else
    SPAIC_DISPATCH(b.w.device(), synapse_backward<T, T>(b.p, b.g.ptr<T>(), b.s.ptr<T>(), b.w.ptr<T>(), gw, gs, gb, ws));
}

void run_backward(const Backward& b) {
  if (b.w.dtype == DType::F32) backward_t<float>(b);
  else backward_t<double>(b);
}

Napi::Value SynapseBackward(const Napi::CallbackInfo& info) {
  run_backward(parse_backward(info));
  return info.Env().Undefined();
}

Napi::Value SynapseBackwardAsync(const Napi::CallbackInfo& info) {
  Backward b = parse_backward(info);
  return run_async(info.Env(), [b]() {
    run_backward(b);
    if (b.w.device().is_cuda()) gpu::synchronize(b.w.device().index);
  });
}

Napi::Value Transpose2d(const Napi::CallbackInfo& info) {
  const Tensor& a = tensor_arg(info, 0, "a");
  const Tensor& out = tensor_arg(info, 1, "out");
  check_float(a, "a");
  check_dtype(out, a.dtype, "out");
  check_same_device(a, "a", out, "out");
  SPAIC_CHECK(a.shape.size() == 2, Shape, "a", "Expected a 2-D tensor for a but received shape ", shape_str(a.shape));
  const std::vector<i64> want{a.shape[1], a.shape[0]};
  SPAIC_CHECK(out.shape == want, Shape, "out", "Expected shape ", shape_str(want), " for out but received ",
              shape_str(out.shape));
  if (a.dtype == DType::F32)
    SPAIC_DISPATCH(a.device(), transpose<float>(a.ptr<float>(), out.ptr<float>(), a.shape[0], a.shape[1]));
  else SPAIC_DISPATCH(a.device(), transpose<double>(a.ptr<double>(), out.ptr<double>(), a.shape[0], a.shape[1]));
  return info.Env().Undefined();
}

}  // namespace

void register_synapse(Napi::Object exports) {
  SPAIC_EXPORT(exports, "synapseForward", SynapseForward);
  SPAIC_EXPORT(exports, "synapseForwardAsync", SynapseForwardAsync);
  SPAIC_EXPORT(exports, "synapseBackward", SynapseBackward);
  SPAIC_EXPORT(exports, "synapseBackwardAsync", SynapseBackwardAsync);
  SPAIC_EXPORT(exports, "transpose2d", Transpose2d);
}

}  // namespace spaic::binding

// binding/stdp-trace.cpp - the STDP family's kernels (spaic/stdp-trace.h): argument checks and exports;
// the rule steps are binding/stdp-trace-rules.cpp. Each call is parsed into a plain struct of tensors and
// params, then run on the tensors' device, either now (sync) or on a worker thread (the *Async exports
// return a Promise). lib/ops/stdp-trace.ts validates first; the checks here re-state the invariants the
// kernels rely on and name the parameter.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

#include "binding/stdp-trace.h"
#include "spaic/device.h"
#include "spaic/params/stdp-trace.h"

namespace spaic::binding {

namespace stdp {

std::optional<Tensor> opt_tensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return std::nullopt;
  return tensor_arg(info, i, name);
}

double finite_field(const Napi::Object& o, const char* key, const char* param) {
  double v = num_field(o, key, param);
  SPAIC_CHECK(std::isfinite(v), InvalidArgument, param, "Expected a finite number for ", param, " but received ", v);
  return v;
}

double finite_field_or(const Napi::Object& o, const char* key, double fallback, const char* param) {
  double v = num_field_or(o, key, fallback, param);
  SPAIC_CHECK(std::isfinite(v), InvalidArgument, param, "Expected a finite number for ", param, " but received ", v);
  return v;
}

bool bool_field_or(const Napi::Object& o, const char* key, bool fallback, const char* param) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  SPAIC_CHECK(v.IsBoolean(), InvalidArgument, param, "Expected a boolean for ", param);
  return v.As<Napi::Boolean>().Value();
}

double bound_field(const Napi::Object& o, const char* key, double none, const char* param) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return none;
  SPAIC_CHECK(v.IsNumber(), InvalidArgument, param, "Expected a number or null for ", param);
  double d = v.As<Napi::Number>().DoubleValue();
  SPAIC_CHECK(!std::isnan(d), InvalidArgument, param, "Expected a number or null for ", param, " but received NaN");
  return d;
}

DwPath path_field(const Napi::Object& o) {
  struct Path {
    DwPath path = DwPath::Auto;
  } p;
  static const params::Row<Path> rows[] = {params::path_row<Path>()};
  read_params(o, "options.", rows, p);
  return p.path;
}

void check_like(const Tensor& t, const Tensor& ref, const char* name, const char* ref_name) {
  check_same_device(ref, ref_name, t, name);
  check_dtype(t, ref.dtype, name);
}

void weight_dims(const Tensor& w, const char* name, i64* n_post, i64* n_pre) {
  SPAIC_CHECK(w.shape.size() == 2, Shape, name, "Expected a 2-D [N_post, N_pre] tensor for ", name,
              " but received shape ", shape_str(w.shape));
  *n_post = w.shape[0];
  *n_pre = w.shape[1];
}

i64 batch_of(const Tensor& x, i64 n, const char* name) {
  SPAIC_CHECK(n > 0 && x.numel() % n == 0 && x.numel() >= n, Shape, name, "Expected [B, ", n, "] for ", name,
              " but received shape ", shape_str(x.shape));
  return x.numel() / n;
}

Reward reward_arg(const Napi::CallbackInfo& info, size_t i, const Tensor& like, i64 batch, i64 n_post, bool per_post,
                  bool per_sample, bool per_sample_post) {
  Reward r;
  SPAIC_CHECK(i < info.Length(), InvalidArgument, "reward", "missing argument reward");
  if (info[i].IsNumber()) {
    r.value = info[i].As<Napi::Number>().DoubleValue();
    SPAIC_CHECK(std::isfinite(r.value), InvalidArgument, "reward", "Expected a finite number for reward but received ",
                r.value);
    return r;
  }
  r.t = tensor_arg(info, i, "reward");
  check_like(*r.t, like, "reward", "w");
  const auto& s = r.t->shape;
  const i64 n = r.t->numel();
  if (n == 1) {
    r.shape = RewardShape::Scalar;
  } else if (per_post && ((s.size() == 1 && s[0] == n_post) || (s.size() == 2 && s[0] == 1 && s[1] == n_post))) {
    r.shape = RewardShape::PerPost;
  } else if (per_sample && ((s.size() == 1 && s[0] == batch) || (s.size() == 2 && s[0] == batch && s[1] == 1))) {
    r.shape = RewardShape::PerSample;
  } else if (per_sample_post && s.size() == 2 && s[0] == batch && s[1] == n_post) {
    r.shape = RewardShape::PerSamplePost;
  } else {
    SPAIC_FAIL(Shape, "reward", "reward of shape ", shape_str(s), " does not fit: expected a number or one element",
               per_post ? ", [N_post] or [1, N_post]" : "", per_sample ? ", [B] or [B, 1]" : "",
               per_sample_post ? ", [B, N_post]" : "", " with B = ", batch, ", N_post = ", n_post);
  }
  return r;
}

void sync_device(Device dev) {
  if (dev.is_cuda()) gpu::synchronize(dev.index);
}

}  // namespace stdp

namespace {

using namespace stdp;
using i32 = std::int32_t;

const char* path_name(DwPath p) { return p == DwPath::Event ? "event" : "dense"; }

// --- traceUpdate(kind, x, s, decay, amp)
struct TraceCall {
  Tensor x, s;
  TraceParams p;
  static TraceCall parse(const Napi::CallbackInfo& info) {
    TraceCall c;
    const i64 kind = int_arg(info, 0, "kind");
    SPAIC_CHECK(kind >= 0 && kind <= 3, InvalidArgument, "kind", "unknown trace kind code ", kind);
    c.x = tensor_arg(info, 1, "x");
    c.s = tensor_arg(info, 2, "s");
    check_float(c.x, "x");
    check_like(c.s, c.x, "s", "x");
    check_numel(c.s, c.x.numel(), "s");
    c.p.kind = static_cast<TraceKind>(kind);
    c.p.decay = num_arg(info, 3, "decay");
    c.p.amp = num_arg(info, 4, "amp");
    SPAIC_CHECK(std::isfinite(c.p.decay), InvalidArgument, "decay", "Expected a finite number for decay");
    SPAIC_CHECK(std::isfinite(c.p.amp), InvalidArgument, "amp", "Expected a finite number for amp");
    c.p.n = c.x.numel();
    return c;
  }
  Device device() const { return x.device(); }
  void run() const {
    if (x.dtype == DType::F32) SPAIC_DISPATCH(x.device(), trace_update<float>(p, x.ptr<float>(), s.ptr<float>()));
    else SPAIC_DISPATCH(x.device(), trace_update<double>(p, x.ptr<double>(), s.ptr<double>()));
  }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- traceDecay(x, decay, steps)
struct DecayCall {
  Tensor x;
  double decay = 1;
  i64 steps = 0;
  static DecayCall parse(const Napi::CallbackInfo& info) {
    DecayCall c;
    c.x = tensor_arg(info, 0, "x");
    check_float(c.x, "x");
    c.decay = num_arg(info, 1, "decay");
    SPAIC_CHECK(std::isfinite(c.decay), InvalidArgument, "decay", "Expected a finite number for decay");
    c.steps = int_arg(info, 2, "steps");
    SPAIC_CHECK(c.steps >= 0, InvalidArgument, "steps", "Expected an integer >= 0 for steps but received ", c.steps);
    return c;
  }
  Device device() const { return x.device(); }
  void run() const {
    if (x.dtype == DType::F32) SPAIC_DISPATCH(x.device(), trace_decay<float>(x.ptr<float>(), x.numel(), decay, steps));
    else SPAIC_DISPATCH(x.device(), trace_decay<double>(x.ptr<double>(), x.numel(), decay, steps));
  }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- convLearnMask(s, out, inhibit, wta): s and out [B, C, H, W] (conv2d_stdp / conv2d_rstdp's filter)
struct ConvMaskCall {
  Tensor s, out, tmp;
  ConvMaskParams p;
  static ConvMaskCall parse(const Napi::CallbackInfo& info) {
    ConvMaskCall c;
    c.s = tensor_arg(info, 0, "s");
    c.out = tensor_arg(info, 1, "out");
    check_float(c.s, "s");
    check_like(c.out, c.s, "out", "s");
    SPAIC_CHECK(c.s.shape.size() == 4, Shape, "s", "Expected a 4-D [B, C, H, W] tensor for s but received ",
                shape_str(c.s.shape));
    SPAIC_CHECK(c.out.shape == c.s.shape, Shape, "out", "Expected shape ", shape_str(c.s.shape),
                " for out but received ", shape_str(c.out.shape));
    c.p.batch = c.s.shape[0];
    c.p.maps = c.s.shape[1];
    c.p.positions = c.s.shape[2] * c.s.shape[3];
    c.p.inhibit = bool_arg(info, 2, "inhibit");
    c.p.wta = bool_arg(info, 3, "wta");
    c.tmp = make_tensor(c.s.dtype, {std::max<i64>(1, c.s.numel())}, c.s.device(), false);
    return c;
  }
  Device device() const { return s.device(); }
  void run() const {
    if (s.dtype == DType::F32)
      SPAIC_DISPATCH(s.device(), conv_learn_mask<float>(p, s.ptr<float>(), out.ptr<float>(), tmp.ptr<float>()));
    else SPAIC_DISPATCH(s.device(), conv_learn_mask<double>(p, s.ptr<double>(), out.ptr<double>(), tmp.ptr<double>()));
  }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- intTraceUpdate(x, s, decay, shift, value)
struct IntTraceCall {
  Tensor x, s;
  IntTraceParams p;
  static IntTraceCall parse(const Napi::CallbackInfo& info) {
    IntTraceCall c;
    c.x = tensor_arg(info, 0, "x");
    c.s = tensor_arg(info, 1, "s");
    check_dtype(c.x, DType::I32, "x");
    check_like(c.s, c.x, "s", "x");
    check_numel(c.s, c.x.numel(), "s");
    c.p.decay = int_arg(info, 2, "decay");
    c.p.shift = static_cast<int>(int_arg(info, 3, "shift"));
    c.p.value = static_cast<i32>(int_arg(info, 4, "value"));
    SPAIC_CHECK(c.p.decay >= 0 && c.p.decay < (std::int64_t(1) << 31), InvalidArgument, "decay",
                "Expected 0 <= decay < 2^31");
    SPAIC_CHECK(c.p.shift >= 0 && c.p.shift <= 31, InvalidArgument, "shift", "Expected 0 <= shift <= 31");
    c.p.n = c.x.numel();
    return c;
  }
  Device device() const { return x.device(); }
  void run() const { SPAIC_DISPATCH(x.device(), int_trace_update(p, x.ptr<i32>(), s.ptr<i32>())); }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- weightChange(sPost, xPre, xPost, sPre, dw, options, gPost, gPre)
// options: { aPost, aPre, alpha, beta, path }. Gains: [B], [B,1], [N_post], [1,N_post] or [B,N_post] (or null).
struct DwCall {
  std::optional<Tensor> s_post, x_pre, x_post, s_pre, g_post, g_pre;
  Tensor dw;
  DwParams p;
  DwPath taken = DwPath::Dense;

  static void gain_strides(const Tensor& g, const char* name, i64 batch, i64 n_post, i64* sb, i64* sj) {
    const auto& s = g.shape;
    if (g.numel() == 1) {
      *sb = 0;
      *sj = 0;
    } else if ((s.size() == 1 && s[0] == batch) || (s.size() == 2 && s[0] == batch && s[1] == 1)) {
      *sb = 1;
      *sj = 0;
    } else if ((s.size() == 1 && s[0] == n_post) || (s.size() == 2 && s[0] == 1 && s[1] == n_post)) {
      *sb = 0;
      *sj = 1;
    } else if (s.size() == 2 && s[0] == batch && s[1] == n_post) {
      *sb = n_post;
      *sj = 1;
    } else
      SPAIC_FAIL(Shape, name, "Expected one element, [B], [B, 1], [N_post], [1, N_post] or [B, N_post] for ", name,
                 " but received shape ", shape_str(s));
  }

  static DwCall parse(const Napi::CallbackInfo& info) {
    DwCall c;
    c.dw = tensor_arg(info, 4, "dw");
    check_float(c.dw, "dw");
    weight_dims(c.dw, "dw", &c.p.n_post, &c.p.n_pre);
    Napi::Object o = obj_arg(info, 5, "options");
    c.p.a_post = finite_field_or(o, "aPost", 1.0, "options.aPost");
    c.p.a_pre = finite_field_or(o, "aPre", 1.0, "options.aPre");
    c.p.alpha = finite_field_or(o, "alpha", 1.0, "options.alpha");
    c.p.beta = finite_field_or(o, "beta", 0.0, "options.beta");
    c.p.path = path_field(o);
    const char* names[4] = {"sPost", "xPre", "xPost", "sPre"};
    std::optional<Tensor>* slots[4] = {&c.s_post, &c.x_pre, &c.x_post, &c.s_pre};
    const bool needed[4] = {c.p.a_post != 0, c.p.a_post != 0, c.p.a_pre != 0, c.p.a_pre != 0};
    const i64 width[4] = {c.p.n_post, c.p.n_pre, c.p.n_post, c.p.n_pre};
    c.p.batch = -1;
    for (int k = 0; k < 4; ++k) {
      *slots[k] = opt_tensor(info, static_cast<size_t>(k), names[k]);
      if (!needed[k]) continue;
      SPAIC_CHECK(slots[k]->has_value(), InvalidArgument, names[k], "Expected a tensor for ", names[k]);
      const Tensor& t = **slots[k];
      check_like(t, c.dw, names[k], "dw");
      const i64 b = batch_of(t, width[k], names[k]);
      if (c.p.batch < 0) c.p.batch = b;
      SPAIC_CHECK(b == c.p.batch, Shape, names[k], "batch of ", names[k], " is ", b, " but another input has ",
                  c.p.batch);
    }
    if (c.p.batch < 0) c.p.batch = 1;
    c.g_post = opt_tensor(info, 6, "gPost");
    c.g_pre = opt_tensor(info, 7, "gPre");
    if (c.g_post) {
      check_like(*c.g_post, c.dw, "gPost", "dw");
      gain_strides(*c.g_post, "gPost", c.p.batch, c.p.n_post, &c.p.gpost_sb, &c.p.gpost_sj);
    }
    if (c.g_pre) {
      check_like(*c.g_pre, c.dw, "gPre", "dw");
      gain_strides(*c.g_pre, "gPre", c.p.batch, c.p.n_post, &c.p.gpre_sb, &c.p.gpre_sj);
    }
    return c;
  }
  Device device() const { return dw.device(); }
  template <typename T>
  void run_t() {
    const Device dev = dw.device();
    if (dev.is_cpu()) {
      taken = cpu::stdp_dw<T>(p, ptr_or_null<T>(s_post), ptr_or_null<T>(x_pre), ptr_or_null<T>(x_post),
                              ptr_or_null<T>(s_pre), ptr_or_null<T>(g_post), ptr_or_null<T>(g_pre), dw.ptr<T>());
    } else {
      use_device(dev);
      SPAIC_CUDA_ONLY(taken = cuda::stdp_dw<T>(p, ptr_or_null<T>(s_post), ptr_or_null<T>(x_pre), ptr_or_null<T>(x_post),
                                               ptr_or_null<T>(s_pre), ptr_or_null<T>(g_post), ptr_or_null<T>(g_pre),
                                               dw.ptr<T>()));
    }
  }
  void run() {
    if (dw.dtype == DType::F32) run_t<float>();
    else run_t<double>();
  }
  Napi::Value result(Napi::Env env) const { return Napi::String::New(env, path_name(taken)); }
};

// --- applyWeightChange(w, dw|null, options{dwScale, normalise, wNorm, zeroRowsNan, lo, hi})
struct ApplyCall {
  Tensor w;
  std::optional<Tensor> dw;
  ApplyParams p;
  static ApplyCall parse(const Napi::CallbackInfo& info) {
    ApplyCall c;
    c.w = tensor_arg(info, 0, "w");
    check_float(c.w, "w");
    weight_dims(c.w, "w", &c.p.n_post, &c.p.n_pre);
    c.dw = opt_tensor(info, 1, "dw");
    if (c.dw) {
      check_like(*c.dw, c.w, "dw", "w");
      SPAIC_CHECK(c.dw->shape == c.w.shape, Shape, "dw", "Expected shape ", shape_str(c.w.shape),
                  " for dw but received ", shape_str(c.dw->shape));
    }
    Napi::Object o = obj_arg(info, 2, "options");
    c.p.dw_scale = finite_field_or(o, "dwScale", 1.0, "options.dwScale");
    Napi::Value wn = o.Get("wNorm");
    c.p.normalise = !(wn.IsUndefined() || wn.IsNull());
    if (c.p.normalise) c.p.w_norm = finite_field(o, "wNorm", "options.wNorm");
    c.p.zero_rows_nan = bool_field_or(o, "zeroRowsNan", false, "options.zeroRowsNan");
    c.p.lo = bound_field(o, "lo", -INFINITY, "options.lo");
    c.p.hi = bound_field(o, "hi", INFINITY, "options.hi");
    SPAIC_CHECK(c.p.lo <= c.p.hi, InvalidArgument, "options.lo", "Expected lo <= hi but received lo = ", c.p.lo,
                ", hi = ", c.p.hi);
    c.p.clamp = std::isfinite(c.p.lo) || std::isfinite(c.p.hi);
    return c;
  }
  Device device() const { return w.device(); }
  void run() const {
    if (w.dtype == DType::F32) SPAIC_DISPATCH(w.device(), apply_dw<float>(p, w.ptr<float>(), ptr_or_null<float>(dw)));
    else SPAIC_DISPATCH(w.device(), apply_dw<double>(p, w.ptr<double>(), ptr_or_null<double>(dw)));
  }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- applyReward(w, e, reward, lr)
struct RewardCall {
  Tensor w, e;
  Reward r;
  RewardParams p;
  static RewardCall parse(const Napi::CallbackInfo& info) {
    RewardCall c;
    c.w = tensor_arg(info, 0, "w");
    check_float(c.w, "w");
    weight_dims(c.w, "w", &c.p.n_post, &c.p.n_pre);
    c.e = tensor_arg(info, 1, "e");
    check_like(c.e, c.w, "e", "w");
    SPAIC_CHECK(c.e.shape == c.w.shape, Shape, "e", "Expected shape ", shape_str(c.w.shape), " for e but received ",
                shape_str(c.e.shape));
    c.r = reward_arg(info, 2, c.w, 1, c.p.n_post, true, false, false);
    c.p.lr = num_arg(info, 3, "lr");
    SPAIC_CHECK(std::isfinite(c.p.lr), InvalidArgument, "lr", "Expected a finite number for lr");
    c.p.shape = c.r.shape;
    c.p.reward_value = c.r.value;
    return c;
  }
  Device device() const { return w.device(); }
  void run() const {
    if (w.dtype == DType::F32)
      SPAIC_DISPATCH(w.device(), apply_reward<float>(p, w.ptr<float>(), e.ptr<float>(), ptr_or_null<float>(r.t)));
    else
      SPAIC_DISPATCH(w.device(), apply_reward<double>(p, w.ptr<double>(), e.ptr<double>(), ptr_or_null<double>(r.t)));
  }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- eligibilityTrace(et, e, options{dE, mE}, w|null, reward, lr)
struct EtraceCall {
  Tensor et, e;
  std::optional<Tensor> w;
  Reward r;
  EtraceParams p;
  static EtraceCall parse(const Napi::CallbackInfo& info) {
    EtraceCall c;
    c.et = tensor_arg(info, 0, "et");
    check_float(c.et, "et");
    weight_dims(c.et, "et", &c.p.n_post, &c.p.n_pre);
    c.e = tensor_arg(info, 1, "e");
    check_like(c.e, c.et, "e", "et");
    SPAIC_CHECK(c.e.shape == c.et.shape, Shape, "e", "Expected shape ", shape_str(c.et.shape), " for e but received ",
                shape_str(c.e.shape));
    Napi::Object o = obj_arg(info, 2, "options");
    c.p.d_e = finite_field(o, "dE", "options.dE");
    c.p.m_e = finite_field(o, "mE", "options.mE");
    c.w = opt_tensor(info, 3, "w");
    if (c.w) {
      check_like(*c.w, c.et, "w", "et");
      SPAIC_CHECK(c.w->shape == c.et.shape, Shape, "w", "Expected shape ", shape_str(c.et.shape),
                  " for w but received ", shape_str(c.w->shape));
      c.p.apply = true;
      c.r = reward_arg(info, 4, c.et, 1, c.p.n_post, true, false, false);
      c.p.shape = c.r.shape;
      c.p.reward_value = c.r.value;
      c.p.lr = num_arg(info, 5, "lr");
      SPAIC_CHECK(std::isfinite(c.p.lr), InvalidArgument, "lr", "Expected a finite number for lr");
    }
    return c;
  }
  Device device() const { return et.device(); }
  void run() const {
    if (et.dtype == DType::F32)
      SPAIC_DISPATCH(et.device(), eligibility_trace<float>(p, et.ptr<float>(), e.ptr<float>(), ptr_or_null<float>(w),
                                                           ptr_or_null<float>(r.t)));
    else
      SPAIC_DISPATCH(et.device(), eligibility_trace<double>(p, et.ptr<double>(), e.ptr<double>(),
                                                            ptr_or_null<double>(w), ptr_or_null<double>(r.t)));
  }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

}  // namespace

void register_stdp_trace(Napi::Object exports) {
  SPAIC_EXPORT(exports, "stdpTraceUpdate", run_sync<TraceCall>);
  SPAIC_EXPORT(exports, "stdpTraceDecay", run_sync<DecayCall>);
  SPAIC_EXPORT(exports, "stdpIntTraceUpdate", run_sync<IntTraceCall>);
  SPAIC_EXPORT(exports, "stdpConvLearnMask", run_sync<ConvMaskCall>);
  SPAIC_EXPORT(exports, "stdpWeightChange", run_sync<DwCall>);
  SPAIC_EXPORT(exports, "stdpWeightChangeAsync", run_async_call<DwCall>);
  SPAIC_EXPORT(exports, "stdpApply", run_sync<ApplyCall>);
  SPAIC_EXPORT(exports, "stdpApplyReward", run_sync<RewardCall>);
  SPAIC_EXPORT(exports, "stdpEligibilityTrace", run_sync<EtraceCall>);
}

}  // namespace spaic::binding

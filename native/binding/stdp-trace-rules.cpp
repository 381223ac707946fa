// binding/stdp-trace-rules.cpp - the STDP family's rule steps (spaic/stdp-trace.h: online, meta, switch,
// rstdp/rstdpet, the integer rule): argument checks and exports, as binding/stdp-trace.cpp does for the
// kernels. Online and meta STDP's options are read through their tables (spaic/params/stdp-trace.h), which
// the program ops stdp_online and stdp_meta read too.
#include <cmath>
#include <cstdint>
#include <optional>

#include "binding/stdp-trace.h"
#include "spaic/params/stdp-trace.h"

namespace spaic::binding {

namespace {

using namespace stdp;
using i32 = std::int32_t;

// Common: w [N_post, N_pre]; pre-side [B, N_pre]; post-side [B, N_post], all one dtype and device.
struct StepDims {
  i64 batch = 1, n_post = 0, n_pre = 0;
};

StepDims step_dims(const Tensor& w, const Tensor& s_pre, const Tensor& s_post) {
  StepDims d;
  weight_dims(w, "w", &d.n_post, &d.n_pre);
  check_like(s_pre, w, "sPre", "w");
  check_like(s_post, w, "sPost", "w");
  d.batch = batch_of(s_pre, d.n_pre, "sPre");
  check_numel(s_post, d.batch * d.n_post, "sPost");
  return d;
}

void check_state(const Tensor& t, const Tensor& w, i64 n, const char* name) {
  check_like(t, w, name, "w");
  check_numel(t, n, name);
}

// --- onlineStep(sPre, sPost, xPre, xPost, w, dw, options)
struct OnlineCall {
  Tensor s_pre, s_post, x_pre, x_post, w, dw;
  OnlineParams p;
  static OnlineCall parse(const Napi::CallbackInfo& info) {
    OnlineCall c;
    c.s_pre = tensor_arg(info, 0, "sPre");
    c.s_post = tensor_arg(info, 1, "sPost");
    c.x_pre = tensor_arg(info, 2, "xPre");
    c.x_post = tensor_arg(info, 3, "xPost");
    c.w = tensor_arg(info, 4, "w");
    c.dw = tensor_arg(info, 5, "dw");
    check_float(c.w, "w");
    StepDims d = step_dims(c.w, c.s_pre, c.s_post);
    check_state(c.x_pre, c.w, d.batch * d.n_pre, "xPre");
    check_state(c.x_post, c.w, d.batch * d.n_post, "xPost");
    check_state(c.dw, c.w, d.n_post * d.n_pre, "dw");
    c.p.batch = d.batch;
    c.p.n_post = d.n_post;
    c.p.n_pre = d.n_pre;
    read_params(obj_arg(info, 6, "options"), "options.", params::kOnline, c.p);
    SPAIC_CHECK(params::bounds_ordered(c.p), InvalidArgument, "options.lo", "Expected lo <= hi");
    return c;
  }
  Device device() const { return w.device(); }
  template <typename T>
  void run_t() const {
    online_step<T>(w.device(), p, s_pre.ptr<T>(), s_post.ptr<T>(), x_pre.ptr<T>(), x_post.ptr<T>(), w.ptr<T>(),
                   dw.ptr<T>());
  }
  void run() const { w.dtype == DType::F32 ? run_t<float>() : run_t<double>(); }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- metaStep(sPre, sPost, xPre, xPost, w, wMean, awMean, dw, options)
struct MetaCall {
  Tensor s_pre, s_post, x_pre, x_post, w, w_mean, aw_mean, dw;
  MetaParams p;
  static MetaCall parse(const Napi::CallbackInfo& info) {
    MetaCall c;
    c.s_pre = tensor_arg(info, 0, "sPre");
    c.s_post = tensor_arg(info, 1, "sPost");
    c.x_pre = tensor_arg(info, 2, "xPre");
    c.x_post = tensor_arg(info, 3, "xPost");
    c.w = tensor_arg(info, 4, "w");
    c.w_mean = tensor_arg(info, 5, "wMean");
    c.aw_mean = tensor_arg(info, 6, "awMean");
    c.dw = tensor_arg(info, 7, "dw");
    check_float(c.w, "w");
    StepDims d = step_dims(c.w, c.s_pre, c.s_post);
    SPAIC_CHECK(d.n_post > 0 && d.n_pre > 0, Shape, "w", "Expected a non-empty weight");
    check_state(c.x_pre, c.w, d.batch * d.n_pre, "xPre");
    check_state(c.x_post, c.w, d.batch * d.n_post, "xPost");
    check_state(c.w_mean, c.w, d.n_post, "wMean");
    check_state(c.aw_mean, c.w, 1, "awMean");
    check_state(c.dw, c.w, d.n_post * d.n_pre, "dw");
    c.p.batch = d.batch;
    c.p.n_post = d.n_post;
    c.p.n_pre = d.n_pre;
    read_params(obj_arg(info, 8, "options"), "options.", params::kMeta, c.p);
    SPAIC_CHECK(params::bounds_ordered(c.p), InvalidArgument, "options.wMin", "Expected wMin <= wMax");
    return c;
  }
  Device device() const { return w.device(); }
  template <typename T>
  void run_t() const {
    meta_step<T>(w.device(), p, s_pre.ptr<T>(), s_post.ptr<T>(), x_pre.ptr<T>(), x_post.ptr<T>(), w.ptr<T>(),
                 w_mean.ptr<T>(), aw_mean.ptr<T>(), dw.ptr<T>());
  }
  void run() const { w.dtype == DType::F32 ? run_t<float>() : run_t<double>(); }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- switchStep(sPre, sPost, reward, xPre, xPost, w, options)
struct SwitchCall {
  Tensor s_pre, s_post, x_pre, x_post, w;
  Reward r;
  SwitchParams p;
  static SwitchCall parse(const Napi::CallbackInfo& info) {
    SwitchCall c;
    c.s_pre = tensor_arg(info, 0, "sPre");
    c.s_post = tensor_arg(info, 1, "sPost");
    c.x_pre = tensor_arg(info, 3, "xPre");
    c.x_post = tensor_arg(info, 4, "xPost");
    c.w = tensor_arg(info, 5, "w");
    check_float(c.w, "w");
    StepDims d = step_dims(c.w, c.s_pre, c.s_post);
    check_state(c.x_pre, c.w, d.batch * d.n_pre, "xPre");
    check_state(c.x_post, c.w, d.batch * d.n_post, "xPost");
    c.r = reward_arg(info, 2, c.w, d.batch, d.n_post, false, true, false);
    c.p.batch = d.batch;
    c.p.n_post = d.n_post;
    c.p.n_pre = d.n_pre;
    c.p.shape = c.r.shape;
    c.p.reward_value = c.r.value;
    read_params(obj_arg(info, 6, "options"), "options.", params::kSwitch, c.p);
    SPAIC_CHECK(params::bounds_ordered(c.p), InvalidArgument, "options.lo", "Expected lo <= hi");
    return c;
  }
  Device device() const { return w.device(); }
  template <typename T>
  void run_t() const {
    switch_step<T>(w.device(), p, s_pre.ptr<T>(), s_post.ptr<T>(), ptr_or_null<T>(r.t), x_pre.ptr<T>(), x_post.ptr<T>(),
                   w.ptr<T>());
  }
  void run() const { w.dtype == DType::F32 ? run_t<float>() : run_t<double>(); }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- rstdpStep(sPre, sPost, reward, pPlus, pMinus, e, et|null, w, sPrePrev|null, sPostPrev|null, options)
struct RstdpCall {
  Tensor s_pre, s_post, p_plus, p_minus, e, w;
  std::optional<Tensor> et, s_pre_prev, s_post_prev;
  Reward r;
  RstdpParams p;
  static RstdpCall parse(const Napi::CallbackInfo& info) {
    RstdpCall c;
    c.s_pre = tensor_arg(info, 0, "sPre");
    c.s_post = tensor_arg(info, 1, "sPost");
    c.p_plus = tensor_arg(info, 3, "pPlus");
    c.p_minus = tensor_arg(info, 4, "pMinus");
    c.e = tensor_arg(info, 5, "e");
    c.et = opt_tensor(info, 6, "et");
    c.w = tensor_arg(info, 7, "w");
    c.s_pre_prev = opt_tensor(info, 8, "sPrePrev");
    c.s_post_prev = opt_tensor(info, 9, "sPostPrev");
    check_float(c.w, "w");
    StepDims d = step_dims(c.w, c.s_pre, c.s_post);
    check_state(c.p_plus, c.w, d.batch * d.n_pre, "pPlus");
    check_state(c.p_minus, c.w, d.batch * d.n_post, "pMinus");
    check_state(c.e, c.w, d.n_post * d.n_pre, "e");
    c.p.eligibility_trace = c.et.has_value();
    if (c.et) check_state(*c.et, c.w, d.n_post * d.n_pre, "et");
    c.r = reward_arg(info, 2, c.w, d.batch, d.n_post, true, !c.et, !c.et);
    const bool per_sample = c.r.shape == RewardShape::PerSample || c.r.shape == RewardShape::PerSamplePost;
    if (per_sample) {
      SPAIC_CHECK(c.s_pre_prev && c.s_post_prev, InvalidArgument, "sPrePrev",
                  "a per-sample reward needs the previous step's spikes (sPrePrev, sPostPrev)");
      check_state(*c.s_pre_prev, c.w, d.batch * d.n_pre, "sPrePrev");
      check_state(*c.s_post_prev, c.w, d.batch * d.n_post, "sPostPrev");
    }
    c.p.batch = d.batch;
    c.p.n_post = d.n_post;
    c.p.n_pre = d.n_pre;
    c.p.shape = c.r.shape;
    c.p.reward_value = c.r.value;
    read_params(obj_arg(info, 10, "options"), "options.", params::kRstdp, c.p);
    return c;
  }
  Device device() const { return w.device(); }
  template <typename T>
  void run_t() const {
    rstdp_step<T>(w.device(), p, s_pre.ptr<T>(), s_post.ptr<T>(), ptr_or_null<T>(r.t), p_plus.ptr<T>(),
                  p_minus.ptr<T>(), e.ptr<T>(), ptr_or_null<T>(et), w.ptr<T>(), ptr_or_null<T>(s_pre_prev),
                  ptr_or_null<T>(s_post_prev));
  }
  void run() const { w.dtype == DType::F32 ? run_t<float>() : run_t<double>(); }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

// --- intStep(sPre, sPost, thresh, draws|null, xPre, xPost, w, options)
struct IntStepCall {
  Tensor s_pre, s_post, thresh, x_pre, x_post, w;
  std::optional<Tensor> draws;
  IntStdpParams p;
  static IntStepCall parse(const Napi::CallbackInfo& info) {
    IntStepCall c;
    c.s_pre = tensor_arg(info, 0, "sPre");
    c.s_post = tensor_arg(info, 1, "sPost");
    c.thresh = tensor_arg(info, 2, "thresh");
    c.draws = opt_tensor(info, 3, "draws");
    c.x_pre = tensor_arg(info, 4, "xPre");
    c.x_post = tensor_arg(info, 5, "xPost");
    c.w = tensor_arg(info, 6, "w");
    check_dtype(c.w, DType::I32, "w");
    StepDims d = step_dims(c.w, c.s_pre, c.s_post);
    check_state(c.x_pre, c.w, d.batch * d.n_pre, "xPre");
    check_state(c.x_post, c.w, d.batch * d.n_post, "xPost");
    check_state(c.thresh, c.w, d.n_post, "thresh");
    if (c.draws) check_state(*c.draws, c.w, 2 * d.batch * d.n_post * d.n_pre, "draws");
    c.p.batch = d.batch;
    c.p.n_post = d.n_post;
    c.p.n_pre = d.n_pre;
    read_params(obj_arg(info, 7, "options"), "options.", params::kIntStdp, c.p);
    const params::Fault f = params::int_stdp_fault(c.p);
    if (f.js) {
      const std::string name = std::string("options.") + f.js;
      SPAIC_FAIL(InvalidArgument, name, "Expected ", f.expected, " for ", name);
    }
    return c;
  }
  Device device() const { return w.device(); }
  void run() const {
    int_stdp_step(w.device(), p, s_pre.ptr<i32>(), s_post.ptr<i32>(), thresh.ptr<i32>(),
                  draws ? draws->ptr<i32>() : nullptr, x_pre.ptr<i32>(), x_post.ptr<i32>(), w.ptr<i32>());
  }
  Napi::Value result(Napi::Env env) const { return env.Undefined(); }
};

}  // namespace

void register_stdp_trace_rules(Napi::Object exports) {
  SPAIC_EXPORT(exports, "stdpOnlineStep", run_sync<OnlineCall>);
  SPAIC_EXPORT(exports, "stdpOnlineStepAsync", run_async_call<OnlineCall>);
  SPAIC_EXPORT(exports, "stdpMetaStep", run_sync<MetaCall>);
  SPAIC_EXPORT(exports, "stdpMetaStepAsync", run_async_call<MetaCall>);
  SPAIC_EXPORT(exports, "stdpSwitchStep", run_sync<SwitchCall>);
  SPAIC_EXPORT(exports, "stdpSwitchStepAsync", run_async_call<SwitchCall>);
  SPAIC_EXPORT(exports, "stdpRstdpStep", run_sync<RstdpCall>);
  SPAIC_EXPORT(exports, "stdpRstdpStepAsync", run_async_call<RstdpCall>);
  SPAIC_EXPORT(exports, "stdpIntStep", run_sync<IntStepCall>);
  SPAIC_EXPORT(exports, "stdpIntStepAsync", run_async_call<IntStepCall>);
}

}  // namespace spaic::binding

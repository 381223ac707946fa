// binding/surrogate-spike.cpp - surrogateForward / surrogateBackward (+ Async): argument checks, then
// spaic::cpu|cuda::surrogate_* (spaic/surrogate-spike.h).
//
//   surrogateForward(kind, x, spikes, alpha, alphaVec|null, threshold, thresholdVec|null, normalized)
//   surrogateBackward(kind, x, upstream, gradX, gradAlpha|null, alpha, alphaVec|null, threshold,
//                     thresholdVec|null, normalized)
// x is viewed as [rows, n] with n its last dimension; the per-neuron vectors hold n values.
#include <cmath>

#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/surrogate-spike.h"

namespace spaic::binding {

namespace {

const Tensor* opt_tensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return &tensor_arg(info, i, name);
}

struct SurrogateJob {
  int kind = 0;
  bool normalized = false;
  double alpha = 0.5, threshold = 0.0;
  Tensor x, upstream, out, grad_alpha, alpha_vec, threshold_vec;
  bool has_upstream = false, has_grad_alpha = false, has_alpha_vec = false, has_threshold_vec = false;
  i64 rows = 0, n = 0;
};

void check_vec(const Tensor& v, const Tensor& x, i64 n, const char* name) {
  check_same_device(x, "x", v, name);
  check_dtype(v, x.dtype, name);
  check_numel(v, n, name);
}

// Reads kind, x and the surrogate parameters; `first_param` is the index of `alpha`.
SurrogateJob parse_common(const Napi::CallbackInfo& info, size_t first_param, bool backward) {
  SurrogateJob j;
  const i64 kind = int_arg(info, 0, "kind");
  SPAIC_CHECK(kind >= 0 && kind < kSurrogateCount, InvalidArgument, "kind", "unknown surrogate code ", kind);
  j.kind = static_cast<int>(kind);
  j.x = tensor_arg(info, 1, "x");
  check_float(j.x, "x");
  SPAIC_CHECK(!j.x.shape.empty(), Shape, "x", "Expected at least one dimension for x");
  j.n = j.x.shape.back();
  j.rows = j.n > 0 ? j.x.numel() / j.n : 0;
  j.alpha = num_arg(info, first_param, "alpha");
  SPAIC_CHECK(std::isfinite(j.alpha), InvalidArgument, "alpha", "Expected a finite number for alpha but received ",
              j.alpha);
  if (const Tensor* a = opt_tensor(info, first_param + 1, "alpha")) {
    check_vec(*a, j.x, j.n, "alpha");
    j.alpha_vec = *a;
    j.has_alpha_vec = true;
  }
  j.threshold = num_arg(info, first_param + 2, "threshold");
  SPAIC_CHECK(std::isfinite(j.threshold), InvalidArgument, "threshold",
              "Expected a finite number for threshold but received ", j.threshold);
  if (const Tensor* th = opt_tensor(info, first_param + 3, "threshold")) {
    check_vec(*th, j.x, j.n, "threshold");
    j.threshold_vec = *th;
    j.has_threshold_vec = true;
  }
  j.normalized = bool_arg(info, first_param + 4, "normalized");
  SPAIC_CHECK(
      !j.normalized || j.kind == static_cast<int>(Surrogate::STCA) || j.kind == static_cast<int>(Surrogate::STBP),
      InvalidArgument, "normalized", "the normalised variant exists for STCA and STBP only");
  (void)backward;
  return j;
}

template <typename T>
SurrogateCall<T> make_call(const SurrogateJob& j) {
  SurrogateCall<T> c;
  c.sg.kind = j.kind;
  c.sg.normalized = j.normalized;
  c.sg.alpha = static_cast<T>(j.alpha);
  c.sg.alpha_per_neuron = j.has_alpha_vec ? j.alpha_vec.ptr<T>() : nullptr;
  c.threshold = static_cast<T>(j.threshold);
  c.threshold_per_neuron = j.has_threshold_vec ? j.threshold_vec.ptr<T>() : nullptr;
  c.rows = j.rows;
  c.n = j.n;
  return c;
}

void run_forward(const SurrogateJob& j) {
  const Device dev = j.x.device();
  if (j.x.dtype == DType::F32)
    SPAIC_DISPATCH(dev, surrogate_forward<float>(make_call<float>(j), j.x.ptr<float>(), j.out.ptr<float>()));
  else SPAIC_DISPATCH(dev, surrogate_forward<double>(make_call<double>(j), j.x.ptr<double>(), j.out.ptr<double>()));
}

void run_backward(const SurrogateJob& j) {
  const Device dev = j.x.device();
  if (j.x.dtype == DType::F32) {
    SPAIC_DISPATCH(
        dev, surrogate_backward<float>(make_call<float>(j), j.x.ptr<float>(), j.upstream.ptr<float>(),
                                       j.out.ptr<float>(), j.has_grad_alpha ? j.grad_alpha.ptr<float>() : nullptr));
  } else {
    SPAIC_DISPATCH(
        dev, surrogate_backward<double>(make_call<double>(j), j.x.ptr<double>(), j.upstream.ptr<double>(),
                                        j.out.ptr<double>(), j.has_grad_alpha ? j.grad_alpha.ptr<double>() : nullptr));
  }
}

SurrogateJob parse_forward(const Napi::CallbackInfo& info) {
  SurrogateJob j = parse_common(info, 3, false);
  j.out = tensor_arg(info, 2, "spikes");
  check_same_device(j.x, "x", j.out, "spikes");
  check_dtype(j.out, j.x.dtype, "spikes");
  check_numel(j.out, j.x.numel(), "spikes");
  return j;
}

SurrogateJob parse_backward(const Napi::CallbackInfo& info) {
  SurrogateJob j = parse_common(info, 5, true);
  j.upstream = tensor_arg(info, 2, "upstream");
  check_same_device(j.x, "x", j.upstream, "upstream");
  check_dtype(j.upstream, j.x.dtype, "upstream");
  SPAIC_CHECK(j.upstream.shape == j.x.shape, Shape, "upstream", "Expected shape ", shape_str(j.x.shape),
              " for upstream but received ", shape_str(j.upstream.shape));
  j.out = tensor_arg(info, 3, "gradX");
  check_same_device(j.x, "x", j.out, "gradX");
  check_dtype(j.out, j.x.dtype, "gradX");
  check_numel(j.out, j.x.numel(), "gradX");
  if (const Tensor* ga = opt_tensor(info, 4, "gradAlpha")) {
    SPAIC_CHECK(surrogate_has_alpha_grad(j.kind), InvalidArgument, "alphaGrad",
                "this surrogate has no alpha gradient (only AtanGrad and ReLUGrad have one)");
    check_same_device(j.x, "x", *ga, "gradAlpha");
    check_dtype(*ga, j.x.dtype, "gradAlpha");
    check_numel(*ga, j.has_alpha_vec ? j.n : 1, "gradAlpha");
    j.grad_alpha = *ga;
    j.has_grad_alpha = true;
  }
  return j;
}

void finish(const SurrogateJob& j) {
  if (j.x.device().is_cuda()) gpu::synchronize(j.x.device().index);
}

Napi::Value SurrogateForward(const Napi::CallbackInfo& info) {
  run_forward(parse_forward(info));
  return info.Env().Undefined();
}

Napi::Value SurrogateForwardAsync(const Napi::CallbackInfo& info) {
  SurrogateJob j = parse_forward(info);
  return run_async(info.Env(), [j]() {
    run_forward(j);
    finish(j);
  });
}

Napi::Value SurrogateBackward(const Napi::CallbackInfo& info) {
  run_backward(parse_backward(info));
  return info.Env().Undefined();
}

Napi::Value SurrogateBackwardAsync(const Napi::CallbackInfo& info) {
  SurrogateJob j = parse_backward(info);
  return run_async(info.Env(), [j]() {
    run_backward(j);
    finish(j);
  });
}

}  // namespace

void register_surrogate_spike(Napi::Object exports) {
  SPAIC_EXPORT(exports, "surrogateForward", SurrogateForward);
  SPAIC_EXPORT(exports, "surrogateForwardAsync", SurrogateForwardAsync);
  SPAIC_EXPORT(exports, "surrogateBackward", SurrogateBackward);
  SPAIC_EXPORT(exports, "surrogateBackwardAsync", SurrogateBackwardAsync);
}

}  // namespace spaic::binding

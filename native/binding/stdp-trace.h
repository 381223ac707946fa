// binding/stdp-trace.h - what the STDP family's two binding files share (binding/stdp-trace.cpp: the
// kernels; binding/stdp-trace-rules.cpp: the rule steps): option readers, shape checks, the reward
// argument, and the sync/async runners. Internal to native/binding.
#pragma once

#include <memory>
#include <optional>

#include "binding/napi-util.h"
#include "spaic/stdp-trace.h"

namespace spaic::binding::stdp {

std::optional<Tensor> opt_tensor(const Napi::CallbackInfo& info, size_t i, const char* name);
double finite_field(const Napi::Object& o, const char* key, const char* param);
double finite_field_or(const Napi::Object& o, const char* key, double fallback, const char* param);
bool bool_field_or(const Napi::Object& o, const char* key, bool fallback, const char* param);
// A bound: a number (possibly +-Infinity) or null/undefined for none.
double bound_field(const Napi::Object& o, const char* key, double none, const char* param);
DwPath path_field(const Napi::Object& o);

void check_like(const Tensor& t, const Tensor& ref, const char* name, const char* ref_name);
// The weight-like tensor fixes [N_post, N_pre].
void weight_dims(const Tensor& w, const char* name, i64* n_post, i64* n_pre);
i64 batch_of(const Tensor& x, i64 n, const char* name);

// Reward: a number, or a tensor shaped as one of `allowed` (see RewardShape).
struct Reward {
  RewardShape shape = RewardShape::Value;
  double value = 0.0;
  std::optional<Tensor> t;
};

Reward reward_arg(const Napi::CallbackInfo& info, size_t i, const Tensor& like, i64 batch, i64 n_post, bool per_post,
                  bool per_sample, bool per_sample_post);

template <typename T>
T* ptr_or_null(const std::optional<Tensor>& t) {
  return t ? t->ptr<T>() : nullptr;
}

void sync_device(Device dev);

// Runs C::run now, or on a worker thread for the *Async form.
template <typename C>
Napi::Value run_sync(const Napi::CallbackInfo& info) {
  C c = C::parse(info);
  c.run();
  return c.result(info.Env());
}

template <typename C>
Napi::Value run_async_call(const Napi::CallbackInfo& info) {
  auto c = std::make_shared<C>(C::parse(info));
  return run_async(
      info.Env(),
      [c]() {
        c->run();
        sync_device(c->device());
      },
      [c](Napi::Env env) { return c->result(env); });
}

}  // namespace spaic::binding::stdp

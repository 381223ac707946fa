// binding/napi-util.cpp - see napi-util.h.
#include "binding/napi-util.h"

#include <cmath>
#include <sstream>

#include "spaic/device.h"

namespace spaic::binding {

Napi::Error make_error(Napi::Env env, const Error& e) {
  auto* data = env.GetInstanceData<AddonData>();
  int idx = static_cast<int>(e.kind());
  if (e.kind() == ErrorKind::Internal) idx = 5;
  if (data && !data->errors[idx].IsEmpty()) {
    Napi::Object opts = Napi::Object::New(env);
    if (!e.param().empty()) opts.Set("param", e.param());
    Napi::Object err = data->errors[idx].New({Napi::String::New(env, e.what()), opts});
    return Napi::Error(env, err);
  }
  Napi::Error err = Napi::Error::New(env, e.what());
  if (!e.param().empty()) err.Set("param", e.param());
  return err;
}

static Napi::Value arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  SPAIC_CHECK(i < info.Length(), InvalidArgument, name, "missing argument ", name);
  return info[i];
}

double num_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i, name);
  SPAIC_CHECK(v.IsNumber(), InvalidArgument, name, "Expected a number for ", name);
  return v.As<Napi::Number>().DoubleValue();
}

i64 int_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = num_arg(info, i, name);
  SPAIC_CHECK(std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15, InvalidArgument, name,
              "Expected an integer for ", name, " but received ", d);
  return static_cast<i64>(d);
}

bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i, name);
  SPAIC_CHECK(v.IsBoolean(), InvalidArgument, name, "Expected a boolean for ", name);
  return v.As<Napi::Boolean>().Value();
}

std::string str_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i, name);
  SPAIC_CHECK(v.IsString(), InvalidArgument, name, "Expected a string for ", name);
  return v.As<Napi::String>().Utf8Value();
}

Napi::Object obj_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i, name);
  SPAIC_CHECK(v.IsObject(), InvalidArgument, name, "Expected an object for ", name);
  return v.As<Napi::Object>();
}

double num_field(const Napi::Object& o, const char* key, const char* param) {
  Napi::Value v = o.Get(key);
  SPAIC_CHECK(v.IsNumber(), InvalidArgument, param, "Expected a number for ", param, ".", key);
  return v.As<Napi::Number>().DoubleValue();
}

double num_field_or(const Napi::Object& o, const char* key, double fallback, const char* param) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  SPAIC_CHECK(v.IsNumber(), InvalidArgument, param, "Expected a number for ", param, ".", key);
  return v.As<Napi::Number>().DoubleValue();
}

bool ObjectParams::number(const char* name, params::Check c, double* v) {
  Napi::Value x = o_.Get(name);
  const bool nullable = c == params::Check::FiniteOrNone || c == params::Check::Bound || c == params::Check::IntBound;
  if (x.IsUndefined() || (nullable && x.IsNull())) return false;
  if (c == params::Check::Bound || c == params::Check::IntBound) {
    SPAIC_CHECK(x.IsNumber(), InvalidArgument, param(name), "Expected a number or null for ", param(name));
  } else {
    SPAIC_CHECK(x.IsNumber(), InvalidArgument, param(name), "Expected a number for ", param(name), ".", name);
  }
  *v = x.As<Napi::Number>().DoubleValue();
  return true;
}

bool ObjectParams::flag(const char* name, bool* v) {
  Napi::Value x = o_.Get(name);
  if (x.IsUndefined()) return false;
  SPAIC_CHECK(x.IsBoolean(), InvalidArgument, param(name), "Expected a boolean for ", param(name));
  *v = x.As<Napi::Boolean>().Value();
  return true;
}

bool ObjectParams::text(const char* name, const char* const* choices, std::string* v) {
  Napi::Value x = o_.Get(name);
  if (x.IsUndefined()) return false;
  SPAIC_CHECK(x.IsString(), InvalidArgument, param(name), "Expected ", params::choice_list(choices), " for ",
              param(name));
  *v = x.As<Napi::String>().Utf8Value();
  return true;
}

void ObjectParams::bad(const char* name, params::Check c, double v, double lo, double hi) {
  const std::string p = param(name);
  switch (c) {
    case params::Check::Bound: SPAIC_FAIL(InvalidArgument, p, "Expected a number or null for ", p, " but received NaN");
    case params::Check::Int32:
      if (params::int32_range(lo, hi)) SPAIC_FAIL(InvalidArgument, p, "Expected an int32 for ", p, " but received ", v);
      SPAIC_FAIL(InvalidArgument, p, "Expected an integer in [", static_cast<long long>(lo), ", ",
                 static_cast<long long>(hi), "] for ", p, " but received ", v);
    case params::Check::IntBound:
      SPAIC_FAIL(InvalidArgument, p, "Expected an integer in [", static_cast<long long>(lo), ", ",
                 static_cast<long long>(hi), "], +-Infinity or null for ", p, " but received ", v);
    default: SPAIC_FAIL(InvalidArgument, p, "Expected a finite number for ", p, " but received ", v);
  }
}

void ObjectParams::bad_choice(const char* name, const char* const* choices, const std::string& v) {
  const std::string p = param(name);
  SPAIC_FAIL(InvalidArgument, p, "Expected ", params::choice_list(choices), " for ", p, " but received '", v, "'");
}

std::vector<i64> shape_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = arg(info, i, name);
  SPAIC_CHECK(v.IsArray(), InvalidArgument, name, "Expected an array of dimensions for ", name);
  Napi::Array a = v.As<Napi::Array>();
  std::vector<i64> s(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value d = a.Get(k);
    SPAIC_CHECK(d.IsNumber(), InvalidArgument, name, "Expected integer dimensions for ", name);
    double x = d.As<Napi::Number>().DoubleValue();
    SPAIC_CHECK(x >= 0 && x == std::floor(x) && x < 2147483648.0, InvalidArgument, name,
                "Expected non-negative integer dimensions for ", name, " but received ", x);
    s[k] = static_cast<i64>(x);
  }
  checked_numel(s, 1, name);  // the element count itself must not wrap (byte sizes are checked at allocation)
  return s;
}

std::string shape_str(const std::vector<i64>& s) {
  std::ostringstream os;
  os << '[';
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << ']';
  return os.str();
}

void check_same_device(const Tensor& a, const char* an, const Tensor& b, const char* bn) {
  SPAIC_CHECK(a.device() == b.device(), Device, bn, bn, " is on ", b.device().name(), " but ", an, " is on ",
              a.device().name());
}

void check_dtype(const Tensor& t, DType want, const char* name) {
  SPAIC_CHECK(t.dtype == want, InvalidArgument, name, "Expected ", dtype_name(want), " for ", name, " but received ",
              dtype_name(t.dtype));
}

void check_float(const Tensor& t, const char* name) {
  SPAIC_CHECK(dtype_is_float(t.dtype), InvalidArgument, name, "Expected a float32 or float64 tensor for ", name,
              " but received ", dtype_name(t.dtype));
}

void check_numel(const Tensor& t, i64 n, const char* name) {
  SPAIC_CHECK(t.numel() == n, Shape, name, "Expected ", n, " elements for ", name, " but received ", t.numel(),
              " (shape ", shape_str(t.shape), ")");
}

void use_device(Device dev) {
  if (dev.is_cuda()) gpu::set_current(dev.index);
}

namespace {

class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> result)
      : Napi::AsyncWorker(env, "spaic:job"),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        result_(std::move(result)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (const Error& e) {
      error_ = e;
    } catch (const std::bad_alloc&) {
      error_ = Error(ErrorKind::Device, "", "out of host memory");
    } catch (const std::exception& e) {
      error_ = Error(ErrorKind::Internal, "", e.what());
    } catch (...) {
      error_ = Error(ErrorKind::Internal, "", "an unknown native exception");
    }
  }
  // Settles the promise on the JS thread. When the environment is going away (a worker thread that
  // was terminated or called process.exit while this job ran), no JS can run: settling then fails with
  // a Napi::Error, which must not escape (it would reach std::terminate and take the process down).
  // The job is dropped quietly instead; its result has nobody left to receive it.
  void OnWorkComplete(Napi::Env env, napi_status status) override {
    try {
      if (status != napi_cancelled) {
        Napi::HandleScope scope(env);
        settle(env);
      }
    } catch (...) {
      // The environment is shutting down.
    }
    Destroy();
  }

 private:
  void settle(Napi::Env env) {
    if (error_) {
      deferred_.Reject(make_error(env, *error_).Value());
      return;
    }
    try {
      deferred_.Resolve(result_ ? result_(env) : env.Undefined());
    } catch (const Error& e) {
      deferred_.Reject(make_error(env, e).Value());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  Napi::Promise::Deferred deferred_;
  std::function<void()> work_;
  std::function<Napi::Value(Napi::Env)> result_;
  std::optional<Error> error_;
};

}  // namespace

Napi::Promise run_async(Napi::Env env, std::function<void()> work, std::function<Napi::Value(Napi::Env)> result) {
  auto* job = new Job(env, std::move(work), std::move(result));
  Napi::Promise p = job->promise();
  job->Queue();
  return p;
}

}  // namespace spaic::binding

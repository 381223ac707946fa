// binding/napi-util.h - the boundary: typed errors, argument readers, tensor unwrapping, async jobs.
// Only native/binding/ includes napi.h.
#pragma once

#include <napi.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "spaic/dispatch.h"  // SPAIC_DISPATCH, SPAIC_DISPATCH_TO, SPAIC_CUDA_ONLY
#include "spaic/error.h"
#include "spaic/params.h"
#include "spaic/tensor.h"

namespace spaic::binding {

// Per-environment state: the JS error classes handed over by lib/native.ts, and the tensor class.
struct AddonData {
  Napi::FunctionReference errors[6];  // indexed by ErrorKind; [5] = SpaicError
  Napi::FunctionReference tensor_ctor;
};

Napi::Error make_error(Napi::Env env, const Error& e);

// Wraps a binding function so every C++ failure becomes a typed JS error (never a crash).
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Error& e) {
    throw make_error(info.Env(), e);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw make_error(info.Env(), Error(ErrorKind::Device, "", "out of host memory"));
  } catch (const std::exception& e) {
    throw make_error(info.Env(), Error(ErrorKind::Internal, "", e.what()));
  }
}

// --- argument readers (the TS layer validates first; these re-check and name the parameter)
double num_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
i64 int_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
bool bool_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::string str_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
std::vector<i64> shape_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Object obj_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
double num_field(const Napi::Object& o, const char* key, const char* param);
double num_field_or(const Napi::Object& o, const char* key, double fallback, const char* param);

// The binding's side of spaic/params.h: values from an options object, errors naming `prefix` + the JS
// name (prefix "options." or "params.", as the TS layer names them).
class ObjectParams final : public params::Source {
 public:
  ObjectParams(const Napi::Object& o, std::string prefix) : Source(true), o_(o), prefix_(std::move(prefix)) {}
  bool number(const char* name, params::Check c, double* v) override;
  bool flag(const char* name, bool* v) override;
  bool text(const char* name, const char* const* choices, std::string* v) override;
  [[noreturn]] void bad(const char* name, params::Check c, double v, double lo, double hi) override;
  [[noreturn]] void bad_choice(const char* name, const char* const* choices, const std::string& v) override;

 private:
  std::string param(const char* name) const { return prefix_ + name; }
  Napi::Object o_;
  std::string prefix_;
};

// Reads a params struct through its table (spaic/params/<family>.h), by the JS names.
template <class P, std::size_t N>
void read_params(const Napi::Object& o, const char* prefix, const params::Row<P> (&rows)[N], P& p) {
  ObjectParams src(o, prefix);
  params::read(rows, src, p);
}

// Unwraps a NativeTensor argument; StateError if disposed, InvalidArgument if not a tensor.
const Tensor& tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
Napi::Object wrap_tensor(Napi::Env env, Tensor t);

void check_same_device(const Tensor& a, const char* an, const Tensor& b, const char* bn);
void check_dtype(const Tensor& t, DType want, const char* name);
void check_float(const Tensor& t, const char* name);
void check_numel(const Tensor& t, i64 n, const char* name);
std::string shape_str(const std::vector<i64>& s);

// Makes `dev` current for the kernel launches that follow (no-op on the CPU).
void use_device(Device dev);

// --- async jobs: `work` runs on a libuv pool thread with no N-API access; the promise resolves to
// `result(env)` (undefined when null) or rejects with the typed error `work` threw.
Napi::Promise run_async(Napi::Env env, std::function<void()> work,
                        std::function<Napi::Value(Napi::Env)> result = nullptr);

}  // namespace spaic::binding

// Registers `name` -> guarded<fn> on `exports`.
#define SPAIC_EXPORT(exports, name, fn) \
  (exports).Set(name, Napi::Function::New((exports).Env(), ::spaic::binding::guarded<fn>, name))

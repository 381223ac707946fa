// binding/addon.cpp - module entry: the export table, error-class registration and backends().
#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/ops.h"

namespace spaic::binding {

void register_tensor(Napi::Env env, Napi::Object exports);
void register_elementwise(Napi::Object exports);
void register_reduce(Napi::Object exports);
void register_gemm(Napi::Object exports);
void register_kernels(Napi::Object exports);  // binding/kernels.cpp: the op families of the learners

namespace {

// init({ InvalidArgumentError, ShapeError, DeviceError, StateError, IOError, SpaicError })
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Object classes = obj_arg(info, 0, "classes");
  auto* data = info.Env().GetInstanceData<AddonData>();
  const char* names[6] = {"InvalidArgumentError", "ShapeError", "DeviceError", "StateError", "IOError", "SpaicError"};
  for (int i = 0; i < 6; ++i) {
    Napi::Value v = classes.Get(names[i]);
    SPAIC_CHECK(v.IsFunction(), InvalidArgument, names[i], "Expected a class for ", names[i]);
    data->errors[i] = Napi::Persistent(v.As<Napi::Function>());
  }
  return info.Env().Undefined();
}

Napi::Value Backends(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  Napi::Object cpuo = Napi::Object::New(env);
  cpuo.Set("compiled", true);
  cpuo.Set("available", true);
  cpuo.Set("threads", cpu::num_threads());
  cpuo.Set("blas", cpu::blas_name());
  // The instruction-set level the CPU code was compiled for (CMake's SPAIC_CPU) and the widest vector
  // extension that level lets the compiler use, read from the compiler's own predefined macros.
#define SPAIC_STRINGIFY2(x) #x
#define SPAIC_STRINGIFY(x) SPAIC_STRINGIFY2(x)
#if defined(SPAIC_CPU_TARGET)
  cpuo.Set("target", SPAIC_CPU_TARGET);
#elif defined(SPAIC_CPU_NAME)  // node-gyp passes the level unquoted
  cpuo.Set("target", SPAIC_STRINGIFY(SPAIC_CPU_NAME));
#else
  cpuo.Set("target", "none");
#endif
#if defined(__AVX512F__)
  cpuo.Set("vector", "avx512");
#elif defined(__AVX2__)
  cpuo.Set("vector", "avx2");
#elif defined(__AVX__)
  cpuo.Set("vector", "avx");
#elif defined(__SSE4_2__)
  cpuo.Set("vector", "sse4.2");
#elif defined(__ARM_NEON)
  cpuo.Set("vector", "neon");
#else
  cpuo.Set("vector", "baseline");
#endif
#if defined(_OPENMP)
  cpuo.Set("openmp", true);
#else
  cpuo.Set("openmp", false);
#endif
  out.Set("cpu", cpuo);
  gpu::Info gi = gpu::probe();
  Napi::Object cu = Napi::Object::New(env);
  cu.Set("compiled", gi.compiled);
  cu.Set("available", gi.device_count > 0);
  cu.Set("deviceCount", gi.device_count);
  cu.Set("status", gi.status);
  cu.Set("reason", gi.device_count > 0 ? env.Null() : Napi::String::New(env, gi.message));
  cu.Set("runtimeVersion", gi.runtime_version);
  cu.Set("driverVersion", gi.driver_version);
  Napi::Array devs = Napi::Array::New(env);
  for (int d = 0; d < gi.device_count; ++d) devs.Set(static_cast<uint32_t>(d), gpu::device_name(d));
  cu.Set("devices", devs);
  // Devices lost to a sticky error (every later call on them throws a DeviceError quoting it).
  Napi::Object unusable = Napi::Object::New(env);
  for (const auto& [dev, why] : gi.unusable) unusable.Set(std::to_string(dev), why);
  cu.Set("unusable", unusable);
  out.Set("cuda", cu);
  return out;
}

Napi::Value MemoryStats(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cudaBytesInUse", static_cast<double>(gpu::bytes_in_use()));
  o.Set("cudaBytesCached", static_cast<double>(gpu::bytes_cached()));
  return o;
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  gpu::empty_cache();
  return info.Env().Undefined();
}

// debugCudaFault(device): the GPU check's way to exercise sticky-error handling (see spaic/device.h).
Napi::Value DebugCudaFault(const Napi::CallbackInfo& info) {
  const i64 dev = int_arg(info, 0, "device");
  SPAIC_CHECK(dev >= 0, InvalidArgument, "device", "Expected a CUDA device index");
  gpu::debug_fault(static_cast<int>(dev));
  return info.Env().Undefined();
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  i64 dev = int_arg(info, 0, "device");
  if (dev >= 0) gpu::synchronize(static_cast<int>(dev));
  return info.Env().Undefined();
}

}  // namespace

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  SPAIC_EXPORT(exports, "init", Init);
  SPAIC_EXPORT(exports, "backends", Backends);
  SPAIC_EXPORT(exports, "memoryStats", MemoryStats);
  SPAIC_EXPORT(exports, "emptyCache", EmptyCache);
  SPAIC_EXPORT(exports, "synchronize", Synchronize);
  SPAIC_EXPORT(exports, "debugCudaFault", DebugCudaFault);
  register_tensor(env, exports);
  register_elementwise(exports);
  register_reduce(exports);
  register_gemm(exports);
  register_kernels(exports);
  return exports;
}

}  // namespace spaic::binding

static Napi::Object SpaicInit(Napi::Env env, Napi::Object exports) { return spaic::binding::InitModule(env, exports); }
NODE_API_MODULE(spaic_learning, SpaicInit)

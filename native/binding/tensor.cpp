// binding/tensor.cpp - NativeTensor: the JS handle of a spaic::Tensor (lib/runtime/tensor.ts wraps it).
//
// The handle owns a shared_ptr to the storage: dispose() drops it at once, the finalizer drops it when
// the handle is collected, and async work that captured the storage keeps it alive until it finishes.
#include <cstring>

#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/ops.h"

namespace spaic::binding {

namespace {

// Every NativeTensor object carries this tag (napi_type_tag_object): the brand check that tells a real
// handle from a Proxy of one, an object given its prototype, or another addon's wrapped object, without
// running any JavaScript (no proxy trap, no getter).
constexpr napi_type_tag kTensorTag = {0x73706169635f7465ULL, 0x6e736f725f763031ULL};

class NativeTensor : public Napi::ObjectWrap<NativeTensor> {
 public:
  // The methods and the `disposed` getter are plain functions on the prototype that check `this`
  // themselves. (ObjectWrap's InstanceMethod installs them behind a V8 signature, whose check of a wrong
  // receiver is a bare TypeError, "Illegal invocation", instead of the package's typed error.)
  static Napi::Function Define(Napi::Env env) {
    Napi::Function ctor = DefineClass(env, "NativeTensor", {});
    Napi::Object proto = ctor.Get("prototype").As<Napi::Object>();
    proto.DefineProperties({
        Napi::PropertyDescriptor::Function(env, proto, "dispose", Method<&NativeTensor::Dispose>),
        Napi::PropertyDescriptor::Function(env, proto, "write", Method<&NativeTensor::Write>),
        Napi::PropertyDescriptor::Function(env, proto, "read", Method<&NativeTensor::Read>),
        Napi::PropertyDescriptor::Function(env, proto, "copyFrom", Method<&NativeTensor::CopyFrom>),
        Napi::PropertyDescriptor::Function(env, proto, "fill", Method<&NativeTensor::Fill>),
        Napi::PropertyDescriptor::Function(env, proto, "reshape", Method<&NativeTensor::Reshape>),
        Napi::PropertyDescriptor::Function(env, proto, "narrow", Method<&NativeTensor::Narrow>),
        Napi::PropertyDescriptor::Accessor<Method<&NativeTensor::Disposed>>("disposed"),
    });
    return ctor;
  }

  // The handle behind `v`, or null when `v` is not a NativeTensor made by this addon.
  static NativeTensor* of(const Napi::Value& v) {
    if (!v.IsObject()) return nullptr;
    Napi::Object o = v.As<Napi::Object>();
    if (!o.CheckTypeTag(&kTensorTag)) return nullptr;
    return Unwrap(o);
  }

  // new NativeTensor(dtype, shape, deviceIndex, zero)
  explicit NativeTensor(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeTensor>(info) {
    info.This().As<Napi::Object>().TypeTag(&kTensorTag);
    if (info.Length() == 0) return;  // wrap_tensor() fills it in
    try {
      int64_t code = int_arg(info, 0, "dtype");
      SPAIC_CHECK(code >= 0 && code <= 3, InvalidArgument, "dtype", "unknown dtype code ", code);
      std::vector<i64> shape = shape_arg(info, 1, "shape");
      Device dev{static_cast<int>(int_arg(info, 2, "device"))};
      if (dev.is_cuda()) {
        gpu::Info gi = gpu::probe();
        SPAIC_CHECK(gi.compiled, Device, "device", "CUDA is not available: ", gi.message);
        SPAIC_CHECK(dev.index < gi.device_count, Device, "device", "cuda:", dev.index, " is not available (",
                    gi.device_count, " CUDA device(s)", gi.message.empty() ? "" : ": " + gi.message, ")");
      }
      t_ = make_tensor(static_cast<DType>(code), std::move(shape), dev, bool_arg(info, 3, "zero"));
      account();
    } catch (const Error& e) {
      throw make_error(info.Env(), e);
    }
  }
  ~NativeTensor() override { unaccount(); }

  Tensor& tensor(const char* name) {
    SPAIC_CHECK(t_.storage != nullptr, State, name, name, " was used after dispose()");
    return t_;
  }
  void set(Tensor t) {
    unaccount();
    t_ = std::move(t);
    account();
  }

  // What typeof says of `v` (nothing in it runs JavaScript), for the message about a wrong `this`.
  static const char* kind_of(const Napi::Value& v) {
    switch (v.Type()) {
      case napi_undefined: return "undefined";
      case napi_null: return "null";
      case napi_boolean: return "a boolean";
      case napi_number: return "a number";
      case napi_string: return "a string";
      case napi_symbol: return "a symbol";
      case napi_function: return "a function";
      case napi_external: return "an external";
      case napi_bigint: return "a bigint";
      default: return "an object that is not a tensor handle (a Proxy of one, or an object with its prototype)";
    }
  }

 private:
  template <Napi::Value (NativeTensor::*M)(const Napi::CallbackInfo&)>
  static Napi::Value Method(const Napi::CallbackInfo& info) {
    try {
      NativeTensor* self = of(info.This());
      SPAIC_CHECK(self != nullptr, InvalidArgument, "this", "Expected a NativeTensor for this but received ",
                  kind_of(info.This()));
      return (self->*M)(info);
    } catch (const Error& e) {
      throw make_error(info.Env(), e);
    } catch (const std::bad_alloc&) {
      throw make_error(info.Env(), Error(ErrorKind::Device, "", "out of host memory"));
    }
  }

  // The garbage collector learns of the native bytes a handle keeps alive, so that a program which
  // drops tensors without dispose() still triggers collection (and so the finalizers that free them).
  // The handle that holds a storage alone when it is wrapped (a new tensor) reports its bytes; views
  // and handles to shared storage report nothing, so no byte counts twice.
  void account() {
    if (!t_.storage || t_.storage.use_count() != 1 || t_.storage->bytes() == 0) return;
    accounted_ = static_cast<int64_t>(t_.storage->bytes());
    try {
      Napi::MemoryManagement::AdjustExternalMemory(Env(), accounted_);
    } catch (...) {
      accounted_ = 0;
    }
  }
  void unaccount() {
    if (accounted_ == 0) return;
    try {
      Napi::MemoryManagement::AdjustExternalMemory(Env(), -accounted_);
    } catch (...) {
      // The environment is shutting down; its counters go with it.
    }
    accounted_ = 0;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    t_.storage.reset();
    unaccount();
    return info.Env().Undefined();
  }
  Napi::Value Disposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !t_.storage); }

  // write(typedArray): host -> tensor, same byte count.
  Napi::Value Write(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Tensor& t = tensor("tensor");
      SPAIC_CHECK(info.Length() > 0 && info[0].IsTypedArray(), InvalidArgument, "data", "Expected a typed array");
      Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
      const size_t bytes = ta.ByteLength();
      SPAIC_CHECK(bytes == t.bytes(), Shape, "data", "Expected ", t.numel(), " elements (", t.bytes(),
                  " bytes) for data but received ", bytes, " bytes");
      const uint8_t* src = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      if (bytes == 0) return info.Env().Undefined();
      if (t.device().is_cpu()) std::memcpy(t.raw(), src, bytes);
      else gpu::copy_h2d(t.device().index, t.raw(), src, bytes);
      return info.Env().Undefined();
    });
  }

  // read(typedArray): tensor -> host.
  Napi::Value Read(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Tensor& t = tensor("tensor");
      SPAIC_CHECK(info.Length() > 0 && info[0].IsTypedArray(), InvalidArgument, "out", "Expected a typed array");
      Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
      SPAIC_CHECK(ta.ByteLength() == t.bytes(), Shape, "out", "Expected ", t.bytes(), " bytes for out");
      uint8_t* dst = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      if (t.bytes() == 0) return info.Env().Undefined();
      if (t.device().is_cpu()) std::memcpy(dst, t.raw(), t.bytes());
      else gpu::copy_d2h(t.device().index, dst, t.raw(), t.bytes());
      return info.Env().Undefined();
    });
  }

  // copyFrom(other): same dtype and element count, any devices.
  Napi::Value CopyFrom(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Tensor& t = tensor("tensor");
      const Tensor& src = tensor_arg(info, 0, "src");
      check_dtype(src, t.dtype, "src");
      check_numel(src, t.numel(), "src");
      copy_bytes(t, src);
      return info.Env().Undefined();
    });
  }

  // fill(value)
  Napi::Value Fill(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Tensor& t = tensor("tensor");
      double v = num_arg(info, 0, "value");
      const i64 n = t.numel();
      switch (t.dtype) {
        case DType::F32: SPAIC_DISPATCH(t.device(), fill<float>(t.ptr<float>(), static_cast<float>(v), n)); break;
        case DType::F64: SPAIC_DISPATCH(t.device(), fill<double>(t.ptr<double>(), v, n)); break;
        case DType::I32: SPAIC_DISPATCH(t.device(), fill<int32_t>(t.ptr<int32_t>(), static_cast<int32_t>(v), n)); break;
        case DType::U8: SPAIC_DISPATCH(t.device(), fill<uint8_t>(t.ptr<uint8_t>(), static_cast<uint8_t>(v), n)); break;
      }
      return info.Env().Undefined();
    });
  }

  // reshape(shape): a new handle sharing the storage.
  Napi::Value Reshape(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Tensor t = tensor("tensor");
      std::vector<i64> shape = shape_arg(info, 0, "shape");
      i64 n = 1;
      for (i64 d : shape) n *= d;
      SPAIC_CHECK(n == t.numel(), Shape, "shape", "cannot reshape ", shape_str(t.shape), " to ", shape_str(shape));
      t.shape = shape;
      return wrap_tensor(info.Env(), t);
    });
  }

  // narrow(start, length): a view of rows [start, start+length) of the leading dimension, sharing memory.
  Napi::Value Narrow(const Napi::CallbackInfo& info) {
    return guard(info, [&]() -> Napi::Value {
      Tensor t = tensor("tensor");
      SPAIC_CHECK(!t.shape.empty(), Shape, "tensor", "narrow needs at least one dimension");
      const i64 start = int_arg(info, 0, "start");
      const i64 length = int_arg(info, 1, "length");
      SPAIC_CHECK(start >= 0 && length >= 0 && start + length <= t.shape[0], InvalidArgument, "start", "rows [", start,
                  ", ", start + length, ") are outside [0, ", t.shape[0], ")");
      const i64 row = t.shape[0] > 0 ? t.numel() / t.shape[0] : 0;
      t.offset += static_cast<std::size_t>(start * row) * dtype_size(t.dtype);
      t.shape[0] = length;
      return wrap_tensor(info.Env(), t);
    });
  }

  template <typename F>
  Napi::Value guard(const Napi::CallbackInfo& info, F&& f) {
    try {
      return f();
    } catch (const Error& e) {
      throw make_error(info.Env(), e);
    }
  }

  Tensor t_;
  int64_t accounted_ = 0;  // bytes reported to the garbage collector for this handle
};

}  // namespace

const Tensor& tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  SPAIC_CHECK(i < info.Length(), InvalidArgument, name, "missing tensor argument ", name);
  NativeTensor* t = NativeTensor::of(info[i]);
  SPAIC_CHECK(t != nullptr, InvalidArgument, name, "Expected a Tensor for ", name, " but received ",
              NativeTensor::kind_of(info[i]));
  return t->tensor(name);
}

Napi::Object wrap_tensor(Napi::Env env, Tensor t) {
  auto* data = env.GetInstanceData<AddonData>();
  Napi::Object obj = data->tensor_ctor.New({});
  NativeTensor::Unwrap(obj)->set(std::move(t));
  return obj;
}

void register_tensor(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = NativeTensor::Define(env);
  env.GetInstanceData<AddonData>()->tensor_ctor = Napi::Persistent(ctor);
  exports.Set("NativeTensor", ctor);
}

}  // namespace spaic::binding

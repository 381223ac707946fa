// binding/rng.cpp - Philox draws and spike encoders. Each entry takes the generator state as
// (seedLo, seedHi, offset) and fills `out`; lib/ops/rng.ts advances the offset. The encoders and the
// plain draws also come as *Async variants that run in a worker thread and return a Promise.
//
//   rngUniform(seedLo, seedHi, offset, out)                      out float32, any shape
//   rngBits(seedLo, seedHi, offset, bits, out)                   out int32, values in [0, 2^bits)
//   rngNormal(seedLo, seedHi, offset, mean, std, out)            out float32
//   encodePoisson(seedLo, seedHi, offset, x, out, unitConversion, dt)   out [T, ...x.shape], float32 | uint8
//   encodeBernoulli(seedLo, seedHi, offset, x, out, maxProb)            out [T, ...x.shape], float32 | uint8
#include <cmath>
#include <cstdint>

#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/ops.h"
#include "spaic/rng.h"

namespace spaic::binding {

namespace {

RngState state_arg(const Napi::CallbackInfo& info, size_t i) {
  const i64 lo = int_arg(info, i, "seed");
  const i64 hi = int_arg(info, i + 1, "seed");
  SPAIC_CHECK(lo >= 0 && lo <= 0xFFFFFFFFll && hi >= 0 && hi <= 0xFFFFFFFFll, InvalidArgument, "seed",
              "Expected the seed as two 32-bit words but received ", lo, ", ", hi);
  const i64 off = int_arg(info, i + 2, "offset");
  SPAIC_CHECK(off >= 0, InvalidArgument, "offset", "Expected an offset >= 0 but received ", off);
  RngState s;
  s.seed = static_cast<std::uint64_t>(lo) | (static_cast<std::uint64_t>(hi) << 32);
  s.offset = static_cast<std::uint64_t>(off);
  return s;
}

float finite_float(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double v = num_arg(info, i, name);
  SPAIC_CHECK(std::isfinite(v) && std::fabs(v) <= 3.4e38, InvalidArgument, name, "Expected a finite number for ", name,
              " but received ", v);
  return static_cast<float>(v);
}

enum class Kind { Uniform, Bits, Normal, Poisson, Bernoulli };

struct RngCall {
  Kind kind = Kind::Uniform;
  RngState s;
  Tensor x, out, x_max;
  int bits = 0;
  float mean = 0.0f, std = 1.0f;
  EncodeParams p;
};

RngCall parse(const Napi::CallbackInfo& info, Kind kind) {
  RngCall c;
  c.kind = kind;
  c.s = state_arg(info, 0);
  switch (kind) {
    case Kind::Uniform:
      c.out = tensor_arg(info, 3, "out");
      check_dtype(c.out, DType::F32, "out");
      break;
    case Kind::Bits: {
      const i64 bits = int_arg(info, 3, "bits");
      SPAIC_CHECK(bits >= 0 && bits <= 31, InvalidArgument, "bits",
                  "Expected an integer in [0, 31] for bits but received ", bits);
      c.bits = static_cast<int>(bits);
      c.out = tensor_arg(info, 4, "out");
      check_dtype(c.out, DType::I32, "out");
      break;
    }
    case Kind::Normal:
      c.mean = finite_float(info, 3, "mean");
      c.std = finite_float(info, 4, "std");
      SPAIC_CHECK(c.std >= 0.0f, InvalidArgument, "std", "Expected std >= 0 but received ", c.std);
      c.out = tensor_arg(info, 5, "out");
      check_dtype(c.out, DType::F32, "out");
      break;
    case Kind::Poisson:
    case Kind::Bernoulli: {
      c.x = tensor_arg(info, 3, "x");
      c.out = tensor_arg(info, 4, "out");
      check_dtype(c.x, DType::F32, "x");
      check_same_device(c.x, "x", c.out, "out");
      SPAIC_CHECK(c.out.dtype == DType::F32 || c.out.dtype == DType::U8, InvalidArgument, "out",
                  "Expected float32 or uint8 for out but received ", dtype_name(c.out.dtype));
      SPAIC_CHECK(c.out.shape.size() == c.x.shape.size() + 1, Shape, "out", "Expected out of shape [T, ",
                  shape_str(c.x.shape).substr(1), " but received ", shape_str(c.out.shape));
      for (size_t d = 0; d < c.x.shape.size(); ++d)
        SPAIC_CHECK(c.out.shape[d + 1] == c.x.shape[d], Shape, "out", "Expected out of shape [T, ",
                    shape_str(c.x.shape).substr(1), " but received ", shape_str(c.out.shape));
      c.p.n = c.x.numel();
      c.p.steps = c.out.shape[0];
      if (kind == Kind::Poisson) {
        c.p.unit_conversion = finite_float(info, 5, "unitConversion");
        c.p.dt = finite_float(info, 6, "dt");
        SPAIC_CHECK(c.p.dt > 0.0f, InvalidArgument, "dt", "Expected dt > 0 but received ", c.p.dt);
      } else {
        c.p.max_prob = finite_float(info, 5, "maxProb");
        SPAIC_CHECK(c.p.max_prob >= 0.0f && c.p.max_prob <= 1.0f, InvalidArgument, "maxProb",
                    "Expected maxProb in [0, 1] but received ", c.p.max_prob);
        c.x_max = make_tensor(DType::F32, {1}, c.x.device(), false);
      }
      break;
    }
  }
  return c;
}

template <typename O>
void encode(const RngCall& c, O* out) {
  const Device dev = c.x.device();
  if (c.kind == Kind::Poisson) {
    SPAIC_DISPATCH(dev, encode_poisson<O>(c.s, c.p, c.x.ptr<float>(), out));
    return;
  }
  if (c.p.n > 0) {
    ReduceParams rp;
    rp.op = ReduceOp::Max;
    rp.len = c.p.n;
    SPAIC_DISPATCH(dev, reduce<float>(rp, c.x.ptr<float>(), c.x_max.ptr<float>()));
  }
  SPAIC_DISPATCH(dev, encode_bernoulli<O>(c.s, c.p, c.x.ptr<float>(), c.x_max.ptr<float>(), out));
}

void execute(const RngCall& c) {
  const Device dev = c.out.device();
  const i64 n = c.out.numel();
  switch (c.kind) {
    case Kind::Uniform: SPAIC_DISPATCH(dev, rng_uniform(c.s, c.out.ptr<float>(), n)); break;
    case Kind::Bits: SPAIC_DISPATCH(dev, rng_bits(c.s, c.bits, c.out.ptr<std::int32_t>(), n)); break;
    case Kind::Normal: SPAIC_DISPATCH(dev, rng_normal(c.s, c.mean, c.std, c.out.ptr<float>(), n)); break;
    case Kind::Poisson:
    case Kind::Bernoulli:
      if (c.out.dtype == DType::U8) encode<std::uint8_t>(c, c.out.ptr<std::uint8_t>());
      else encode<float>(c, c.out.ptr<float>());
      break;
  }
}

template <Kind K>
Napi::Value Sync(const Napi::CallbackInfo& info) {
  execute(parse(info, K));
  return info.Env().Undefined();
}

template <Kind K>
Napi::Value Async(const Napi::CallbackInfo& info) {
  RngCall c = parse(info, K);  // the tensor copies keep the storage alive until the job ends
  return run_async(info.Env(), [c]() {
    execute(c);
    if (c.out.device().is_cuda()) gpu::synchronize(c.out.device().index);
  });
}

}  // namespace

void register_rng(Napi::Object exports) {
  SPAIC_EXPORT(exports, "rngUniform", Sync<Kind::Uniform>);
  SPAIC_EXPORT(exports, "rngBits", Sync<Kind::Bits>);
  SPAIC_EXPORT(exports, "rngNormal", Sync<Kind::Normal>);
  SPAIC_EXPORT(exports, "encodePoisson", Sync<Kind::Poisson>);
  SPAIC_EXPORT(exports, "encodeBernoulli", Sync<Kind::Bernoulli>);
  SPAIC_EXPORT(exports, "rngUniformAsync", Async<Kind::Uniform>);
  SPAIC_EXPORT(exports, "rngNormalAsync", Async<Kind::Normal>);
  SPAIC_EXPORT(exports, "encodePoissonAsync", Async<Kind::Poisson>);
  SPAIC_EXPORT(exports, "encodeBernoulliAsync", Async<Kind::Bernoulli>);
}

}  // namespace spaic::binding

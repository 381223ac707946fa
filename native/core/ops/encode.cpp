// core/ops/encode.cpp - the encoders (encode_spike_train, encode_poisson, encode_bernoulli, encode_constant_current).
#include <limits>
#include <type_traits>

#include "core/op-base.h"
#include "spaic/ops.h"
#include "spaic/rng.h"

namespace spaic::ops {

namespace {

template <typename T>
struct EncodeSpikeTrain : OpBase {
  SlotRef src, out;
  EncodeSpikeTrain(const OpDesc& od, Program& p) : OpBase(od, p.device()), src(ref("source")), out(ref("O")) {
    check_slot_dtype(p, src, p.dtype(), d, "source");
    check_slot_dtype(p, out, p.dtype(), d, "O");
  }
  void step(Program& p) override {
    const Tensor& x = p.input_data(src.slot);
    const Tensor& o = p.write(out);
    const i64 n = per_sample(p, out);
    SPAIC_DISPATCH(dev, gather_step<T>(x.ptr<T>(), o.ptr<T>(), p.batch(), x.shape[1], n, p.step()));
  }
};

// poisson and bernoulli: at the run start, all T frames are drawn at once (uint8) from a float32 copy of
// the source, taking the run's n·T words of the stream, as the feed-forward executor's encoder does (so
// both executors give the same spikes for the same stream position); each step then reads its frame.
template <typename T>
struct EncodeRandom : OpBase {
  SlotRef src, out;
  bool bernoulli;
  float uc, max_prob;
  double start_time, end_time;
  Tensor xf, xmax, frames;
  EncodeRandom(const OpDesc& od, Program& p, bool bern)
      : OpBase(od, p.device()), src(ref("source")), out(ref("O")), bernoulli(bern) {
    check_slot_dtype(p, src, p.dtype(), d, "source");
    check_slot_dtype(p, out, p.dtype(), d, "O");
    uc = static_cast<float>(finite("unit_conversion", 1.0));
    max_prob = static_cast<float>(finite("max_prob", 1.0));
    start_time = num("start_time", -std::numeric_limits<double>::infinity());
    end_time = num("end_time", std::numeric_limits<double>::infinity());
  }
  void start(Program& p) override {
    const Tensor& x = p.input_data(src.slot);
    const i64 n = x.numel();
    if (std::is_same<T, float>::value) {
      xf = x;
    } else {
      xf = make_tensor(DType::F32, {n}, dev, false);
      SPAIC_DISPATCH(dev, cast<float, T>(x.ptr<T>(), xf.ptr<float>(), n));
    }
    if (bernoulli) {
      xmax = make_tensor(DType::F32, {1}, dev, false);
      ReduceParams rp;
      rp.op = ReduceOp::Max;
      rp.outer = 1;
      rp.len = n;
      rp.inner = 1;
      SPAIC_DISPATCH(dev, reduce<float>(rp, xf.ptr<float>(), xmax.ptr<float>()));
    }
    const i64 steps = p.steps();
    if (!frames.storage || frames.numel() != steps * n || !(frames.device() == dev))
      frames = make_tensor(DType::U8, {steps, n}, dev, false);
    if (steps == 0 || n == 0) return;
    EncodeParams ep;
    ep.n = n;
    ep.steps = steps;
    ep.unit_conversion = uc;
    ep.dt = static_cast<float>(p.dt());
    ep.max_prob = max_prob;
    RngState s = p.take_rng(rng_words(RngDraw::Uniform, n * steps));
    if (bernoulli)
      SPAIC_DISPATCH(
          dev, encode_bernoulli<std::uint8_t>(s, ep, xf.ptr<float>(), xmax.ptr<float>(), frames.ptr<std::uint8_t>()));
    else SPAIC_DISPATCH(dev, encode_poisson<std::uint8_t>(s, ep, xf.ptr<float>(), frames.ptr<std::uint8_t>()));
  }
  void step(Program& p) override {
    const Tensor& o = p.write(out);
    const i64 n = p.batch() * per_sample(p, out);
    const double time = static_cast<double>(p.step()) * p.dt();
    if (!bernoulli && (time < start_time || time > end_time)) {
      dzero(dev, o.raw(), o.bytes());
      return;
    }
    SPAIC_DISPATCH(dev, cast<T, std::uint8_t>(frames.ptr<std::uint8_t>() + p.step() * n, o.ptr<T>(), n));
  }
};

template <typename T>
struct EncodeConstant : OpBase {
  SlotRef src, out;
  T uc;
  EncodeConstant(const OpDesc& od, Program& p) : OpBase(od, p.device()), src(ref("source")), out(ref("O")) {
    check_slot_dtype(p, src, p.dtype(), d, "source");
    check_slot_dtype(p, out, p.dtype(), d, "O");
    uc = static_cast<T>(finite("unit_conversion", 1.0));
  }
  void step(Program& p) override {
    const Tensor& x = p.input_data(src.slot);
    const Tensor& o = p.write(out);
    SPAIC_DISPATCH(dev, binary_scalar<T>(BinaryOp::Mul, x.ptr<T>(), uc, o.ptr<T>(), o.numel(), false));
  }
};

const OpRegistrar kRegistered[] = {
    {"encode_spike_train", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<EncodeSpikeTrain>(d, p); }},
    {"encode_poisson", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<EncodeRandom>(d, p, false); }},
    {"encode_bernoulli", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<EncodeRandom>(d, p, true); }},
    {"encode_constant_current", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<EncodeConstant>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

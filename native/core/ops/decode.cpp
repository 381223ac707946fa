// core/ops/decode.cpp - the decoders (decode_spike_counts, decode_first_spike, decode_voltage; fetch phase).
// The target of an integer group (diehlAndCook: int32 spikes and V) is cast to the program's float type.
#include <cstdint>

#include "core/op-base.h"
#include "spaic/ops.h"

namespace spaic::ops {

namespace {

// ---- decoders and monitors (fetch phase)

enum DecodeKind { Counts, First, Voltage };

template <typename T>
struct DecodeOp : OpBase {
  DecodeKind kind;
  SlotRef target, predict;
  i64 pop, n;
  T bias, scale;
  Tensor acc;
  bool target_int = false;
  Tensor target_f;  // int32 targets: this step's values in T
  DecodeOp(const OpDesc& od, Program& p, DecodeKind k)
      : OpBase(od, p.device()), kind(k), target(ref("target")), predict(ref("predict")) {
    target_int = p.desc().slots[static_cast<std::size_t>(target.slot)].dtype == DType::I32;
    if (!target_int) check_slot_dtype(p, target, p.dtype(), d, "target");
    check_slot_dtype(p, predict, p.dtype(), d, "predict");
    pop = static_cast<i64>(finite("pop_size", 1));
    n = per_sample(p, target);
    SPAIC_CHECK(pop >= 1 && n % pop == 0 && per_sample(p, predict) == n / pop, Shape, d.owner, "decoder ", d.owner,
                ": pop_size ", pop, " does not split ", n, " neurons into ", per_sample(p, predict), " populations");
    bias = static_cast<T>(finite("bias", 0.0));
    scale = static_cast<T>(finite("scale", 1.0));
  }
  void start(Program& p) override {
    acc = make_tensor(p.dtype(), {p.batch(), n}, dev, true);
    if (kind == First) SPAIC_DISPATCH(dev, fill<T>(acc.ptr<T>(), T(-1), acc.numel()));
  }
  const T* values(Program& p) {
    const Tensor& s = p.read(target);
    if (!target_int) return s.ptr<T>();
    if (target_f.numel() != s.numel()) target_f = make_tensor(p.dtype(), {s.numel()}, dev, false);
    SPAIC_DISPATCH(dev, cast<T, std::int32_t>(s.ptr<std::int32_t>(), target_f.ptr<T>(), s.numel()));
    return target_f.ptr<T>();
  }
  void step(Program& p) override {
    const T* s = values(p);
    if (kind == First) SPAIC_DISPATCH(dev, first_spike<T>(s, acc.ptr<T>(), acc.numel(), static_cast<T>(p.step())));
    else SPAIC_DISPATCH(dev, binary<T>(BinaryOp::Add, acc.ptr<T>(), s, acc.ptr<T>(), acc.numel(), nullptr));
  }
  void finish(Program& p) override {
    const Tensor& out = p.write(predict);
    ReduceParams rp;
    rp.outer = p.batch() * (n / pop);
    rp.len = pop;
    rp.inner = 1;
    if (kind == First) {
      SPAIC_DISPATCH(dev, first_spike_done<T>(acc.ptr<T>(), acc.numel(), static_cast<T>(p.steps())));
      rp.op = ReduceOp::Min;
      SPAIC_DISPATCH(dev, reduce<T>(rp, acc.ptr<T>(), out.ptr<T>()));
      return;
    }
    rp.op = kind == Voltage ? ReduceOp::Mean : ReduceOp::Sum;
    SPAIC_DISPATCH(dev, reduce<T>(rp, acc.ptr<T>(), out.ptr<T>()));
    if (kind == Voltage) {
      SPAIC_DISPATCH(dev, binary_scalar<T>(BinaryOp::Div, out.ptr<T>(), static_cast<T>(p.steps()), out.ptr<T>(),
                                           out.numel(), false));
      return;
    }
    SPAIC_DISPATCH(dev, binary_scalar<T>(BinaryOp::Add, out.ptr<T>(), bias, out.ptr<T>(), out.numel(), false));
    SPAIC_DISPATCH(dev, binary_scalar<T>(BinaryOp::Mul, out.ptr<T>(), scale, out.ptr<T>(), out.numel(), false));
  }
};

const OpRegistrar kRegistered[] = {
    {"decode_spike_counts",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<DecodeOp>(d, p, DecodeKind::Counts); }},
    {"decode_first_spike",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<DecodeOp>(d, p, DecodeKind::First); }},
    {"decode_voltage",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<DecodeOp>(d, p, DecodeKind::Voltage); }},
};

}  // namespace

}  // namespace spaic::ops

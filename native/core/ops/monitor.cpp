// core/ops/monitor.cpp - the monitor: records its target slot every step (fetch phase).
#include "core/op-base.h"

namespace spaic::ops {

namespace {

struct MonitorOp : OpBase {
  SlotRef target;
  Tensor rec;
  MonitorOp(const OpDesc& od, Program& p) : OpBase(od, p.device()), target(ref("target")) {}
  void start(Program& p) override {
    std::vector<i64> shape = p.runtime_shape(target.slot);
    shape.insert(shape.begin(), p.steps());
    rec = make_tensor(p.desc().slots[static_cast<std::size_t>(target.slot)].dtype, shape, dev, false);
  }
  void step(Program& p) override {
    const Tensor& s = p.read(target);
    dcopy(dev, static_cast<unsigned char*>(rec.raw()) + static_cast<std::size_t>(p.step()) * s.bytes(), s.raw(),
          s.bytes());
  }
  bool has_record() const override { return rec.storage != nullptr; }
  Tensor record() const override { return rec; }
};

const OpRegistrar kRegistered[] = {
    {"monitor", [](const OpDesc& d, Program& p) -> OpPtr { return std::make_unique<MonitorOp>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

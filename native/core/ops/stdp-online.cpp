// core/ops/stdp-online.cpp - the online STDP learners (nearest_online_stdp, full_online_stdp): op stdp_online.
#include <utility>

#include "core/op-base.h"
#include "spaic/params/stdp-trace.h"
#include "spaic/stdp-trace.h"

namespace spaic::ops {

namespace {

// ---- STDP learners (nearest_online_stdp, full_online_stdp): one fused online_step per step

template <typename T>
struct StdpOnline : OpBase {
  SlotRef pre, post, x_pre, x_post, dw, w;
  OnlineParams op;
  int normalise = 1;    // 0 never, 1 every step, 2 last step of each run
  bool sparse = false;  // CPU: cpu::online_step_sparse (same numbers, touches only what changes)
  cpu::OnlineSparseState sst;
  StdpOnline(const OpDesc& od, Program& p)
      : OpBase(od, p.device()),
        pre(ref("pre")),
        post(ref("post")),
        x_pre(ref("x_pre")),
        x_post(ref("x_post")),
        dw(ref("dw")),
        w(ref("weight")) {
    const std::pair<SlotRef, const char*> all[] = {{pre, "pre"},       {post, "post"}, {x_pre, "x_pre"},
                                                   {x_post, "x_post"}, {dw, "dw"},     {w, "weight"}};
    for (const auto& [r, nm] : all) check_slot_dtype(p, r, p.dtype(), d, nm);
    op.n_pre = per_sample(p, pre);
    op.n_post = per_sample(p, post);
    SPAIC_CHECK(p.slot_numel(w.slot) == op.n_pre * op.n_post && p.slot_numel(dw.slot) == op.n_pre * op.n_post, Shape,
                d.owner, d.owner, ": weight/dw must hold ", op.n_post, " x ", op.n_pre, " values");
    SPAIC_CHECK(per_sample(p, x_pre) == op.n_pre && per_sample(p, x_post) == op.n_post, Shape, d.owner, d.owner,
                ": traces must match the pre and post groups");
    read_params(params::kOnline, op);
    SPAIC_CHECK(params::bounds_ordered(op), InvalidArgument, d.owner, d.owner, ": clamp bounds lo > hi");
    const std::string nz = str("normalise", "step");
    SPAIC_CHECK(nz == "step" || nz == "run" || nz == "none", InvalidArgument, d.owner, d.owner,
                ": normalise must be 'step', 'run' or 'none', got '", nz, "'");
    normalise = nz == "none" ? 0 : nz == "step" ? 1 : 2;
    const std::string kernel = str("kernel", "auto");
    SPAIC_CHECK(kernel == "auto" || kernel == "dense", InvalidArgument, d.owner, d.owner,
                ": kernel must be 'auto' or 'dense'");
    // The sparse step keeps track of which weight rows changed: only when this op is the weight's only writer.
    int writers = 0;
    for (const OpDesc& o : p.desc().ops)
      for (auto& [role, r] : o.refs)
        if (r.slot == w.slot && r.mode != WriteMode::None) ++writers;
    sparse = kernel == "auto" && dev.is_cpu() && !op.immediate && writers == 1;
    op.path = path_on(dev);
  }
  // The CPU chooses dense or event-driven dW from the spike counts each step. On a GPU that choice would
  // read the counts back every step: the event path is taken (deterministic, no read-back).
  static DwPath path_on(const Device& d) { return d.is_cpu() ? DwPath::Auto : DwPath::Event; }
  int host_syncs_per_step(bool cuda) const override { return cuda && path_on(Device{0}) == DwPath::Auto ? 1 : 0; }
  void start(Program&) override { sst.reset(); }
  // SPAIC's build-time dry run executes the op once on zero traces and spikes: dw = 0, so the weight
  // is normalised (nearest_online: every step) and clamped before the first run.
  void build(Program& p) override {
    OnlineParams b = op;
    b.batch = 1;
    b.normalise = normalise == 1;
    const i64 nq = op.n_pre, np = op.n_post;
    Tensor z = make_tensor(p.dtype(), {2 * (nq + np) + np * nq}, dev, true);
    T* zp = z.ptr<T>();
    online_step<T>(dev, b, zp, zp + nq, zp + nq + np, zp + 2 * nq + np, p.committed(w.slot).template ptr<T>(),
                   zp + 2 * (nq + np));
  }
  void step(Program& p) override {
    OnlineParams s = op;
    s.batch = p.batch();
    s.normalise = normalise == 1 || (normalise == 2 && p.step() == p.steps() - 1);
    const T* sp = p.read(pre).ptr<T>();
    const T* so = p.read(post).ptr<T>();
    if (sparse) {
      cpu::online_step_sparse<T>(s, sp, so, p.write(x_pre).ptr<T>(), p.write(x_post).ptr<T>(), p.write_rows(w).ptr<T>(),
                                 p.write(dw).ptr<T>(), sst);
      for (i64 j : sst.changed_rows) p.mark_row(w.slot, j, op.n_post);
      return;
    }
    online_step<T>(dev, s, sp, so, p.write(x_pre).ptr<T>(), p.write(x_post).ptr<T>(), p.write(w).ptr<T>(),
                   p.write(dw).ptr<T>());
  }
};

const OpRegistrar kRegistered[] = {
    {"stdp_online", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<StdpOnline>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

// core/ops/stdp-meta.cpp - meta_nearest_online_stdp (ALGORITHMS.md §2.2.3): op stdp_meta, one fused meta_step
// per step.
//
// Slots: the pre trace x_pre (reset every run), the post trace x_post ([stay]: kept across runs, as SPAIC's
// output_trace[stay]), and the connection's homeostatic targets w_mean [N_post] and aw_mean [1] ([stay]:
// set once, by the build-time hook below, and kept; checkpoints save them). The weight is updated in place
// (SPAIC returns a new tensor that only optim_step() copies back; in place, each run starts from the last).
#include <utility>

#include "core/op-base.h"
#include "spaic/params/stdp-trace.h"
#include "spaic/stdp-trace.h"

namespace spaic::ops {

namespace {

template <typename T>
struct StdpMeta : OpBase {
  SlotRef pre, post, x_pre, x_post, w_mean, aw_mean, w;
  MetaParams mp;
  Tensor dw;  // the step's dw [N_post, N_pre]: scratch, nothing reads it after the step
  StdpMeta(const OpDesc& od, Program& p)
      : OpBase(od, p.device()),
        pre(ref("pre")),
        post(ref("post")),
        x_pre(ref("x_pre")),
        x_post(ref("x_post")),
        w_mean(ref("w_mean")),
        aw_mean(ref("aw_mean")),
        w(ref("weight")) {
    const std::pair<SlotRef, const char*> all[] = {{pre, "pre"},       {post, "post"},     {x_pre, "x_pre"},
                                                   {x_post, "x_post"}, {w_mean, "w_mean"}, {aw_mean, "aw_mean"},
                                                   {w, "weight"}};
    for (const auto& [r, nm] : all) check_slot_dtype(p, r, p.dtype(), d, nm);
    mp.n_pre = per_sample(p, pre);
    mp.n_post = per_sample(p, post);
    SPAIC_CHECK(mp.n_pre > 0 && mp.n_post > 0 && p.slot_numel(w.slot) == mp.n_pre * mp.n_post, Shape, d.owner, d.owner,
                ": weight must hold ", mp.n_post, " x ", mp.n_pre, " values");
    SPAIC_CHECK(per_sample(p, x_pre) == mp.n_pre && per_sample(p, x_post) == mp.n_post, Shape, d.owner, d.owner,
                ": traces must match the pre and post groups");
    SPAIC_CHECK(p.slot_numel(w_mean.slot) == mp.n_post && p.slot_numel(aw_mean.slot) == 1, Shape, d.owner, d.owner,
                ": w_mean must hold ", mp.n_post, " values and aw_mean one");
    read_params(params::kMeta, mp);
    SPAIC_CHECK(params::bounds_ordered(mp), InvalidArgument, d.owner, d.owner, ": bounds w_min > w_max");
    // As stdp_online: the CPU chooses dense or event-driven dW per step; a GPU takes the event path
    // (no count read back per step).
    mp.path = dev.is_cpu() ? DwPath::Auto : DwPath::Event;
    dw = make_tensor(p.dtype(), {mp.n_post, mp.n_pre}, dev, true);
  }
  // SPAIC's build-time dry run calls the rule once on zero spikes and traces: the first call sets
  // w_mean = rowmean(W) and aw_mean = mean(w_mean), then the homeostatic step runs on a zero x_post (which
  // leaves w_mean as it is up to the rescale by aw_mean/mean(w_mean)). The weight it returns is dropped by
  // SPAIC (the parameter is not replaced), so W is left unchanged here.
  void build(Program& p) override {
    MetaParams b = mp;
    b.batch = 1;
    T* wm = p.committed(w_mean.slot).template ptr<T>();
    T* aw = p.committed(aw_mean.slot).template ptr<T>();
    const Tensor zero = make_tensor(p.dtype(), {mp.n_post}, dev, true);
    SPAIC_DISPATCH(dev, meta_init<T>(b, p.committed(w.slot).template ptr<T>(), wm, aw));
    SPAIC_DISPATCH(dev, meta_homeostasis<T>(b, zero.ptr<T>(), wm, aw));
  }
  void step(Program& p) override {
    MetaParams s = mp;
    s.batch = p.batch();
    meta_step<T>(dev, s, p.read(pre).ptr<T>(), p.read(post).ptr<T>(), p.write(x_pre).ptr<T>(), p.write(x_post).ptr<T>(),
                 p.write(w).ptr<T>(), p.write(w_mean).ptr<T>(), p.read(aw_mean).ptr<T>(), dw.ptr<T>());
  }
};

const OpRegistrar kRegistered[] = {
    {"stdp_meta", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<StdpMeta>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

// core/ops/stdp-switch.cpp - switch_rstdp (SPAIC's RewardSwitchSTDP, ALGORITHMS.md §2.3.3) in the step
// executor: op stdp_switch, one fused rule step (core/stdp-trace.cpp) per connection and step. The reward is
// the bound reward node's Output_Reward (this step's, or the previous step's with reward_name
// 'Output_Reward'): one value for the batch or one per sample (reward_shape_of, core/op-base.h); the
// amplitudes switch on its sign. The output trace is a [stay] slot; the weight is updated in place.
#include <utility>

#include "core/op-base.h"
#include "spaic/params/stdp-trace.h"
#include "spaic/stdp-trace.h"

namespace spaic::ops {

namespace {

template <typename T>
struct StdpSwitch : OpBase {
  SlotRef pre, post, reward, x_pre, x_post, w;
  SwitchParams sp;
  StdpSwitch(const OpDesc& od, Program& p)
      : OpBase(od, p.device()),
        pre(ref("pre")),
        post(ref("post")),
        reward(ref("reward")),
        x_pre(ref("x_pre")),
        x_post(ref("x_post")),
        w(ref("weight")) {
    const std::pair<SlotRef, const char*> all[] = {{pre, "pre"},     {post, "post"},     {reward, "reward"},
                                                   {x_pre, "x_pre"}, {x_post, "x_post"}, {w, "weight"}};
    for (const auto& [r, nm] : all) check_slot_dtype(p, r, p.dtype(), d, nm);
    sp.n_pre = per_sample(p, pre);
    sp.n_post = per_sample(p, post);
    SPAIC_CHECK(sp.n_pre > 0 && sp.n_post > 0 && p.slot_numel(w.slot) == sp.n_pre * sp.n_post, Shape, d.owner, d.owner,
                ": weight must hold ", sp.n_post, " x ", sp.n_pre, " values");
    SPAIC_CHECK(per_sample(p, x_pre) == sp.n_pre && per_sample(p, x_post) == sp.n_post, Shape, d.owner, d.owner,
                ": traces must match the pre and post groups");
    sp.shape = reward_shape_of(p, reward, sp.n_post, false, d);
    read_params(params::kSwitch, sp);
    SPAIC_CHECK(params::bounds_ordered(sp), InvalidArgument, d.owner, d.owner, ": bounds lo > hi");
    sp.path = dev.is_cpu() ? DwPath::Auto : DwPath::Event;
  }
  void step(Program& p) override {
    SwitchParams s = sp;
    s.batch = p.batch();
    switch_step<T>(dev, s, p.read(pre).ptr<T>(), p.read(post).ptr<T>(), p.read(reward).ptr<T>(),
                   p.write(x_pre).ptr<T>(), p.write(x_post).ptr<T>(), p.write(w).ptr<T>());
  }
};

const OpRegistrar kRegistered[] = {
    {"stdp_switch", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<StdpSwitch>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

// core/ops/stdp-rstdp.cpp - rstdp (ALGORITHMS.md §2.3.1) and rstdpet (§2.3.2) in the step executor: op
// stdp_rstdp, one fused rule step (core/stdp-trace.cpp) per connection and step; rstdpet is the op with an
// `eligibility_trace` slot.
//
// The reward is the bound reward node's Output_Reward of this step (read at 'cur': reward nodes run in
// the groups' phase, before the learners). Its slot's shape sets how it is applied (reward_shape_of,
// core/op-base.h):
//   unbatched, one value          -> one reward for the whole batch (SPAIC's global_reward: the batch mean)
//   unbatched, N_post values      -> one reward per post neuron (da_reward)
//   batched, one value per sample -> each sample's reward multiplies its own eligibility
//   batched, N_post per sample    -> per sample and post neuron (classify_reward)
// rstdp with a per-sample reward keeps the previous step's spikes (its reward multiplies the previous
// step's eligibility, SPAIC's order) in op scratch, cleared at each run start; rstdpet with a per-sample
// reward has per-sample E and ET slots [B, N_post, N_pre].
#include <utility>

#include "core/op-base.h"
#include "spaic/params/stdp-trace.h"
#include "spaic/stdp-trace.h"

namespace spaic::ops {

namespace {

template <typename T>
struct StdpRstdp : OpBase {
  SlotRef pre, post, reward, p_plus, p_minus, e, et, w;
  RstdpParams rp;
  bool per_sample_reward = false;
  Tensor prev;  // rstdp with a per-sample reward: the previous step's s_pre [B, N_pre] and s_post [B, N_post]
  i64 prev_batch = -1;
  StdpRstdp(const OpDesc& od, Program& p)
      : OpBase(od, p.device()),
        pre(ref("pre")),
        post(ref("post")),
        reward(ref("reward")),
        p_plus(ref("p_plus")),
        p_minus(ref("p_minus")),
        e(ref("eligibility")),
        et(ref("eligibility_trace", false)),
        w(ref("weight")) {
    rp.eligibility_trace = et.ok();
    const std::pair<SlotRef, const char*> all[] = {{pre, "pre"},       {post, "post"},       {reward, "reward"},
                                                   {p_plus, "p_plus"}, {p_minus, "p_minus"}, {e, "eligibility"},
                                                   {w, "weight"}};
    for (const auto& [r, nm] : all) check_slot_dtype(p, r, p.dtype(), d, nm);
    if (rp.eligibility_trace) check_slot_dtype(p, et, p.dtype(), d, "eligibility_trace");
    rp.n_pre = per_sample(p, pre);
    rp.n_post = per_sample(p, post);
    SPAIC_CHECK(rp.n_pre > 0 && rp.n_post > 0 && p.slot_numel(w.slot) == rp.n_pre * rp.n_post, Shape, d.owner, d.owner,
                ": weight must hold ", rp.n_post, " x ", rp.n_pre, " values");
    SPAIC_CHECK(per_sample(p, p_plus) == rp.n_pre && per_sample(p, p_minus) == rp.n_post, Shape, d.owner, d.owner,
                ": p_plus and p_minus must match the pre and post groups");
    rp.shape = reward_shape_of(p, reward, rp.n_post, true, d);
    per_sample_reward = rp.shape == RewardShape::PerSample || rp.shape == RewardShape::PerSamplePost;
    // rstdpet with a per-sample reward keeps E and ET per sample; otherwise they are batch sums
    const bool per_sample_traces = rp.eligibility_trace && per_sample_reward;
    for (const auto& [r, nm] : {std::pair<SlotRef, const char*>{e, "eligibility"}, {et, "eligibility_trace"}}) {
      if (!r.ok()) continue;
      const SlotDesc& s = p.desc().slots[static_cast<std::size_t>(r.slot)];
      SPAIC_CHECK(numel_of(s.shape) == rp.n_post * rp.n_pre && s.batched == per_sample_traces, Shape, d.owner, d.owner,
                  ": ", nm, " must hold ", per_sample_traces ? "[B, " : "[", rp.n_post, ", ", rp.n_pre, "]",
                  per_sample_traces ? " (a per-sample reward)" : "");
    }
    read_params(params::kRstdp, rp);
    // As stdp_online: the CPU chooses dense or event-driven products per step; a GPU takes the event path.
    rp.path = dev.is_cpu() ? DwPath::Auto : DwPath::Event;
  }
  void start(Program& p) override {
    if (!per_sample_reward || rp.eligibility_trace) return;
    if (prev_batch != p.batch()) {
      prev = make_tensor(p.dtype(), {p.batch() * (rp.n_pre + rp.n_post)}, dev, false);
      prev_batch = p.batch();
    }
    dzero(dev, prev.raw(), prev.bytes());
  }
  void step(Program& p) override {
    RstdpParams s = rp;
    s.batch = p.batch();
    T* sp = prev_batch > 0 ? prev.ptr<T>() : nullptr;
    T* et_ptr = rp.eligibility_trace ? p.write(et).template ptr<T>() : nullptr;
    rstdp_step<T>(dev, s, p.read(pre).ptr<T>(), p.read(post).ptr<T>(), p.read(reward).ptr<T>(),
                  p.write(p_plus).ptr<T>(), p.write(p_minus).ptr<T>(), p.write(e).ptr<T>(), et_ptr, p.write(w).ptr<T>(),
                  sp, sp ? sp + s.batch * rp.n_pre : nullptr);
  }
};

const OpRegistrar kRegistered[] = {
    {"stdp_rstdp", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<StdpRstdp>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

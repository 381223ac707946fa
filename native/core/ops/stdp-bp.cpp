// core/ops/stdp-bp.cpp - bp_rstdp and bp_rstdpet (ALGORITHMS.md §2.3.6): the shared group trace (op bp_trace)
// and the per-connection weight steps (ops stdp_bp and stdp_bp_et, one bp_rstdp_step each per step).
//
// bp_trace: one per neuron group, whoever uses it. Reads the group's spikes and its trace as committed at the
// previous step and writes this step's trace into the slot's working buffer (a 'set' write), so every weight
// op of the step, before or after it, reads the previous step's trace, as SPAIC's plain reads do.
// stdp_bp / stdp_bp_et: the spikes and traces of the previous step, the reward at 'prev' (SPAIC's plain
// Output_Reward), the fixed feedback matrix G [N_post, R] (a [stay] slot: drawn once, kept across runs,
// saved by checkpoints), and the weight, updated in place; stdp_bp_et also its per-sample eligibility trace
// ET [B, N_post, N_pre] (reset every run).
#include <utility>

#include "core/op-base.h"
#include "spaic/params/stdp-trace.h"
#include "spaic/stdp-trace.h"

namespace spaic::ops {

namespace {

const SlotDesc& slot_desc(const Program& p, const SlotRef& r) {
  return p.desc().slots[static_cast<std::size_t>(r.slot)];
}

template <typename T>
struct BpTrace : OpBase {
  SlotRef spikes, x;
  params::BpTraceParams tp;
  BpTrace(const OpDesc& od, Program& p) : OpBase(od, p.device()), spikes(ref("spikes")), x(ref("trace")) {
    check_slot_dtype(p, spikes, p.dtype(), d, "spikes");
    check_slot_dtype(p, x, p.dtype(), d, "trace");
    SPAIC_CHECK(per_sample(p, spikes) == per_sample(p, x) && slot_desc(p, x).batched && slot_desc(p, spikes).batched,
                Shape, d.owner, d.owner, ": the trace must hold one value per neuron and sample of its group");
    SPAIC_CHECK(x.mode == WriteMode::Set && !x.cur, InvalidArgument, d.owner, d.owner,
                ": bp_trace reads its trace at 'prev' and sets it");
    read_params(params::kBpTrace, tp);
  }
  void step(Program& p) override {
    const i64 n = p.batch() * per_sample(p, x);
    const T* prev = p.read(x).template ptr<T>();
    bp_trace_step<T>(dev, n, tp.decay, p.read(spikes).template ptr<T>(), prev, p.write(x).template ptr<T>());
  }
};

template <typename T>
struct StdpBp : OpBase {
  SlotRef pre, post, x_pre, x_post, reward, g, w, et;
  BpParams bp;
  Tensor scratch;  // rho and h, [B, N_post] each
  i64 scratch_batch = -1;
  StdpBp(const OpDesc& od, Program& p, bool eligibility)
      : OpBase(od, p.device()),
        pre(ref("pre")),
        post(ref("post")),
        x_pre(ref("x_pre")),
        x_post(ref("x_post")),
        reward(ref("reward")),
        g(ref("feedback")),
        w(ref("weight")),
        et(ref("et", eligibility)) {
    const std::pair<SlotRef, const char*> all[] = {{pre, "pre"},       {post, "post"},     {x_pre, "x_pre"},
                                                   {x_post, "x_post"}, {reward, "reward"}, {g, "feedback"},
                                                   {w, "weight"}};
    for (const auto& [r, nm] : all) check_slot_dtype(p, r, p.dtype(), d, nm);
    bp.et = eligibility;
    bp.n_pre = per_sample(p, pre);
    bp.n_post = per_sample(p, post);
    SPAIC_CHECK(bp.n_pre > 0 && bp.n_post > 0 && p.slot_numel(w.slot) == bp.n_pre * bp.n_post, Shape, d.owner, d.owner,
                ": weight must hold ", bp.n_post, " x ", bp.n_pre, " values");
    SPAIC_CHECK(per_sample(p, x_pre) == bp.n_pre && per_sample(p, x_post) == bp.n_post && slot_desc(p, x_pre).batched &&
                    slot_desc(p, x_post).batched,
                Shape, d.owner, d.owner, ": traces must match the pre and post groups");
    const SlotDesc& gs = slot_desc(p, g);
    SPAIC_CHECK(!gs.batched && gs.shape.size() == 2 && gs.shape[0] == bp.n_post && gs.shape[1] > 0, Shape, d.owner,
                d.owner, ": the feedback matrix must be [", bp.n_post, ", R]");
    bp.r_width = gs.shape[1];
    bp.r_batched = slot_desc(p, reward).batched;
    SPAIC_CHECK(per_sample(p, reward) == bp.r_width, Shape, d.owner, d.owner, ": the reward must hold R = ", bp.r_width,
                " values", bp.r_batched ? " per sample" : "", ", it holds ", per_sample(p, reward));
    if (eligibility) {
      check_slot_dtype(p, et, p.dtype(), d, "et");
      SPAIC_CHECK(per_sample(p, et) == bp.n_post * bp.n_pre && slot_desc(p, et).batched, Shape, d.owner, d.owner,
                  ": the eligibility trace must hold ", bp.n_post, " x ", bp.n_pre, " values per sample");
    }
    read_params(params::kBp, bp);
    // As the other STDP ops: the CPU chooses dense or event-driven products per step; a GPU takes the event
    // path (no count read back per step).
    bp.path = dev.is_cpu() ? DwPath::Auto : DwPath::Event;
  }
  void start(Program& p) override {
    if (scratch_batch == p.batch()) return;
    scratch = make_tensor(p.dtype(), {2 * p.batch() * bp.n_post}, dev, false);
    scratch_batch = p.batch();
  }
  void step(Program& p) override {
    BpParams s = bp;
    s.batch = p.batch();
    T* rho = scratch.ptr<T>();
    T* h = rho + s.batch * s.n_post;
    bp_rstdp_step<T>(dev, s, p.read(pre).template ptr<T>(), p.read(post).template ptr<T>(),
                     p.read(x_pre).template ptr<T>(), p.read(x_post).template ptr<T>(),
                     p.read(reward).template ptr<T>(), p.read(g).template ptr<T>(), p.write(w).template ptr<T>(),
                     bp.et ? p.write(et).template ptr<T>() : nullptr, rho, h);
  }
};

const OpRegistrar kRegistered[] = {
    {"bp_trace", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<BpTrace>(d, p); }},
    {"stdp_bp", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<StdpBp>(d, p, false); }},
    {"stdp_bp_et", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<StdpBp>(d, p, true); }},
};

}  // namespace

}  // namespace spaic::ops

// core/ops/reward.cpp - the reward nodes (reward_global, reward_da, reward_xor, reward_environment, reward_classify).
#include "core/op-base.h"
#include "spaic/reward.h"

namespace spaic::ops {

namespace {

// ---- reward nodes (ALGORITHMS.md §3.8; graph ops in the groups' phase)
//
// Each step the node adds its target's previous-step spikes to its window count (spike_count; a new
// window starts every dec_sample_step steps and at every run start). On the step that fills the window
// Output_Reward gets the coding's reward (environment: the node's source); on the other steps zeros.

enum RewardKind { Global, Da, Xor, Environment, Classify };

template <typename T>
struct RewardOp : OpBase {
  RewardKind kind;
  SlotRef target, count, running, label, source, out;
  RewardNodeParams rp;
  DType target_dtype = DType::F32;
  i64 index = 0;
  Tensor scratch;
  i64 scratch_batch = -1;
  RewardOp(const OpDesc& od, Program& p, RewardKind k)
      : OpBase(od, p.device()), kind(k), target(ref("target")), count(ref("count")), out(ref("reward")) {
    target_dtype = p.desc().slots[static_cast<std::size_t>(target.slot)].dtype;
    SPAIC_CHECK(target_dtype == p.dtype() || target_dtype == DType::I32, InvalidArgument, d.owner, "reward node ",
                d.owner, ": its target's spikes must be ", dtype_name(p.dtype()), " or int32");
    check_slot_dtype(p, count, p.dtype(), d, "spike_count");
    check_slot_dtype(p, out, p.dtype(), d, "Output_Reward");
    const auto integer = [&](const char* key, double fallback, i64 lo) {
      const double v = finite(key, fallback);
      SPAIC_CHECK(v == std::floor(v) && v >= static_cast<double>(lo), InvalidArgument, d.owner, "reward node ", d.owner,
                  ": ", key, " must be an integer >= ", lo, ", got ", v);
      return static_cast<i64>(v);
    };
    rp.num = per_sample(p, target);
    rp.pop = integer("pop_size", 1, 1);
    rp.window = integer("dec_sample_step", 1, 1);
    rp.reward_signal = finite("reward_signal", 1.0);
    rp.punish_signal = finite("punish_signal", k == Da ? 0.0 : -1.0);
    rp.per_sample = num("per_sample", 0) != 0;
    SPAIC_CHECK(!rp.per_sample || k == Global || k == Xor, InvalidArgument, d.owner, "reward node ", d.owner,
                ": per_sample is an option of global_reward and xor_reward");
    SPAIC_CHECK(rp.num % rp.pop == 0, Shape, d.owner, "reward node ", d.owner, ": pop_size ", rp.pop,
                " does not divide its ", rp.num, " target neurons");
    SPAIC_CHECK(per_sample(p, count) == rp.num && p.desc().slots[static_cast<std::size_t>(count.slot)].batched, Shape,
                d.owner, "reward node ", d.owner, ": spike_count must hold [B, ", rp.num, "]");
    const i64 npop = reward_npop(rp);
    const SlotDesc& os = p.desc().slots[static_cast<std::size_t>(out.slot)];
    rp.n_out = numel_of(os.shape);
    switch (k) {
      case Global: rp.coding = RewardCoding::Global; break;
      case Xor:
        rp.coding = RewardCoding::Xor;
        SPAIC_CHECK(npop == 1, InvalidArgument, d.owner, "reward node ", d.owner,
                    ": xor_reward reads a single population (pop_size must equal num), got ", npop, " populations");
        break;
      case Da:
        rp.coding = RewardCoding::Da;
        SPAIC_CHECK(!os.batched && rp.n_out == rp.num, Shape, d.owner, "reward node ", d.owner,
                    ": da_reward's Output_Reward must hold [", rp.num, "]");
        break;
      case Classify:
        rp.coding = RewardCoding::Classify;
        running = ref("running");
        check_slot_dtype(p, running, p.dtype(), d, "running");
        SPAIC_CHECK(os.batched && rp.n_out == npop && per_sample(p, running) == npop &&
                        p.desc().slots[static_cast<std::size_t>(running.slot)].batched,
                    Shape, d.owner, "reward node ", d.owner,
                    ": classify_reward's Output_Reward and running state must hold [B, ", npop, "]");
        break;
      case Environment: break;
    }
    SPAIC_CHECK(kind == Classify || os.batched == rp.per_sample, Shape, d.owner, "reward node ", d.owner,
                rp.per_sample ? ": a per-sample Output_Reward must be batched" : ": Output_Reward must not be batched");
    if (kind == Environment) {
      source = ref("source");
      check_slot_dtype(p, source, p.dtype(), d, "source");
      SPAIC_CHECK(per_sample(p, source) == rp.n_out && !p.desc().slots[static_cast<std::size_t>(source.slot)].batched,
                  Shape, d.owner, "reward node ", d.owner, ": environment_reward's source must hold the ", rp.n_out,
                  " values of Output_Reward");
    } else {
      label = ref("label");
      check_slot_dtype(p, label, DType::I32, d, "label");
      const SlotDesc& ls = p.desc().slots[static_cast<std::size_t>(label.slot)];
      SPAIC_CHECK(ls.batched && numel_of(ls.shape) == 1, Shape, d.owner, "reward node ", d.owner,
                  ": label must hold one value per sample");
    }
  }
  void start(Program& p) override {
    index = 0;  // SPAIC's init_state: a new window (and classify's running output at 0) at every run start
    rp.batch = p.batch();
    if (scratch_batch != p.batch()) {
      scratch = make_tensor(p.dtype(), {reward_scratch_elems(rp)}, dev, false);
      scratch_batch = p.batch();
    }
  }
  void step(Program& p) override {
    const Tensor& s = p.read(target);
    const bool first = index % rp.window == 0;
    if (first) index = 0;
    SlotRef prev = count;
    prev.cur = false;
    const T* cp = first ? nullptr : p.read(prev).template ptr<T>();
    const Tensor& cw = p.write(count);
    const i64 n = rp.batch * rp.num;
    if (target_dtype == DType::I32)
      SPAIC_DISPATCH(dev, reward_count<T, std::int32_t>(s.ptr<std::int32_t>(), cp, cw.ptr<T>(), n, first));
    else SPAIC_DISPATCH(dev, reward_count<T, T>(s.ptr<T>(), cp, cw.ptr<T>(), n, first));
    ++index;
    const bool full = index >= rp.window;
    const Tensor& o = p.write(out);
    const Tensor* run_w = nullptr;
    const Tensor* run_p = nullptr;
    if (kind == Classify) {
      SlotRef rprev = running;
      rprev.cur = false;
      run_p = &p.read(rprev);
      run_w = &p.write(running);
      if (!full) dcopy(dev, run_w->raw(), run_p->raw(), run_p->bytes());
    }
    if (!full) {
      dzero(dev, o.raw(), o.bytes());
      return;
    }
    if (kind == Environment) {
      const Tensor& src = p.read(source);
      dcopy(dev, o.raw(), src.raw(), o.bytes());
      return;
    }
    const std::int32_t* lab = p.read(label).template ptr<std::int32_t>();
    T* rw = run_w ? run_w->ptr<T>() : nullptr;
    const T* rpv = run_p ? run_p->ptr<T>() : nullptr;
    SPAIC_DISPATCH(dev, reward_compute<T>(rp, cw.ptr<T>(), lab, rpv, rw, o.ptr<T>(), scratch.ptr<T>()));
  }
};

const OpRegistrar kRegistered[] = {
    {"reward_global",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<RewardOp>(d, p, RewardKind::Global); }},
    {"reward_da", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<RewardOp>(d, p, RewardKind::Da); }},
    {"reward_xor", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<RewardOp>(d, p, RewardKind::Xor); }},
    {"reward_environment",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<RewardOp>(d, p, RewardKind::Environment); }},
    {"reward_classify",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<RewardOp>(d, p, RewardKind::Classify); }},
};

}  // namespace

}  // namespace spaic::ops

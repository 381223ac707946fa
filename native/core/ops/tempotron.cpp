// core/ops/tempotron.cpp - the tempotron rule (ALGORITHMS.md §2.5): op tempotron, one per trained connection.
//
// Every step records the presynaptic spikes the rule sees (the pre group's output of the previous step) into a
// per-run history [T, B, N_pre] kept by the op, and tracks each output's maximum potential and its step (the
// potential slot is the post group's V of this step: SPAIC's post-reset value, or its pre-reset Vtemp when the
// learner asks for it). The last step of the run computes the update from the labels (an int32 input, one per
// sample) and applies it to the weight in place: no value is read back to the host, per step or per run.
// With momentum (an option; SPAIC has none) the step goes through a velocity slot ([stay]: kept across runs).
// Two more options SPAIC lacks: a margin (the training thresholds v_th + margin for the label's output and
// v_th - margin for the others), and lr_decay (lr / (1 + lr_decay * n) at the n-th update, n kept in an int32
// `count` slot, [stay] too, so that the decay goes on across runs and checkpoints).
// SPAIC's first call, the build-time dry run, changes nothing (its `fake` counter swallows it): no build hook.
#include <cmath>
#include <vector>

#include "core/op-base.h"
#include "spaic/tempotron.h"

namespace spaic::ops {

namespace {

template <typename T>
struct TempotronOp : OpBase {
  SlotRef pre, v, label, w, vel, count;
  TempotronParams tp;
  double tau = 20.0, tau_s = 5.0;  // in steps
  Tensor hist, vmax, tmax, kern, dmat, coef;
  TempotronOp(const OpDesc& od, Program& p)
      : OpBase(od, p.device()), pre(ref("pre")), v(ref("v")), label(ref("label")), w(ref("weight")) {
    check_slot_dtype(p, pre, p.dtype(), d, "pre");
    check_slot_dtype(p, v, p.dtype(), d, "potential");
    check_slot_dtype(p, w, p.dtype(), d, "weight");
    check_slot_dtype(p, label, DType::I32, d, "label");
    vel = ref("velocity", false);
    count = ref("count", false);
    tp.n_pre = per_sample(p, pre);
    tp.n_post = per_sample(p, v);
    SPAIC_CHECK(tp.n_pre > 0 && tp.n_post > 0 && p.slot_numel(w.slot) == tp.n_pre * tp.n_post, Shape, d.owner, d.owner,
                ": weight must hold ", tp.n_post, " x ", tp.n_pre, " values");
    SPAIC_CHECK(per_sample(p, label) == 1, Shape, d.owner, d.owner, ": labels must hold one value per sample");
    tp.lr = finite("lr", 0.01);
    tp.v_th = finite("v_th", 10.0);
    tau = finite("tau", 20.0);
    tau_s = finite("tau_s", 5.0);
    SPAIC_CHECK(tau > 0 && tau_s > 0, InvalidArgument, d.owner, d.owner, ": tau and tau_s must be > 0");
    tp.canonical = num("canonical", 0) != 0;
    tp.beta_per_sample = num("beta_per_sample", 0) != 0;
    tp.spaic_alias = num("spaic_alias", 1) != 0;
    tp.has_lo = d.num.count("w_min") != 0;
    tp.has_hi = d.num.count("w_max") != 0;
    tp.lo = tp.has_lo ? finite("w_min", 0.0) : 0.0;
    tp.hi = tp.has_hi ? finite("w_max", 0.0) : 0.0;
    SPAIC_CHECK(!(tp.has_lo && tp.has_hi) || tp.lo <= tp.hi, InvalidArgument, d.owner, d.owner,
                ": bounds w_min > w_max");
    tp.momentum = finite("momentum", 0.0);
    SPAIC_CHECK(tp.momentum >= 0 && tp.momentum < 1, InvalidArgument, d.owner, d.owner,
                ": momentum must be in [0, 1), got ", tp.momentum);
    SPAIC_CHECK(tp.momentum == 0 || vel.ok(), InvalidArgument, d.owner, d.owner, ": momentum needs a 'velocity' slot");
    if (vel.ok()) {
      check_slot_dtype(p, vel, p.dtype(), d, "velocity");
      SPAIC_CHECK(p.slot_numel(vel.slot) == tp.n_pre * tp.n_post, Shape, d.owner, d.owner, ": velocity must hold ",
                  tp.n_post, " x ", tp.n_pre, " values");
    }
    tp.margin = finite("margin", 0.0);
    SPAIC_CHECK(tp.margin >= 0, InvalidArgument, d.owner, d.owner, ": margin must be >= 0, got ", tp.margin);
    tp.lr_decay = finite("lr_decay", 0.0);
    SPAIC_CHECK(tp.lr_decay >= 0, InvalidArgument, d.owner, d.owner, ": lr_decay must be >= 0, got ", tp.lr_decay);
    SPAIC_CHECK(tp.lr_decay == 0 || count.ok(), InvalidArgument, d.owner, d.owner, ": lr_decay needs a 'count' slot");
    if (count.ok()) {
      check_slot_dtype(p, count, DType::I32, d, "count");
      SPAIC_CHECK(p.slot_numel(count.slot) == 1, Shape, d.owner, d.owner, ": count must hold one value");
    }
  }
  // A run of T steps: the history for T steps of this batch, the PSP kernel for T steps (on the device).
  void start(Program& p) override {
    tp.batch = p.batch();
    tp.steps = p.steps();
    const std::vector<i64> hshape = {tp.steps, tp.batch, tp.n_pre};
    if (hist.shape != hshape) hist = make_tensor(p.dtype(), hshape, dev, false);
    const std::vector<i64> vshape = {tp.batch, tp.n_post};
    if (vmax.shape != vshape) {
      vmax = make_tensor(p.dtype(), vshape, dev, true);
      tmax = make_tensor(DType::I32, vshape, dev, true);
      coef = make_tensor(p.dtype(), vshape, dev, true);
      dmat = make_tensor(p.dtype(), {tp.batch, tp.n_post, tp.n_pre}, dev, false);
    }
    if (kern.numel() != tp.steps) {
      Tensor h = make_tensor(DType::F64, {tp.steps}, Device{}, false);
      for (i64 s = 0; s < tp.steps; ++s) h.ptr<double>()[s] = tempotron_kernel(static_cast<double>(s), tau, tau_s);
      kern = make_tensor(DType::F64, {tp.steps}, dev, false);
      copy_bytes(kern, h);
    }
  }
  void step(Program& p) override {
    const i64 t = p.step();
    SPAIC_DISPATCH(dev, tempotron_record<T>(tp, t, p.read(pre).ptr<T>(), p.read(v).ptr<T>(), hist.ptr<T>(),
                                            vmax.ptr<T>(), tmax.ptr<std::int32_t>()));
    if (t + 1 < tp.steps) return;
    SPAIC_DISPATCH(
        dev, tempotron_update<T>(tp, hist.ptr<T>(), vmax.ptr<T>(), tmax.ptr<std::int32_t>(),
                                 p.read(label).ptr<std::int32_t>(), kern.ptr<double>(), dmat.ptr<T>(), coef.ptr<T>(),
                                 p.write(w).ptr<T>(), vel.ok() ? p.write(vel).ptr<T>() : nullptr,
                                 count.ok() ? p.write(count).ptr<std::int32_t>() : nullptr));
  }
};

const OpRegistrar kRegistered[] = {
    {"tempotron", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<TempotronOp>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

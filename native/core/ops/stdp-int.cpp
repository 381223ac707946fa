// core/ops/stdp-int.cpp - postpreintstdp (ALGORITHMS.md §2.2.4): op stdp_int, one fused int_stdp_step per step.
#include <cstdint>
#include <utility>
#include <vector>

#include "core/op-base.h"
#include "spaic/ops.h"
#include "spaic/params/stdp-trace.h"
#include "spaic/rng.h"
#include "spaic/stdp-trace.h"

namespace spaic::ops {

namespace {

using i32 = std::int32_t;

// Reads, all at 'cur' (this step's values, SPAIC's `[updated]`): the pre group's spikes (int32, or the
// program's float type, e.g. an encoder's, cast to int32 each step), the post group's int32 spikes and its
// int32 threshold [N_post] after the neuron's update. Updates in place: the int32 traces [B, N_pre] and
// [B, N_post] (state, reset at each run start) and the int32 weight [N_post, N_pre].
//
// The stochastic rounding draws from the program's random stream: each step takes 2*B*N_post*N_pre words
// (one per draw it may make) and keys the kernel's counter-based draws (math/stdp-trace.h counter_uniform)
// by the program's seed and the offset of those words, so a run is a function of the seed on either device.
struct StdpInt : OpBase {
  SlotRef pre, post, thresh, x_pre, x_post, w;
  IntStdpParams ip;
  bool pre_int = true;
  Tensor pre_cast;  // [B, N_pre] int32: float pre spikes cast each step
  // CPU, when this op is the weight's only writer: cpu::int_stdp_rows updates and marks only the rows that can
  // change (same numbers); after any other write of the weight (setSlot, the run-start clamp) one full step
  // first brings every row within the bounds.
  bool sparse = false;
  i64 full_clock = -1;  // the clock of this op's last full write of the weight
  std::vector<i64> rows;
  StdpInt(const OpDesc& od, Program& p)
      : OpBase(od, p.device()),
        pre(ref("pre")),
        post(ref("post")),
        thresh(ref("thresh")),
        x_pre(ref("x_pre")),
        x_post(ref("x_post")),
        w(ref("weight")) {
    const DType pre_t = p.desc().slots[static_cast<std::size_t>(pre.slot)].dtype;
    pre_int = pre_t == DType::I32;
    if (!pre_int) check_slot_dtype(p, pre, p.dtype(), d, "pre");
    const std::pair<SlotRef, const char*> ints[] = {
        {post, "post"}, {thresh, "thresh"}, {x_pre, "x_pre"}, {x_post, "x_post"}, {w, "weight"}};
    for (const auto& [r, nm] : ints) check_slot_dtype(p, r, DType::I32, d, nm);
    ip.n_pre = per_sample(p, pre);
    ip.n_post = per_sample(p, post);
    SPAIC_CHECK(p.slot_numel(w.slot) == ip.n_pre * ip.n_post, Shape, d.owner, d.owner, ": weight must hold ", ip.n_post,
                " x ", ip.n_pre, " values");
    SPAIC_CHECK(per_sample(p, x_pre) == ip.n_pre && per_sample(p, x_post) == ip.n_post, Shape, d.owner, d.owner,
                ": traces must match the pre and post groups");
    SPAIC_CHECK(
        !p.desc().slots[static_cast<std::size_t>(thresh.slot)].batched && p.slot_numel(thresh.slot) == ip.n_post, Shape,
        d.owner, d.owner, ": the threshold must hold one value per post neuron");
    read_params(params::kIntStdp, ip);
    const params::Fault f = params::int_stdp_fault(ip);
    SPAIC_CHECK(f.key == nullptr, InvalidArgument, d.owner, d.owner, ": ", f.key, " must be ", f.expected);
    int writers = 0;
    for (const OpDesc& o : p.desc().ops)
      for (auto& [role, r] : o.refs)
        if (r.slot == w.slot && r.mode != WriteMode::None) ++writers;
    sparse = dev.is_cpu() && writers == 1 && str("kernel", "auto") == "auto";
  }
  const i32* pre_spikes(Program& p) {
    const Tensor& s = p.read(pre);
    if (pre_int) return s.ptr<i32>();
    const i64 n = p.batch() * ip.n_pre;
    if (pre_cast.numel() != n) pre_cast = make_tensor(DType::I32, {n}, dev, false);
    if (p.dtype() == DType::F32) SPAIC_DISPATCH(dev, cast<i32, float>(s.ptr<float>(), pre_cast.ptr<i32>(), n));
    else SPAIC_DISPATCH(dev, cast<i32, double>(s.ptr<double>(), pre_cast.ptr<i32>(), n));
    return pre_cast.ptr<i32>();
  }
  // SPAIC's build-time dry run: zero spikes and traces with the initial threshold, so the weight is clamped
  // (and halved where that threshold passes max_threshold). No draw is made.
  void build(Program& p) override {
    IntStdpParams b = ip;
    b.batch = 1;
    const i64 nq = ip.n_pre, np = ip.n_post;
    Tensor z = make_tensor(DType::I32, {2 * (nq + np)}, dev, true);
    i32* zp = z.ptr<i32>();
    int_stdp_step(dev, b, zp, zp + nq, p.committed(thresh.slot).ptr<i32>(), nullptr, zp + nq + np, zp + 2 * nq + np,
                  p.committed(w.slot).ptr<i32>());
  }
  void step(Program& p) override {
    IntStdpParams s = ip;
    s.batch = p.batch();
    const i32* sp = pre_spikes(p);
    const RngState r = p.take_rng(rng_words(RngDraw::Bits, 2 * s.batch * s.n_post * s.n_pre));
    s.seed = r.seed;
    s.counter = r.offset;
    const i32* so = p.read(post).ptr<i32>();
    const i32* th = p.read(thresh).ptr<i32>();
    i32* xq = p.write(x_pre).ptr<i32>();
    i32* xp = p.write(x_post).ptr<i32>();
    if (!sparse || p.stamp_all(w.slot) > full_clock) {
      int_stdp_step(dev, s, sp, so, th, nullptr, xq, xp, p.write(w).ptr<i32>());
      full_clock = p.clock();
      return;
    }
    IntTraceParams tp;
    tp.decay = s.trace_decay;
    tp.shift = s.shift_trace;
    tp.value = s.trace_scale;
    tp.n = s.batch * s.n_pre;
    cpu::int_trace_update(tp, xq, sp);
    tp.n = s.batch * s.n_post;
    cpu::int_trace_update(tp, xp, so);
    cpu::int_stdp_rows(s, sp, so, th, xq, xp, p.write_rows(w).ptr<i32>(), rows);
    for (i64 j : rows) p.mark_row(w.slot, j, s.n_post);
  }
};

const OpRegistrar kRegistered[] = {
    {"stdp_int", [](const OpDesc& d, Program& p) -> OpPtr { return std::make_unique<StdpInt>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

// core/ops/stdp-conv.cpp - conv2d_stdp (ALGORITHMS.md §2.3.4) and conv2d_rstdp (§2.3.5) in the step executor:
// op stdp_conv, one fused rule step (conv_stdp_step, core/stdp-trace.cpp) per conv connection and step;
// conv2d_rstdp is the op with a `reward` slot.
//
// The geometry is the connection's (stride, padding, dilation, groups in the op's numbers; the sizes from
// the slots): pre [C_in, H, W], weight and eligibility [C_out, C_in/groups, kh, kw], post [C_out, H_out,
// W_out] (no pooling: the rule pairs each post neuron with its own receptive field), p_plus [C_in*kh*kw,
// H_out*W_out] and p_minus the post's shape, both per sample. The reward (conv2d_rstdp) is one value for the
// whole batch, read at 'cur' (this step's, SPAIC's Output_Reward[updated]). The im2col columns of the step's
// input spikes and the filtered post spikes (lateral_inhibition, wta) are op scratch, sized at run start.
#include <cmath>
#include <utility>
#include <vector>

#include "core/op-base.h"
#include "spaic/conv2d.h"
#include "spaic/params/stdp-trace.h"
#include "spaic/stdp-trace.h"

namespace spaic::ops {

namespace {

template <typename T>
struct StdpConv : OpBase {
  SlotRef pre, post, reward, p_plus, p_minus, e, w;
  ConvStdpParams cs;
  Tensor col, y;
  i64 ws_batch = -1;
  StdpConv(const OpDesc& od, Program& p)
      : OpBase(od, p.device()),
        pre(ref("pre")),
        post(ref("post")),
        reward(ref("reward", false)),
        p_plus(ref("p_plus")),
        p_minus(ref("p_minus")),
        e(ref("eligibility")),
        w(ref("weight")) {
    const std::pair<SlotRef, const char*> all[] = {{pre, "pre"},         {post, "post"},     {p_plus, "p_plus"},
                                                   {p_minus, "p_minus"}, {e, "eligibility"}, {w, "weight"}};
    for (const auto& [r, nm] : all) check_slot_dtype(p, r, p.dtype(), d, nm);
    const auto shape_of = [&](const SlotRef& r) { return p.desc().slots[static_cast<std::size_t>(r.slot)].shape; };
    const std::vector<i64> xs = shape_of(pre), ws = shape_of(w), ys = shape_of(post);
    SPAIC_CHECK(xs.size() == 3 && ws.size() == 4 && ys.size() == 3, Shape, d.owner, d.owner,
                ": conv STDP needs a [C, H, W] pre, a [C_out, C_in/groups, kh, kw] weight and a [C_out, H, W] post");
    const auto integer = [&](const char* key, double fallback, i64 lo) {
      const double v = finite(key, fallback);
      SPAIC_CHECK(v == std::floor(v) && v >= static_cast<double>(lo), InvalidArgument, d.owner, d.owner, ": ", key,
                  " must be an integer >= ", lo, ", got ", v);
      return static_cast<i64>(v);
    };
    Conv2dParams& cp = cs.conv;
    cp.stride_h = cp.stride_w = integer("stride", 1, 1);
    cp.pad_h = cp.pad_w = integer("padding", 0, 0);
    cp.dil_h = cp.dil_w = integer("dilation", 1, 1);
    cp.groups = integer("groups", 1, 1);
    cp.c_in = xs[0];
    cp.h_in = xs[1];
    cp.w_in = xs[2];
    cp.c_out = ws[0];
    cp.kh = ws[2];
    cp.kw = ws[3];
    SPAIC_CHECK(cp.c_in % cp.groups == 0 && cp.c_out % cp.groups == 0 && ws[1] * cp.groups == cp.c_in, Shape, d.owner,
                d.owner, ": weight [", ws[0], ", ", ws[1], ", ", ws[2], ", ", ws[3], "] with groups ", cp.groups,
                " does not fit ", cp.c_in, " input channels");
    cp.h_out = conv_out_size(cp.h_in, cp.kh, cp.stride_h, cp.pad_h, cp.dil_h);
    cp.w_out = conv_out_size(cp.w_in, cp.kw, cp.stride_w, cp.pad_w, cp.dil_w);
    SPAIC_CHECK(ys[0] == cp.c_out && ys[1] == cp.h_out && ys[2] == cp.w_out, Shape, d.owner, d.owner,
                ": the conv output [", cp.c_out, ", ", cp.h_out, ", ", cp.w_out, "] is not the post shape [", ys[0],
                ", ", ys[1], ", ", ys[2], "] (a pooled conv cannot be trained by conv STDP)");
    const i64 K = conv_col_rows(cp), L = conv_col_cols(cp);
    SPAIC_CHECK(per_sample(p, p_plus) == K * L && per_sample(p, p_minus) == cp.c_out * L &&
                    p.slot_numel(e.slot) == p.slot_numel(w.slot),
                Shape, d.owner, d.owner, ": p_plus must hold [", K, ", ", L, "], p_minus [", cp.c_out, ", ", L,
                "] per sample, and the eligibility the weight's shape");
    cs.reward = reward.ok();
    if (cs.reward) {
      check_slot_dtype(p, reward, p.dtype(), d, "reward");
      SPAIC_CHECK(reward_shape_of(p, reward, cp.c_out, false, d) == RewardShape::Scalar, Shape, d.owner, d.owner,
                  ": conv2d_rstdp needs one global reward (ndim <= 1, not per sample)");
    }
    read_params(params::kConvStdp, cs);
    SPAIC_CHECK(params::bounds_ordered(cs), InvalidArgument, d.owner, d.owner, ": clamp bounds lo > hi");
  }
  void start(Program& p) override {
    if (ws_batch == p.batch()) return;
    Conv2dParams& cp = cs.conv;
    cp.batch = p.batch();
    const i64 L = conv_col_cols(cp);
    col = make_tensor(p.dtype(), {std::max<i64>(1, cp.batch * conv_col_rows(cp) * L)}, dev, false);
    if (cs.inhibit || cs.wta) y = make_tensor(p.dtype(), {std::max<i64>(1, 2 * cp.batch * cp.c_out * L)}, dev, false);
    ws_batch = p.batch();
  }
  void step(Program& p) override {
    const T* r = cs.reward ? p.read(reward).ptr<T>() : nullptr;
    T* yb = cs.inhibit || cs.wta ? y.ptr<T>() : nullptr;
    conv_stdp_step<T>(dev, cs, p.read(pre).ptr<T>(), p.read(post).ptr<T>(), r, p.write(p_plus).ptr<T>(),
                      p.write(p_minus).ptr<T>(), p.write(e).ptr<T>(), p.write(w).ptr<T>(), col.ptr<T>(), yb);
  }
};

const OpRegistrar kRegistered[] = {
    {"stdp_conv", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<StdpConv>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

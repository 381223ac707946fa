// core/ops/synapse-conv.cpp - the conv synapse (synapse_conv), with its optional max pool.
#include "core/op-base.h"
#include "spaic/conv2d.h"
#include "spaic/ops.h"

namespace spaic::ops {

namespace {

// Conv synapse (ALGORITHMS.md §3.5): Isyn = conv2d(s_pre, W, stride, padding, dilation, groups) (+ bias),
// then, with syn_type ['conv', 'maxpool'], the non-overlapping max pool (SPAIC's 2x2, stride 2). The
// geometry comes from the slots: pre [C_in, H, W], weight [C_out, C_in/groups, kh, kw], Isyn [C_out, H', W'].
i64 conv_workspace(Device dev, const Conv2dParams& cp) {
  i64 n = 0;
  SPAIC_DISPATCH_TO(dev, n, conv2d_workspace_elems(cp));
  return n;
}

template <typename T>
struct SynapseConv : OpBase {
  SlotRef pre, w, bias, out;
  Conv2dParams cp;
  Pool2dParams pp;
  bool pool = false;
  i64 conv_elems = 0;  // one sample's conv output
  Tensor col, tmp, pooled, argmax;
  i64 ws_batch = -1;
  SynapseConv(const OpDesc& od, Program& p)
      : OpBase(od, p.device()), pre(ref("pre")), w(ref("weight")), bias(ref("bias", false)), out(ref("Isyn")) {
    check_slot_dtype(p, pre, p.dtype(), d, "pre spikes");
    check_slot_dtype(p, w, p.dtype(), d, "weight");
    check_slot_dtype(p, out, p.dtype(), d, "Isyn");
    const auto shape_of = [&](const SlotRef& r) { return p.desc().slots[static_cast<std::size_t>(r.slot)].shape; };
    const std::vector<i64> xs = shape_of(pre), ws = shape_of(w), ys = shape_of(out);
    SPAIC_CHECK(xs.size() == 3 && ws.size() == 4 && ys.size() == 3, Shape, d.owner, "conv connection ", d.owner,
                " needs a [C, H, W] pre, a [C_out, C_in/groups, kh, kw] weight and a [C_out, H, W] post");
    const auto integer = [&](const char* key, double fallback, i64 lo) {
      const double v = finite(key, fallback);
      SPAIC_CHECK(v == std::floor(v) && v >= static_cast<double>(lo), InvalidArgument, d.owner, "conv connection ",
                  d.owner, ": ", key, " must be an integer >= ", lo, ", got ", v);
      return static_cast<i64>(v);
    };
    const i64 stride = integer("stride", 1, 1), padding = integer("padding", 0, 0),
              dilation = integer("dilation", 1, 1);
    const i64 groups = integer("groups", 1, 1);
    cp.c_in = xs[0];
    cp.h_in = xs[1];
    cp.w_in = xs[2];
    cp.c_out = ws[0];
    cp.kh = ws[2];
    cp.kw = ws[3];
    cp.stride_h = cp.stride_w = stride;
    cp.pad_h = cp.pad_w = padding;
    cp.dil_h = cp.dil_w = dilation;
    cp.groups = groups;
    SPAIC_CHECK(cp.c_in % groups == 0 && cp.c_out % groups == 0 && ws[1] * groups == cp.c_in, Shape, d.owner,
                "conv connection ", d.owner, ": weight [", ws[0], ", ", ws[1], ", ", ws[2], ", ", ws[3],
                "] with groups ", groups, " does not fit ", cp.c_in, " input channels");
    cp.h_out = conv_out_size(cp.h_in, cp.kh, cp.stride_h, cp.pad_h, cp.dil_h);
    cp.w_out = conv_out_size(cp.w_in, cp.kw, cp.stride_w, cp.pad_w, cp.dil_w);
    SPAIC_CHECK(cp.h_out > 0 && cp.w_out > 0, Shape, d.owner, "conv connection ", d.owner,
                ": the kernel does not fit the input");
    conv_elems = cp.c_out * cp.h_out * cp.w_out;
    pool = num("maxpool", 0) != 0;
    i64 hy = cp.h_out, wy = cp.w_out;
    if (pool) {
      const i64 kh = integer("pool_kernel_h", 2, 1), kw = integer("pool_kernel_w", 2, 1);
      const i64 ps = integer("pool_stride", 2, 1), pad = integer("pool_padding", 0, 0);
      SPAIC_CHECK(kh == kw && ps == kh && pad == 0, InvalidArgument, d.owner, "conv connection ", d.owner,
                  ": the executor's max pool is non-overlapping (a square kernel equal to its stride, no padding, as "
                  "SPAIC's 2x2 "
                  "stride 2); got pool_kernel_size [",
                  kh, ", ", kw, "], pool_stride ", ps, ", pool_padding ", pad);
      pp.k = kh;
      pp.h_in = cp.h_out;
      pp.w_in = cp.w_out;
      pp.h_out = cp.h_out / kh;
      pp.w_out = cp.w_out / kh;
      hy = pp.h_out;
      wy = pp.w_out;
    }
    SPAIC_CHECK(ys[0] == cp.c_out && ys[1] == hy && ys[2] == wy, Shape, d.owner, "conv connection ", d.owner,
                ": its output [", cp.c_out, ", ", hy, ", ", wy, "] does not fit the post shape [", ys[0], ", ", ys[1],
                ", ", ys[2], "]");
    if (bias.ok()) {
      check_slot_dtype(p, bias, p.dtype(), d, "bias");
      SPAIC_CHECK(p.slot_numel(bias.slot) == cp.c_out, Shape, d.owner, "bias of ", d.owner, " holds ",
                  p.slot_numel(bias.slot), " values, expected ", cp.c_out);
    }
  }
  void start(Program& p) override {
    if (ws_batch == p.batch()) return;
    cp.batch = p.batch();
    col = make_tensor(p.dtype(), {conv_workspace(dev, cp)}, dev, false);
    tmp = make_tensor(p.dtype(), {cp.batch * conv_elems}, dev, false);
    if (pool) {
      pp.planes = cp.batch * cp.c_out;
      const i64 n = pp.planes * pp.h_out * pp.w_out;
      pooled = make_tensor(p.dtype(), {n}, dev, false);
      argmax = make_tensor(DType::I32, {n}, dev, false);
    }
    ws_batch = p.batch();
  }
  void step(Program& p) override {
    const Tensor& s = p.read(pre);
    const Tensor& W = p.read(w);
    const T* b = bias.ok() ? p.read(bias).ptr<T>() : nullptr;
    const bool acc = p.accumulate(out);
    const Tensor& o = p.write(out);
    // the conv writes Isyn itself unless it is pooled or adds to another connection's current
    T* y = (pool || acc) ? tmp.ptr<T>() : o.ptr<T>();
    SPAIC_DISPATCH(dev, conv2d_forward<T>(cp, s.ptr<T>(), W.ptr<T>(), b, y, col.ptr<T>()));
    const T* r = y;
    if (pool) {
      T* dst = acc ? pooled.ptr<T>() : o.ptr<T>();
      SPAIC_DISPATCH(dev, maxpool2d_forward<T>(pp, y, dst, argmax.ptr<std::int32_t>()));
      r = dst;
    }
    if (acc) SPAIC_DISPATCH(dev, binary<T>(BinaryOp::Add, o.ptr<T>(), r, o.ptr<T>(), o.numel(), nullptr));
  }
};

const OpRegistrar kRegistered[] = {
    {"synapse_conv", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<SynapseConv>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

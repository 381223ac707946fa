// core/ops/synapse-full.cpp - the full synapse (synapse_full): Isyn = s . W^T (+ bias).
#include <cstdint>

#include "core/op-base.h"
#include "spaic/ops.h"
#include "spaic/synapse.h"

namespace spaic::ops {

namespace {

// The spikes of an integer group (diehlAndCook) and an integer weight (postpreintstdp) are int32: the op then
// works on a copy in the program's float type (the spikes cast every step, the weight whenever it changed),
// so the product, the GEMM and the CPU's W^T shortcut stay the float ones. Integer sums below 2^24 are exact.
template <typename T>
struct SynapseFull : OpBase {
  SlotRef pre, w, bias, out;
  i64 n_pre, n_post;
  Tensor ws;
  i64 ws_batch = -1;
  bool pre_int = false, w_int = false;
  Tensor pre_f, w_f;   // the float copies of int32 spikes [B, N_pre] and weight [N_post, N_pre]
  i64 w_f_clock = -1;  // the clock at which w_f was last cast
  static bool is_int(const Program& p, const SlotRef& r) {
    return p.desc().slots[static_cast<std::size_t>(r.slot)].dtype == DType::I32;
  }
  SynapseFull(const OpDesc& od, Program& p)
      : OpBase(od, p.device()), pre(ref("pre")), w(ref("weight")), bias(ref("bias", false)), out(ref("Isyn")) {
    pre_int = is_int(p, pre);
    w_int = is_int(p, w);
    if (!pre_int) check_slot_dtype(p, pre, p.dtype(), d, "pre spikes");
    if (!w_int) check_slot_dtype(p, w, p.dtype(), d, "weight");
    check_slot_dtype(p, out, p.dtype(), d, "Isyn");
    n_pre = per_sample(p, pre);
    n_post = per_sample(p, out);
    use_wt = num("transposed_copy", 1) != 0;
    SPAIC_CHECK(p.slot_numel(w.slot) == n_pre * n_post, Shape, d.owner, "weight of ", d.owner, " holds ",
                p.slot_numel(w.slot), " values, expected ", n_post, " x ", n_pre);
  }
  // The CPU measures the input density each step (auto: no cost there). On a GPU, auto would read the
  // count back every step: the dense product is taken instead (a small GEMM per step).
  static SynapseMode mode_on(const Device& d) { return d.is_cpu() ? SynapseMode::Auto : SynapseMode::Dense; }
  int host_syncs_per_step(bool cuda) const override { return cuda && mode_on(Device{0}) == SynapseMode::Auto ? 1 : 0; }
  SynapseParams params(const Program& p, bool acc) const {
    SynapseParams sp;
    sp.rows = p.batch();
    sp.n_pre = n_pre;
    sp.n_post = n_post;
    sp.layout = WeightLayout::PostPre;
    sp.mode = mode_on(dev);
    sp.accumulate = acc;
    return sp;
  }
  void start(Program& p) override {
    if (ws_batch == p.batch()) return;
    const SynapseWorkspace sw = synapse_forward_workspace(params(p, false), false, sizeof(T));
    ws = make_tensor(DType::U8, {static_cast<i64>(sw.bytes) + 16}, dev, false);
    ws_batch = p.batch();
  }
  const T* spikes(Program& p) {
    const Tensor& s = p.read(pre);
    if (!pre_int) return s.ptr<T>();
    if (pre_f.numel() != s.numel()) pre_f = make_tensor(p.dtype(), {s.numel()}, dev, false);
    SPAIC_DISPATCH(dev, cast<T, std::int32_t>(s.ptr<std::int32_t>(), pre_f.ptr<T>(), s.numel()));
    return pre_f.ptr<T>();
  }
  // The float copy of an int32 weight: cast whole after a whole-weight write, else the rows marked changed.
  const T* weight(Program& p) {
    const Tensor& W = p.read(w);
    if (!w_int) return W.ptr<T>();
    const std::int32_t* wi = W.ptr<std::int32_t>();
    if (w_f.numel() != W.numel() || p.stamp_all(w.slot) >= w_f_clock) {
      if (w_f.numel() != W.numel()) w_f = make_tensor(p.dtype(), {W.numel()}, dev, false);
      SPAIC_DISPATCH(dev, cast<T, std::int32_t>(wi, w_f.ptr<T>(), W.numel()));
    } else {
      const i64* rs = p.row_stamps(w.slot, n_post);
      for (i64 j = 0; j < n_post; ++j)
        if (rs[j] >= w_f_clock)
          SPAIC_DISPATCH(dev, cast<T, std::int32_t>(wi + j * n_pre, w_f.ptr<T>() + j * n_pre, n_pre));
    }
    w_f_clock = p.clock();
    return w_f.ptr<T>();
  }
  void step(Program& p) override {
    const T* s = spikes(p);
    const T* W = weight(p);
    const T* b = bias.ok() ? p.read(bias).ptr<T>() : nullptr;
    const bool acc = p.accumulate(out);
    const Tensor& o = p.write(out);
    if (dev.is_cpu() && use_wt && transposed_step(p, s, W, b, o.ptr<T>(), acc)) return;
    SPAIC_DISPATCH(dev, synapse_forward<T, T>(params(p, acc), s, W, b, o.ptr<T>(), ws.raw()));
  }

  // CPU, sparse input: Isyn from a W^T copy refreshed lazily from the weight's change stamps
  // (cpu::transposed_forward, spaic/synapse.h). Dense inputs take synapse_forward.
  bool use_wt = true;
  cpu::TransposedCache<T> wtc;
  bool transposed_step(Program& p, const T* s, const T* W, const T* b, T* o, bool accumulate) {
    const i64 rows = p.batch(), nq = n_pre, np = n_post;
    if (nq < 64 || np < 8) return false;
    if (!cpu::transposed_gather<T>(wtc, s, rows, nq)) return false;
    // the stamps are read only once the shortcut is taken (row_stamps sizes them at the current clock)
    const i64 all = p.stamp_all(w.slot);
    const i64* rs = p.row_stamps(w.slot, np);
    cpu::transposed_forward<T>(wtc, s, W, b, o, rows, nq, np, accumulate, all, rs, p.clock());
    return true;
  }
};

const OpRegistrar kRegistered[] = {
    {"synapse_full", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<SynapseFull>(d, p); }},
};

}  // namespace

}  // namespace spaic::ops

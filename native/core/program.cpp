// core/program.cpp - the program executor (spaic/program.h): slot buffers, the per-step sequence with
// SPAIC's prev/cur/commit semantics, and the ops, which call the kernels of the other families through
// spaic::cpu / spaic::cuda. No N-API here.
#include "spaic/program.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "spaic/conv2d.h"
#include "spaic/device.h"
#include "spaic/error.h"
#include "spaic/neuron-step.h"
#include "spaic/ops.h"
#include "spaic/reward.h"
#include "spaic/stdp-trace.h"
#include "spaic/synapse.h"

#if defined(SPAIC_HAVE_CUDA)
#define PG_CALL(dev, ...)                          \
  do {                                             \
    if ((dev).is_cpu()) {                          \
      ::spaic::cpu::__VA_ARGS__;                   \
    } else {                                       \
      ::spaic::gpu::set_current((dev).index);      \
      ::spaic::cuda::__VA_ARGS__;                  \
    }                                              \
  } while (0)
#else
#define PG_CALL(dev, ...)                                                                \
  do {                                                                                   \
    if ((dev).is_cpu()) {                                                                \
      ::spaic::cpu::__VA_ARGS__;                                                         \
    } else {                                                                             \
      SPAIC_FAIL(Device, "device", "CUDA is not available: built without CUDA");         \
    }                                                                                    \
  } while (0)
#endif

namespace spaic {

namespace {

i64 numel_of(const std::vector<i64>& s) {
  i64 n = 1;
  for (i64 d : s) n *= d;
  return n;
}

// dst[dst_off ..] = src[src_off ..], `bytes` bytes, both on `dev`.
void dcopy(Device dev, void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0 || dst == src) return;
  if (dev.is_cpu()) std::memcpy(dst, src, bytes);
  else gpu::copy_d2d(dev.index, dst, src, bytes);
}

void dzero(Device dev, void* dst, std::size_t bytes) {
  if (bytes == 0) return;
  if (dev.is_cpu()) std::memset(dst, 0, bytes);
  else gpu::memset0(dev.index, dst, bytes);
}

template <typename H>
void fill_host(std::vector<unsigned char>& out, const std::vector<double>& init, i64 per, i64 reps) {
  out.resize(static_cast<std::size_t>(per * reps) * sizeof(H));
  H* h = reinterpret_cast<H*>(out.data());
  for (i64 r = 0; r < reps; ++r)
    for (i64 k = 0; k < per; ++k) h[r * per + k] = static_cast<H>(init.size() == 1 ? init[0] : init[static_cast<std::size_t>(k)]);
}

// Writes `init` (one fill value, or `per` values repeated `reps` times) into t.
void upload_init(const Tensor& t, const std::vector<double>& init, i64 per, i64 reps) {
  if (t.numel() == 0) return;
  std::vector<unsigned char> host;
  switch (t.dtype) {
    case DType::F32: fill_host<float>(host, init, per, reps); break;
    case DType::F64: fill_host<double>(host, init, per, reps); break;
    case DType::I32: fill_host<std::int32_t>(host, init, per, reps); break;
    case DType::U8: fill_host<std::uint8_t>(host, init, per, reps); break;
  }
  if (t.device().is_cpu()) std::memcpy(t.raw(), host.data(), host.size());
  else gpu::copy_h2d(t.device().index, t.raw(), host.data(), host.size());
}

double host_scalar(const Tensor& t) {
  Tensor h = make_tensor(t.dtype, {1}, Device{}, false);
  Tensor one = t;
  one.shape = {1};
  copy_bytes(h, one);
  switch (t.dtype) {
    case DType::F32: return h.ptr<float>()[0];
    case DType::F64: return h.ptr<double>()[0];
    case DType::I32: return h.ptr<std::int32_t>()[0];
    case DType::U8: return h.ptr<std::uint8_t>()[0];
  }
  return 0;
}

// ---- op helpers

struct OpBase : ProgramOp {
  const OpDesc& d;
  Device dev;
  explicit OpBase(const OpDesc& od, Device dv) : d(od), dev(dv) {}
  SlotRef ref(const char* role, bool required = true) const {
    auto it = d.refs.find(role);
    if (it == d.refs.end() || !it->second.ok()) {
      SPAIC_CHECK(!required, InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, " needs a '", role, "' slot");
      return SlotRef{};
    }
    return it->second;
  }
  double num(const char* key, double fallback) const {
    auto it = d.num.find(key);
    if (it == d.num.end()) return fallback;
    return it->second;
  }
  double finite(const char* key, double fallback) const {
    double v = num(key, fallback);
    SPAIC_CHECK(std::isfinite(v), InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, ": ", key,
                " must be a finite number, got ", v);
    return v;
  }
  std::string str(const char* key, const std::string& fallback) const {
    auto it = d.str.find(key);
    return it == d.str.end() ? fallback : it->second;
  }
};

void check_slot_dtype(const Program& p, const SlotRef& r, DType want, const OpDesc& d, const char* role) {
  const SlotDesc& s = p.desc().slots[static_cast<std::size_t>(r.slot)];
  SPAIC_CHECK(s.dtype == want, InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, ": its ", role, " slot '", s.name,
              "' is ", dtype_name(s.dtype), ", expected ", dtype_name(want));
}

i64 per_sample(const Program& p, const SlotRef& r) {
  const SlotDesc& s = p.desc().slots[static_cast<std::size_t>(r.slot)];
  return numel_of(s.shape);
}

// ---- encoders

template <typename T>
struct EncodeSpikeTrain : OpBase {
  SlotRef src, out;
  EncodeSpikeTrain(const OpDesc& od, Program& p) : OpBase(od, p.device()), src(ref("source")), out(ref("O")) {
    check_slot_dtype(p, src, p.dtype(), d, "source");
    check_slot_dtype(p, out, p.dtype(), d, "O");
  }
  void step(Program& p) override {
    const Tensor& x = p.input_data(src.slot);
    const Tensor& o = p.write(out);
    const i64 n = per_sample(p, out);
    PG_CALL(dev, gather_step<T>(x.ptr<T>(), o.ptr<T>(), p.batch(), x.shape[1], n, p.step()));
  }
};

// poisson and bernoulli: at the run start, all T frames are drawn at once (uint8) from a float32 copy of
// the source, taking the run's n·T words of the stream, as the feed-forward executor's encoder does (so
// both executors give the same spikes for the same stream position); each step then reads its frame.
template <typename T>
struct EncodeRandom : OpBase {
  SlotRef src, out;
  bool bernoulli;
  float uc, max_prob;
  double start_time, end_time;
  Tensor xf, xmax, frames;
  EncodeRandom(const OpDesc& od, Program& p, bool bern) : OpBase(od, p.device()), src(ref("source")), out(ref("O")), bernoulli(bern) {
    check_slot_dtype(p, src, p.dtype(), d, "source");
    check_slot_dtype(p, out, p.dtype(), d, "O");
    uc = static_cast<float>(finite("unit_conversion", 1.0));
    max_prob = static_cast<float>(finite("max_prob", 1.0));
    start_time = num("start_time", -std::numeric_limits<double>::infinity());
    end_time = num("end_time", std::numeric_limits<double>::infinity());
  }
  void start(Program& p) override {
    const Tensor& x = p.input_data(src.slot);
    const i64 n = x.numel();
    if (std::is_same<T, float>::value) {
      xf = x;
    } else {
      xf = make_tensor(DType::F32, {n}, dev, false);
      PG_CALL(dev, cast<float, T>(x.ptr<T>(), xf.ptr<float>(), n));
    }
    if (bernoulli) {
      xmax = make_tensor(DType::F32, {1}, dev, false);
      ReduceParams rp;
      rp.op = ReduceOp::Max;
      rp.outer = 1;
      rp.len = n;
      rp.inner = 1;
      PG_CALL(dev, reduce<float>(rp, xf.ptr<float>(), xmax.ptr<float>()));
    }
    const i64 steps = p.steps();
    if (!frames.storage || frames.numel() != steps * n || !(frames.device() == dev)) frames = make_tensor(DType::U8, {steps, n}, dev, false);
    if (steps == 0 || n == 0) return;
    EncodeParams ep;
    ep.n = n;
    ep.steps = steps;
    ep.unit_conversion = uc;
    ep.dt = static_cast<float>(p.dt());
    ep.max_prob = max_prob;
    RngState s = p.take_rng(rng_words(RngDraw::Uniform, n * steps));
    if (bernoulli) PG_CALL(dev, encode_bernoulli<std::uint8_t>(s, ep, xf.ptr<float>(), xmax.ptr<float>(), frames.ptr<std::uint8_t>()));
    else PG_CALL(dev, encode_poisson<std::uint8_t>(s, ep, xf.ptr<float>(), frames.ptr<std::uint8_t>()));
  }
  void step(Program& p) override {
    const Tensor& o = p.write(out);
    const i64 n = p.batch() * per_sample(p, out);
    const double time = static_cast<double>(p.step()) * p.dt();
    if (!bernoulli && (time < start_time || time > end_time)) {
      dzero(dev, o.raw(), o.bytes());
      return;
    }
    PG_CALL(dev, cast<T, std::uint8_t>(frames.ptr<std::uint8_t>() + p.step() * n, o.ptr<T>(), n));
  }
};

template <typename T>
struct EncodeConstant : OpBase {
  SlotRef src, out;
  T uc;
  EncodeConstant(const OpDesc& od, Program& p) : OpBase(od, p.device()), src(ref("source")), out(ref("O")) {
    check_slot_dtype(p, src, p.dtype(), d, "source");
    check_slot_dtype(p, out, p.dtype(), d, "O");
    uc = static_cast<T>(finite("unit_conversion", 1.0));
  }
  void step(Program& p) override {
    const Tensor& x = p.input_data(src.slot);
    const Tensor& o = p.write(out);
    PG_CALL(dev, binary_scalar<T>(BinaryOp::Mul, x.ptr<T>(), uc, o.ptr<T>(), o.numel(), false));
  }
};

// ---- synapse

template <typename T>
struct SynapseFull : OpBase {
  SlotRef pre, w, bias, out;
  i64 n_pre, n_post;
  Tensor ws;
  i64 ws_batch = -1;
  SynapseFull(const OpDesc& od, Program& p)
      : OpBase(od, p.device()), pre(ref("pre")), w(ref("weight")), bias(ref("bias", false)), out(ref("Isyn")) {
    check_slot_dtype(p, pre, p.dtype(), d, "pre spikes");
    check_slot_dtype(p, w, p.dtype(), d, "weight");
    check_slot_dtype(p, out, p.dtype(), d, "Isyn");
    n_pre = per_sample(p, pre);
    n_post = per_sample(p, out);
    use_wt = num("transposed_copy", 1) != 0;
    SPAIC_CHECK(p.slot_numel(w.slot) == n_pre * n_post, Shape, d.owner, "weight of ", d.owner, " holds ", p.slot_numel(w.slot),
                " values, expected ", n_post, " x ", n_pre);
  }
  // The CPU measures the input density each step (auto: no cost there). On a GPU, auto would read the
  // count back every step: the dense product is taken instead (a small GEMM per step).
  static SynapseMode mode_on(const Device& d) { return d.is_cpu() ? SynapseMode::Auto : SynapseMode::Dense; }
  int host_syncs_per_step(bool cuda) const override {
    return cuda && mode_on(Device{0}) == SynapseMode::Auto ? 1 : 0;
  }
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
  void step(Program& p) override {
    const Tensor& s = p.read(pre);
    const Tensor& W = p.read(w);
    const T* b = bias.ok() ? p.read(bias).ptr<T>() : nullptr;
    const bool acc = p.accumulate(out);
    const Tensor& o = p.write(out);
    if (dev.is_cpu() && use_wt && transposed_step(p, s.ptr<T>(), W.ptr<T>(), b, o.ptr<T>(), acc)) return;
    PG_CALL(dev, synapse_forward<T, T>(params(p, acc), s.ptr<T>(), W.ptr<T>(), b, o.ptr<T>(), ws.raw()));
  }

  // CPU, sparse input: Isyn[r, :] = sum over active i of s[r, i] * W^T[i, :], from a W^T copy whose rows
  // are refreshed lazily, when read, from the weight rows changed since (the weight's change stamps):
  // contiguous rows instead of a strided gather over W. Dense inputs take synapse_forward.
  bool use_wt = true;
  std::vector<T> wt, accv;
  std::vector<i64> col_stamp;
  std::vector<std::int32_t> idx;
  std::vector<i64> off;
  bool transposed_step(Program& p, const T* s, const T* W, const T* b, T* o, bool accumulate) {
    const i64 rows = p.batch(), nq = n_pre, np = n_post;
    if (nq < 64 || np < 8) return false;
    off.assign(static_cast<std::size_t>(rows) + 1, 0);
    idx.resize(static_cast<std::size_t>(rows * nq));
    i64 cnt = 0;
    for (i64 r = 0; r < rows; ++r) {  // branch-free compaction of the active inputs
      off[r] = cnt;
      const T* sr = s + r * nq;
      std::int32_t* ix = idx.data();
      for (i64 i = 0; i < nq; ++i) {
        ix[cnt] = static_cast<std::int32_t>(i);
        cnt += sr[i] != T(0) ? 1 : 0;
      }
    }
    off[rows] = cnt;
    if (static_cast<double>(cnt) > 0.05 * static_cast<double>(rows * nq)) return false;
    if (wt.size() != static_cast<std::size_t>(nq * np)) {
      wt.assign(static_cast<std::size_t>(nq * np), T(0));
      col_stamp.assign(static_cast<std::size_t>(nq), -1);
    }
    const i64 all = p.stamp_all(w.slot);
    const i64* rs = p.row_stamps(w.slot, np);
    const i64 now = p.clock();
    for (i64 k = 0; k < cnt; ++k) {
      const std::int32_t i = idx[static_cast<std::size_t>(k)];
      i64& cs = col_stamp[static_cast<std::size_t>(i)];
      if (cs == now) continue;
      T* wr = wt.data() + static_cast<i64>(i) * np;
      if (all >= cs) {
        for (i64 j = 0; j < np; ++j) wr[j] = W[j * nq + i];
      } else {
        for (i64 j = 0; j < np; ++j)
          if (rs[j] >= cs) wr[j] = W[j * nq + i];
      }
      cs = now;
    }
    accv.resize(static_cast<std::size_t>(np));
    for (i64 r = 0; r < rows; ++r) {
      T* a = accv.data();
      for (i64 j = 0; j < np; ++j) a[j] = T(0);
      const T* sr = s + r * nq;
      for (i64 k = off[r]; k < off[r + 1]; ++k) {
        const i64 i = idx[static_cast<std::size_t>(k)];
        const T v = spike_value<T>(sr[i]);
        const T* wr = wt.data() + i * np;
        for (i64 j = 0; j < np; ++j) a[j] += v * wr[j];
      }
      T* orow = o + r * np;
      for (i64 j = 0; j < np; ++j) orow[j] = synapse_finish(a[j], b, j, orow + j, accumulate);
    }
    return true;
  }
};


// Conv synapse (ALGORITHMS.md §3.5): Isyn = conv2d(s_pre, W, stride, padding, dilation, groups) (+ bias),
// then, with syn_type ['conv', 'maxpool'], the non-overlapping max pool (SPAIC's 2x2, stride 2). The
// geometry comes from the slots: pre [C_in, H, W], weight [C_out, C_in/groups, kh, kw], Isyn [C_out, H', W'].
i64 conv_workspace(Device dev, const Conv2dParams& cp) {
#if defined(SPAIC_HAVE_CUDA)
  if (dev.is_cuda()) return cuda::conv2d_workspace_elems(cp);
#endif
  (void)dev;
  return cpu::conv2d_workspace_elems(cp);
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
      SPAIC_CHECK(v == std::floor(v) && v >= static_cast<double>(lo), InvalidArgument, d.owner, "conv connection ", d.owner,
                  ": ", key, " must be an integer >= ", lo, ", got ", v);
      return static_cast<i64>(v);
    };
    const i64 stride = integer("stride", 1, 1), padding = integer("padding", 0, 0), dilation = integer("dilation", 1, 1);
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
    SPAIC_CHECK(cp.c_in % groups == 0 && cp.c_out % groups == 0 && ws[1] * groups == cp.c_in, Shape, d.owner, "conv connection ",
                d.owner, ": weight [", ws[0], ", ", ws[1], ", ", ws[2], ", ", ws[3], "] with groups ", groups, " does not fit ",
                cp.c_in, " input channels");
    cp.h_out = conv_out_size(cp.h_in, cp.kh, cp.stride_h, cp.pad_h, cp.dil_h);
    cp.w_out = conv_out_size(cp.w_in, cp.kw, cp.stride_w, cp.pad_w, cp.dil_w);
    SPAIC_CHECK(cp.h_out > 0 && cp.w_out > 0, Shape, d.owner, "conv connection ", d.owner, ": the kernel does not fit the input");
    conv_elems = cp.c_out * cp.h_out * cp.w_out;
    pool = num("maxpool", 0) != 0;
    i64 hy = cp.h_out, wy = cp.w_out;
    if (pool) {
      const i64 kh = integer("pool_kernel_h", 2, 1), kw = integer("pool_kernel_w", 2, 1);
      const i64 ps = integer("pool_stride", 2, 1), pad = integer("pool_padding", 0, 0);
      SPAIC_CHECK(kh == kw && ps == kh && pad == 0, InvalidArgument, d.owner, "conv connection ", d.owner,
                  ": the executor's max pool is non-overlapping (a square kernel equal to its stride, no padding, as SPAIC's 2x2 "
                  "stride 2); got pool_kernel_size [", kh, ", ", kw, "], pool_stride ", ps, ", pool_padding ", pad);
      pp.k = kh;
      pp.h_in = cp.h_out;
      pp.w_in = cp.w_out;
      pp.h_out = cp.h_out / kh;
      pp.w_out = cp.w_out / kh;
      hy = pp.h_out;
      wy = pp.w_out;
    }
    SPAIC_CHECK(ys[0] == cp.c_out && ys[1] == hy && ys[2] == wy, Shape, d.owner, "conv connection ", d.owner, ": its output [",
                cp.c_out, ", ", hy, ", ", wy, "] does not fit the post shape [", ys[0], ", ", ys[1], ", ", ys[2], "]");
    if (bias.ok()) {
      check_slot_dtype(p, bias, p.dtype(), d, "bias");
      SPAIC_CHECK(p.slot_numel(bias.slot) == cp.c_out, Shape, d.owner, "bias of ", d.owner, " holds ", p.slot_numel(bias.slot),
                  " values, expected ", cp.c_out);
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
    PG_CALL(dev, conv2d_forward<T>(cp, s.ptr<T>(), W.ptr<T>(), b, y, col.ptr<T>()));
    const T* r = y;
    if (pool) {
      T* dst = acc ? pooled.ptr<T>() : o.ptr<T>();
      PG_CALL(dev, maxpool2d_forward<T>(pp, y, dst, argmax.ptr<std::int32_t>()));
      r = dst;
    }
    if (acc) PG_CALL(dev, binary<T>(BinaryOp::Add, o.ptr<T>(), r, o.ptr<T>(), o.numel(), nullptr));
  }
};

// ---- neurons

template <typename T>
struct NeuronOp : OpBase {
  NeuronModel model;
  NeuronParams np;
  SlotRef in, out_o, out_v, out_i, v0ref;
  std::vector<std::pair<std::string, SlotRef>> states;  // kernel order
  double v0 = 1.0;
  NeuronOp(const OpDesc& od, Program& p, NeuronModel m) : OpBase(od, p.device()), model(m), in(ref("Isyn")), out_o(ref("O")) {
    check_slot_dtype(p, in, p.dtype(), d, "Isyn");
    const bool dc = m == NeuronModel::DiehlAndCook;
    check_slot_dtype(p, out_o, dc ? DType::I32 : p.dtype(), d, "O");
    np.model = m;
    np.v_th = finite("v_th", 1.0);
    np.decay = finite("decay", 1.0);
    np.decay_p = finite("decay_p", 1.0);
    np.decay_q = finite("decay_q", 1.0);
    np.constant_decay = finite("constant_decay", 0.0);
    np.v_reset = finite("v_reset", 0.0);
    np.v_rest = finite("v_rest", 0.0);
    np.th_inc = finite("th_inc", 0.0);
    np.decay_th = finite("decay_th", 1.0);
    if (dc) {
      DiehlCookParams& c = np.dc;
      auto ii = [&](const char* k, int32_t def) { return static_cast<int32_t>(finite(k, def)); };
      c.max_threshold = ii("max_threshold", c.max_threshold);
      c.decay = ii("dc_decay", c.decay);
      c.shift_voltage = ii("shift_voltage", c.shift_voltage);
      c.weight_sum_coef = ii("weight_sum_coef", c.weight_sum_coef);
      c.shift_weight_sum_coef = ii("shift_weight_sum_coef", c.shift_weight_sum_coef);
      c.weight_sum_min = ii("weight_sum_min", c.weight_sum_min);
      c.weight_sum_max = ii("weight_sum_max", c.weight_sum_max);
      c.v_reset = ii("dc_v_reset", c.v_reset);
      c.v_rest = ii("dc_v_rest", c.v_rest);
      c.reset_refrac = ii("reset_refrac", c.reset_refrac);
      c.thresh_plus = ii("thresh_plus", c.thresh_plus);
      c.lbound = ii("lbound", c.lbound);
    }
    std::vector<const char*> names;
    switch (m) {
      case NeuronModel::CLIF: names = {"M", "S", "E"}; break;
      case NeuronModel::LifStdpEx: names = {"V", "theta", "Vth_theta"}; break;
      case NeuronModel::DiehlAndCook: names = {"V", "refrac", "thresh"}; break;
      default: names = {"V"}; break;
    }
    for (const char* nm : names) {
      SlotRef r = ref(nm);
      check_slot_dtype(p, r, dc ? DType::I32 : p.dtype(), d, nm);
      states.emplace_back(nm, r);
    }
    if (m == NeuronModel::CLIF) {
      out_v = ref("V", false);
      out_i = ref("I", false);
      v0ref = ref("V0");
    }
  }
  void start(Program& p) override {
    if (v0ref.ok()) v0 = host_scalar(p.read(SlotRef{v0ref.slot, false, WriteMode::None}));
    np.v0 = v0;
  }
  void step(Program& p) override {
    np.steps = 1;
    np.batch = p.batch();
    np.n = per_sample(p, out_o);
    const Tensor& x = p.read(in);
    NeuronState<T> st;
    void* ptrs[3] = {nullptr, nullptr, nullptr};
    int ns = 0;
    for (auto& [nm, r] : states) {
      SlotRef rd = r;
      rd.cur = false;
      const Tensor& prev = p.read(rd);
      const Tensor& work = p.write(r);
      dcopy(dev, work.raw(), prev.raw(), prev.bytes());
      ptrs[ns++] = work.raw();
    }
    switch (model) {
      case NeuronModel::CLIF:
        st.m = static_cast<T*>(ptrs[0]);
        st.s = static_cast<T*>(ptrs[1]);
        st.e = static_cast<T*>(ptrs[2]);
        break;
      case NeuronModel::LifStdpEx:
        st.v = static_cast<T*>(ptrs[0]);
        st.theta = static_cast<T*>(ptrs[1]);
        st.vth_theta = static_cast<T*>(ptrs[2]);
        break;
      case NeuronModel::DiehlAndCook:
        st.iv = static_cast<int32_t*>(ptrs[0]);
        st.refrac = static_cast<int32_t*>(ptrs[1]);
        st.thresh = static_cast<int32_t*>(ptrs[2]);
        break;
      default: st.v = static_cast<T*>(ptrs[0]); break;
    }
    NeuronForwardOut<T> o;
    const Tensor& spikes = p.write(out_o);
    if (model == NeuronModel::DiehlAndCook) o.spikes_i32 = spikes.ptr<int32_t>();
    else o.spikes = spikes.ptr<T>();
    if (out_v.ok()) o.saved_v = p.write(out_v).ptr<T>();
    SurrogateArgs<T> sg;
    PG_CALL(dev, neuron_forward<T>(np, sg, x.ptr<T>(), st, o));
    if (out_i.ok()) {
      const Tensor& iw = p.write(out_i);
      PG_CALL(dev, binary_scalar<T>(BinaryOp::Mul, x.ptr<T>(), static_cast<T>(v0), iw.ptr<T>(), iw.numel(), true));
    }
  }
};

// ---- reward nodes (ALGORITHMS.md §3.8; graph ops in the groups' phase)
//
// Each step the node adds its target's previous-step spikes to its window count (spike_count; a new
// window starts every dec_sample_step steps and at every run start). On the step that fills the window
// Output_Reward gets the coding's reward (environment: the node's source); on the other steps zeros.

template <typename T>
struct RewardOp : OpBase {
  enum Kind { Global, Da, Xor, Environment, Classify } kind;
  SlotRef target, count, running, label, source, out;
  RewardNodeParams rp;
  DType target_dtype = DType::F32;
  i64 index = 0;
  Tensor scratch;
  i64 scratch_batch = -1;
  RewardOp(const OpDesc& od, Program& p, Kind k) : OpBase(od, p.device()), kind(k), target(ref("target")), count(ref("count")), out(ref("reward")) {
    target_dtype = p.desc().slots[static_cast<std::size_t>(target.slot)].dtype;
    SPAIC_CHECK(target_dtype == p.dtype() || target_dtype == DType::I32, InvalidArgument, d.owner, "reward node ", d.owner,
                ": its target's spikes must be ", dtype_name(p.dtype()), " or int32");
    check_slot_dtype(p, count, p.dtype(), d, "spike_count");
    check_slot_dtype(p, out, p.dtype(), d, "Output_Reward");
    const auto integer = [&](const char* key, double fallback, i64 lo) {
      const double v = finite(key, fallback);
      SPAIC_CHECK(v == std::floor(v) && v >= static_cast<double>(lo), InvalidArgument, d.owner, "reward node ", d.owner, ": ", key,
                  " must be an integer >= ", lo, ", got ", v);
      return static_cast<i64>(v);
    };
    rp.num = per_sample(p, target);
    rp.pop = integer("pop_size", 1, 1);
    rp.window = integer("dec_sample_step", 1, 1);
    rp.reward_signal = finite("reward_signal", 1.0);
    rp.punish_signal = finite("punish_signal", k == Da ? 0.0 : -1.0);
    SPAIC_CHECK(rp.num % rp.pop == 0, Shape, d.owner, "reward node ", d.owner, ": pop_size ", rp.pop, " does not divide its ",
                rp.num, " target neurons");
    SPAIC_CHECK(per_sample(p, count) == rp.num && p.desc().slots[static_cast<std::size_t>(count.slot)].batched, Shape, d.owner,
                "reward node ", d.owner, ": spike_count must hold [B, ", rp.num, "]");
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
        SPAIC_CHECK(!os.batched && rp.n_out == rp.num, Shape, d.owner, "reward node ", d.owner, ": da_reward's Output_Reward must hold [",
                    rp.num, "]");
        break;
      case Classify:
        rp.coding = RewardCoding::Classify;
        running = ref("running");
        check_slot_dtype(p, running, p.dtype(), d, "running");
        SPAIC_CHECK(os.batched && rp.n_out == npop && per_sample(p, running) == npop &&
                        p.desc().slots[static_cast<std::size_t>(running.slot)].batched,
                    Shape, d.owner, "reward node ", d.owner, ": classify_reward's Output_Reward and running state must hold [B, ", npop, "]");
        break;
      case Environment: break;
    }
    SPAIC_CHECK(kind == Classify || !os.batched, Shape, d.owner, "reward node ", d.owner, ": Output_Reward must not be batched");
    if (kind == Environment) {
      source = ref("source");
      check_slot_dtype(p, source, p.dtype(), d, "source");
      SPAIC_CHECK(per_sample(p, source) == rp.n_out && !p.desc().slots[static_cast<std::size_t>(source.slot)].batched, Shape, d.owner,
                  "reward node ", d.owner, ": environment_reward's source must hold the ", rp.n_out, " values of Output_Reward");
    } else {
      label = ref("label");
      check_slot_dtype(p, label, DType::I32, d, "label");
      const SlotDesc& ls = p.desc().slots[static_cast<std::size_t>(label.slot)];
      SPAIC_CHECK(ls.batched && numel_of(ls.shape) == 1, Shape, d.owner, "reward node ", d.owner, ": label must hold one value per sample");
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
    if (target_dtype == DType::I32) PG_CALL(dev, reward_count<T, std::int32_t>(s.ptr<std::int32_t>(), cp, cw.ptr<T>(), n, first));
    else PG_CALL(dev, reward_count<T, T>(s.ptr<T>(), cp, cw.ptr<T>(), n, first));
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
    PG_CALL(dev, reward_compute<T>(rp, cw.ptr<T>(), lab, rpv, rw, o.ptr<T>(), scratch.ptr<T>()));
  }
};

// ---- decoders and monitors (fetch phase)

template <typename T>
struct DecodeOp : OpBase {
  enum Kind { Counts, First, Voltage } kind;
  SlotRef target, predict;
  i64 pop, n;
  T bias, scale;
  Tensor acc;
  DecodeOp(const OpDesc& od, Program& p, Kind k) : OpBase(od, p.device()), kind(k), target(ref("target")), predict(ref("predict")) {
    check_slot_dtype(p, target, p.dtype(), d, "target");
    check_slot_dtype(p, predict, p.dtype(), d, "predict");
    pop = static_cast<i64>(finite("pop_size", 1));
    n = per_sample(p, target);
    SPAIC_CHECK(pop >= 1 && n % pop == 0 && per_sample(p, predict) == n / pop, Shape, d.owner, "decoder ", d.owner,
                ": pop_size ", pop, " does not split ", n, " neurons into ", per_sample(p, predict), " populations");
    bias = static_cast<T>(finite("bias", 0.0));
    scale = static_cast<T>(finite("scale", 1.0));
  }
  void start(Program& p) override {
    acc = make_tensor(p.dtype(), {p.batch(), n}, dev, true);
    if (kind == First) PG_CALL(dev, fill<T>(acc.ptr<T>(), T(-1), acc.numel()));
  }
  void step(Program& p) override {
    const Tensor& s = p.read(target);
    if (kind == First) PG_CALL(dev, first_spike<T>(s.ptr<T>(), acc.ptr<T>(), acc.numel(), static_cast<T>(p.step())));
    else PG_CALL(dev, binary<T>(BinaryOp::Add, acc.ptr<T>(), s.ptr<T>(), acc.ptr<T>(), acc.numel(), nullptr));
  }
  void finish(Program& p) override {
    const Tensor& out = p.write(predict);
    ReduceParams rp;
    rp.outer = p.batch() * (n / pop);
    rp.len = pop;
    rp.inner = 1;
    if (kind == First) {
      PG_CALL(dev, first_spike_done<T>(acc.ptr<T>(), acc.numel(), static_cast<T>(p.steps())));
      rp.op = ReduceOp::Min;
      PG_CALL(dev, reduce<T>(rp, acc.ptr<T>(), out.ptr<T>()));
      return;
    }
    rp.op = kind == Voltage ? ReduceOp::Mean : ReduceOp::Sum;
    PG_CALL(dev, reduce<T>(rp, acc.ptr<T>(), out.ptr<T>()));
    if (kind == Voltage) {
      PG_CALL(dev, binary_scalar<T>(BinaryOp::Div, out.ptr<T>(), static_cast<T>(p.steps()), out.ptr<T>(), out.numel(), false));
      return;
    }
    PG_CALL(dev, binary_scalar<T>(BinaryOp::Add, out.ptr<T>(), bias, out.ptr<T>(), out.numel(), false));
    PG_CALL(dev, binary_scalar<T>(BinaryOp::Mul, out.ptr<T>(), scale, out.ptr<T>(), out.numel(), false));
  }
};

struct MonitorOp : OpBase {
  SlotRef target;
  Tensor rec;
  MonitorOp(const OpDesc& od, Program& p) : OpBase(od, p.device()), target(ref("target")) {}
  void start(Program& p) override {
    std::vector<i64> shape = p.runtime_shape(target.slot);
    shape.insert(shape.begin(), p.steps());
    rec = make_tensor(p.desc().slots[static_cast<std::size_t>(target.slot)].dtype, shape, dev, false);
  }
  void step(Program& p) override {
    const Tensor& s = p.read(target);
    dcopy(dev, static_cast<unsigned char*>(rec.raw()) + static_cast<std::size_t>(p.step()) * s.bytes(), s.raw(), s.bytes());
  }
  bool has_record() const override { return rec.storage != nullptr; }
  Tensor record() const override { return rec; }
};

// ---- STDP learners (nearest_online_stdp, full_online_stdp): one fused online_step per step

template <typename T>
struct StdpOnline : OpBase {
  SlotRef pre, post, x_pre, x_post, dw, w;
  OnlineParams op;
  int normalise = 1;  // 0 never, 1 every step, 2 last step of each run
  bool sparse = false;  // CPU: cpu::online_step_sparse (same numbers, touches only what changes)
  cpu::OnlineSparseState sst;
  StdpOnline(const OpDesc& od, Program& p)
      : OpBase(od, p.device()), pre(ref("pre")), post(ref("post")), x_pre(ref("x_pre")), x_post(ref("x_post")), dw(ref("dw")),
        w(ref("weight")) {
    const std::pair<SlotRef, const char*> all[] = {{pre, "pre"}, {post, "post"}, {x_pre, "x_pre"}, {x_post, "x_post"}, {dw, "dw"}, {w, "weight"}};
    for (const auto& [r, nm] : all) check_slot_dtype(p, r, p.dtype(), d, nm);
    op.n_pre = per_sample(p, pre);
    op.n_post = per_sample(p, post);
    SPAIC_CHECK(p.slot_numel(w.slot) == op.n_pre * op.n_post && p.slot_numel(dw.slot) == op.n_pre * op.n_post, Shape, d.owner,
                d.owner, ": weight/dw must hold ", op.n_post, " x ", op.n_pre, " values");
    SPAIC_CHECK(per_sample(p, x_pre) == op.n_pre && per_sample(p, x_post) == op.n_post, Shape, d.owner, d.owner,
                ": traces must match the pre and post groups");
    const std::string tr = str("trace", "nearest");
    SPAIC_CHECK(tr == "nearest" || tr == "full", InvalidArgument, d.owner, d.owner, ": trace must be 'nearest' or 'full', got '", tr, "'");
    op.trace = tr == "nearest" ? TraceKind::Nearest : TraceKind::Full;
    op.pre_decay = finite("pre_decay", 1.0);
    op.post_decay = finite("post_decay", 1.0);
    op.a_post = finite("Apost", 0.01);
    op.a_pre = finite("Apre", 1e-4);
    op.immediate = num("immediate", 0) != 0;
    op.w_norm = finite("w_norm", 78.4);
    op.zero_rows_nan = num("zero_rows_nan", 0) != 0;
    op.lo = num("lo", -INFINITY);
    op.hi = num("hi", INFINITY);
    SPAIC_CHECK(!(op.lo > op.hi), InvalidArgument, d.owner, d.owner, ": clamp bounds lo > hi");
    op.clamp = std::isfinite(op.lo) || std::isfinite(op.hi);
    const std::string nz = str("normalise", "step");
    SPAIC_CHECK(nz == "step" || nz == "run" || nz == "none", InvalidArgument, d.owner, d.owner,
                ": normalise must be 'step', 'run' or 'none', got '", nz, "'");
    normalise = nz == "none" ? 0 : nz == "step" ? 1 : 2;
    const std::string kernel = str("kernel", "auto");
    SPAIC_CHECK(kernel == "auto" || kernel == "dense", InvalidArgument, d.owner, d.owner, ": kernel must be 'auto' or 'dense'");
    // The sparse step keeps track of which weight rows changed: only when this op is the weight's only writer.
    int writers = 0;
    for (const OpDesc& o : p.desc().ops)
      for (auto& [role, r] : o.refs)
        if (r.slot == w.slot && r.mode != WriteMode::None) ++writers;
    sparse = kernel == "auto" && dev.is_cpu() && !op.immediate && writers == 1;
    op.path = path_on(dev);
  }
  // The CPU chooses dense or event-driven dW from the spike counts each step. On a GPU that choice would
  // read the counts back every step: the event path is taken (deterministic, no read-back).
  static DwPath path_on(const Device& d) { return d.is_cpu() ? DwPath::Auto : DwPath::Event; }
  int host_syncs_per_step(bool cuda) const override { return cuda && path_on(Device{0}) == DwPath::Auto ? 1 : 0; }
  void start(Program&) override { sst.reset(); }
  // SPAIC's build-time dry run executes the op once on zero traces and spikes: dw = 0, so the weight
  // is normalised (nearest_online: every step) and clamped before the first run.
  void build(Program& p) override {
    OnlineParams b = op;
    b.batch = 1;
    b.normalise = normalise == 1;
    const i64 nq = op.n_pre, np = op.n_post;
    Tensor z = make_tensor(p.dtype(), {2 * (nq + np) + np * nq}, dev, true);
    T* zp = z.ptr<T>();
    PG_CALL(dev, online_step<T>(b, zp, zp + nq, zp + nq + np, zp + 2 * nq + np, p.committed(w.slot).template ptr<T>(),
                                zp + 2 * (nq + np)));
  }
  void step(Program& p) override {
    OnlineParams s = op;
    s.batch = p.batch();
    s.normalise = normalise == 1 || (normalise == 2 && p.step() == p.steps() - 1);
    const T* sp = p.read(pre).ptr<T>();
    const T* so = p.read(post).ptr<T>();
    if (sparse) {
      cpu::online_step_sparse<T>(s, sp, so, p.write(x_pre).ptr<T>(), p.write(x_post).ptr<T>(), p.write_rows(w).ptr<T>(),
                                 p.write(dw).ptr<T>(), sst);
      for (i64 j : sst.changed_rows) p.mark_row(w.slot, j, op.n_post);
      return;
    }
    PG_CALL(dev, online_step<T>(s, sp, so, p.write(x_pre).ptr<T>(), p.write(x_post).ptr<T>(), p.write(w).ptr<T>(),
                                p.write(dw).ptr<T>()));
  }
};

template <typename T>
std::unique_ptr<ProgramOp> make_op(const OpDesc& d, Program& p) {
  const std::string& t = d.type;
  if (t == "encode_spike_train") return std::make_unique<EncodeSpikeTrain<T>>(d, p);
  if (t == "encode_poisson") return std::make_unique<EncodeRandom<T>>(d, p, false);
  if (t == "encode_bernoulli") return std::make_unique<EncodeRandom<T>>(d, p, true);
  if (t == "encode_constant_current") return std::make_unique<EncodeConstant<T>>(d, p);
  if (t == "synapse_full") return std::make_unique<SynapseFull<T>>(d, p);
  if (t == "synapse_conv") return std::make_unique<SynapseConv<T>>(d, p);
  if (t == "neuron_lif") return std::make_unique<NeuronOp<T>>(d, p, NeuronModel::LIF);
  if (t == "neuron_if") return std::make_unique<NeuronOp<T>>(d, p, NeuronModel::IF);
  if (t == "neuron_clif") return std::make_unique<NeuronOp<T>>(d, p, NeuronModel::CLIF);
  if (t == "neuron_lifstdp_ex") return std::make_unique<NeuronOp<T>>(d, p, NeuronModel::LifStdpEx);
  if (t == "neuron_lifstdp_ih") return std::make_unique<NeuronOp<T>>(d, p, NeuronModel::LifStdpIh);
  if (t == "neuron_diehl_and_cook") return std::make_unique<NeuronOp<T>>(d, p, NeuronModel::DiehlAndCook);
  if (t == "decode_spike_counts") return std::make_unique<DecodeOp<T>>(d, p, DecodeOp<T>::Counts);
  if (t == "decode_first_spike") return std::make_unique<DecodeOp<T>>(d, p, DecodeOp<T>::First);
  if (t == "decode_voltage") return std::make_unique<DecodeOp<T>>(d, p, DecodeOp<T>::Voltage);
  if (t == "reward_global") return std::make_unique<RewardOp<T>>(d, p, RewardOp<T>::Global);
  if (t == "reward_da") return std::make_unique<RewardOp<T>>(d, p, RewardOp<T>::Da);
  if (t == "reward_xor") return std::make_unique<RewardOp<T>>(d, p, RewardOp<T>::Xor);
  if (t == "reward_environment") return std::make_unique<RewardOp<T>>(d, p, RewardOp<T>::Environment);
  if (t == "reward_classify") return std::make_unique<RewardOp<T>>(d, p, RewardOp<T>::Classify);
  if (t == "monitor") return std::make_unique<MonitorOp>(d, p);
  if (t == "stdp_online") return std::make_unique<StdpOnline<T>>(d, p);
  SPAIC_FAIL(InvalidArgument, d.owner, "op type '", t, "' (of ", d.owner,
             ") is not supported by the program executor; supported: encode_spike_train, encode_poisson, encode_bernoulli, "
             "encode_constant_current, synapse_full, synapse_conv, neuron_lif, neuron_if, neuron_clif, neuron_lifstdp_ex, "
             "neuron_lifstdp_ih, neuron_diehl_and_cook, reward_global, reward_da, reward_xor, reward_environment, reward_classify, "
             "decode_spike_counts, decode_first_spike, decode_voltage, monitor, stdp_online");
}

}  // namespace

// ---- Program

Program::Program(const ProgramDesc& desc) : desc_(desc), rng_(desc.rng) {
  SPAIC_CHECK(desc_.dtype == DType::F32 || desc_.dtype == DType::F64, InvalidArgument, "dtype", "program dtype must be float32 or float64");
  SPAIC_CHECK(std::isfinite(desc_.dt) && desc_.dt > 0, InvalidArgument, "dt", "dt must be a finite number > 0, got ", desc_.dt);
  SPAIC_CHECK(desc_.batch >= 1, InvalidArgument, "batch", "batch must be >= 1");
  const int ns = static_cast<int>(desc_.slots.size());
  for (const SlotDesc& s : desc_.slots) {
    const i64 per = numel_of(s.shape);
    SPAIC_CHECK(s.init.size() == 1 || static_cast<i64>(s.init.size()) == per, Shape, s.name, "slot '", s.name, "': ",
                s.init.size(), " initial values for ", per, " elements");
  }
  // Slots written with set/add during the step need a working buffer.
  for (OpDesc& o : desc_.ops) {
    for (auto& [role, r] : o.refs) {
      SPAIC_CHECK(r.slot >= -1 && r.slot < ns, InvalidArgument, o.owner, "op '", o.type, "' refers to slot ", r.slot,
                  " of ", ns);
      if (r.ok() && o.phase != OpPhase::Fetch && (r.mode == WriteMode::Set || r.mode == WriteMode::Add))
        desc_.slots[static_cast<std::size_t>(r.slot)].double_buffer = true;
      if (r.ok() && r.mode != WriteMode::None) {
        const SlotKind k = desc_.slots[static_cast<std::size_t>(r.slot)].kind;
        SPAIC_CHECK(k != SlotKind::Input && k != SlotKind::Const, InvalidArgument, o.owner, "op '", o.type, "' of ", o.owner,
                    " writes the ", k == SlotKind::Input ? "input" : "constant", " slot '",
                    desc_.slots[static_cast<std::size_t>(r.slot)].name, "'");
      }
    }
  }
  rt_.resize(desc_.slots.size());
  allocate(desc_.batch);
  for (int i = 0; i < ns; ++i) reset_slot(i);
  for (const OpDesc& o : desc_.ops) {
    if (desc_.dtype == DType::F32) ops_.push_back(make_op<float>(o, *this));
    else ops_.push_back(make_op<double>(o, *this));
  }
  for (auto& op : ops_) op->build(*this);
  ++clock_;
  for (int i = 0; i < ns; ++i) mark_all(i);
  if (desc_.device.is_cuda()) gpu::synchronize(desc_.device.index);
}

Program::~Program() = default;

std::vector<i64> Program::runtime_shape(int slot) const {
  const SlotDesc& s = desc_.slots[static_cast<std::size_t>(slot)];
  std::vector<i64> shape = s.shape;
  if (s.batched) shape.insert(shape.begin(), batch_);
  return shape;
}

i64 Program::slot_numel(int slot) const { return numel_of(runtime_shape(slot)); }

void Program::allocate(i64 batch) {
  const bool first = batch_ == 0;
  batch_ = batch;
  for (std::size_t i = 0; i < desc_.slots.size(); ++i) {
    const SlotDesc& s = desc_.slots[i];
    if (!first && !s.batched) continue;
    const std::vector<i64> shape = runtime_shape(static_cast<int>(i));
    SlotRt& r = rt_[i];
    r.committed = 0;
    if (s.kind == SlotKind::Input && s.per_step) {
      r.buf[0] = Tensor{};
      continue;
    }
    r.buf[0] = make_tensor(s.dtype, shape, desc_.device, true);
    r.buf[1] = s.double_buffer ? make_tensor(s.dtype, shape, desc_.device, true) : Tensor{};
    if (!first) reset_slot(static_cast<int>(i));
  }
}

void Program::reset_slot(int i) {
  const SlotDesc& s = desc_.slots[static_cast<std::size_t>(i)];
  SlotRt& r = rt_[static_cast<std::size_t>(i)];
  if (s.kind == SlotKind::Input) return;
  r.all_stamp = clock_;
  const Tensor& t = r.buf[r.committed];
  if (s.init.size() == 1) {  // a fill: no host buffer
    const double v = s.init[0];
    const i64 n = t.numel();
    if (n == 0) return;
    if (v == 0.0 && !std::signbit(v)) {
      dzero(desc_.device, t.raw(), t.bytes());
      return;
    }
    switch (t.dtype) {
      case DType::F32: PG_CALL(desc_.device, fill<float>(t.ptr<float>(), static_cast<float>(v), n)); break;
      case DType::F64: PG_CALL(desc_.device, fill<double>(t.ptr<double>(), v, n)); break;
      case DType::I32: PG_CALL(desc_.device, fill<std::int32_t>(t.ptr<std::int32_t>(), static_cast<std::int32_t>(v), n)); break;
      case DType::U8: PG_CALL(desc_.device, fill<std::uint8_t>(t.ptr<std::uint8_t>(), static_cast<std::uint8_t>(v), n)); break;
    }
    return;
  }
  const i64 per = numel_of(s.shape);
  upload_init(t, s.init, per, t.numel() / (per > 0 ? per : 1));
}

const Tensor& Program::committed(int slot) const {
  const SlotRt& r = rt_[static_cast<std::size_t>(slot)];
  if (r.have_input) return r.input;
  return r.buf[r.committed];
}

void Program::assign(int slot, const Tensor& src) {
  const Tensor& dst = committed(slot);
  SPAIC_CHECK(desc_.slots[static_cast<std::size_t>(slot)].kind != SlotKind::Input, InvalidArgument, "name",
              "slot '", desc_.slots[static_cast<std::size_t>(slot)].name, "' is an input: pass it to run()");
  SPAIC_CHECK(src.dtype == dst.dtype, InvalidArgument, "value", "Expected ", dtype_name(dst.dtype), " data for slot '",
              desc_.slots[static_cast<std::size_t>(slot)].name, "' but received ", dtype_name(src.dtype));
  SPAIC_CHECK(src.numel() == dst.numel(), Shape, "value", "Expected ", dst.numel(), " elements for slot '",
              desc_.slots[static_cast<std::size_t>(slot)].name, "' but received ", src.numel());
  copy_bytes(dst, src);
  ++clock_;
  mark_all(slot);
}

bool Program::has_record(int op) const {
  return op >= 0 && op < static_cast<int>(ops_.size()) && ops_[static_cast<std::size_t>(op)]->has_record();
}

Tensor Program::recorded(int op) const {
  SPAIC_CHECK(has_record(op), State, "name", "this monitor has recorded nothing yet: run the program first");
  return ops_[static_cast<std::size_t>(op)]->record();
}

const Tensor& Program::read(const SlotRef& r) const {
  const SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  if (s.have_input) return s.input;
  if (r.cur && s.written && s.buf[1 - s.committed].storage) return s.buf[1 - s.committed];
  return s.buf[s.committed];
}

const Tensor& Program::write_rows(const SlotRef& r) {
  SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  SPAIC_CHECK(r.mode == WriteMode::Update, Internal, "program", "write_rows is for in-place updates");
  return s.buf[s.committed];
}

void Program::mark_row(int slot, i64 row, i64 rows) {
  SlotRt& s = rt_[static_cast<std::size_t>(slot)];
  if (static_cast<i64>(s.row_stamp.size()) != rows) s.row_stamp.assign(static_cast<std::size_t>(rows), clock_);
  s.row_stamp[static_cast<std::size_t>(row)] = clock_;
}

const i64* Program::row_stamps(int slot, i64 rows) {
  SlotRt& s = rt_[static_cast<std::size_t>(slot)];
  if (static_cast<i64>(s.row_stamp.size()) != rows) s.row_stamp.assign(static_cast<std::size_t>(rows), clock_);
  return s.row_stamp.data();
}

const Tensor& Program::write(const SlotRef& r) {
  SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  s.all_stamp = clock_;
  if (r.mode == WriteMode::Update || !s.buf[1 - s.committed].storage) return s.buf[s.committed];
  s.written = true;
  return s.buf[1 - s.committed];
}

bool Program::accumulate(const SlotRef& r) const {
  const SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  return r.mode != WriteMode::Update && s.written;
}

const Tensor& Program::input_data(int slot) const {
  const SlotRt& s = rt_[static_cast<std::size_t>(slot)];
  SPAIC_CHECK(s.have_input || s.buf[0].storage, InvalidArgument, desc_.slots[static_cast<std::size_t>(slot)].name,
              "input '", desc_.slots[static_cast<std::size_t>(slot)].name, "' was not given to run()");
  return s.have_input ? s.input : s.buf[0];
}

RngState Program::take_rng(std::uint64_t words) {
  RngState s = rng_;
  rng_.offset += words;
  return s;
}

void Program::start_run(const RunArgs& a) {
  SPAIC_CHECK(a.steps >= 1, InvalidArgument, "runtime", "a run needs at least one step, got ", a.steps);
  SPAIC_CHECK(a.batch >= 1, InvalidArgument, "inputs", "batch must be >= 1");
  SPAIC_CHECK(a.skip.empty() || a.skip.size() == ops_.size(), InvalidArgument, "skip", "one skip flag per op");
  for (const RunInput& in : a.inputs) {
    SPAIC_CHECK(in.slot >= 0 && in.slot < static_cast<int>(rt_.size()), InvalidArgument, "inputs", "unknown input slot ", in.slot);
    const SlotDesc& s = desc_.slots[static_cast<std::size_t>(in.slot)];
    SPAIC_CHECK(s.kind == SlotKind::Input, InvalidArgument, s.name, "slot '", s.name, "' is not an input");
    SPAIC_CHECK(in.data.device() == desc_.device, Device, s.name, "input '", s.name, "' is on ", in.data.device().name(),
                ", the program on ", desc_.device.name());
    SPAIC_CHECK(in.data.dtype == s.dtype, InvalidArgument, s.name, "input '", s.name, "' must be ", dtype_name(s.dtype));
    i64 want = numel_of(s.shape) * (s.batched ? a.batch : 1);
    if (s.per_step) {
      SPAIC_CHECK(in.data.shape.size() >= 2 && in.data.shape[1] >= a.steps, Shape, s.name, "input '", s.name,
                  "' needs [B, T >= ", a.steps, ", ...] frames");
      want *= in.data.shape[1];
    }
    SPAIC_CHECK(in.data.numel() == want, Shape, s.name, "input '", s.name, "' holds ", in.data.numel(), " values, expected ", want);
  }
  ++clock_;
  if (a.batch != batch_) allocate(a.batch);
  for (std::size_t i = 0; i < rt_.size(); ++i) {
    SlotRt& r = rt_[i];
    r.written = false;
    r.have_input = false;
    r.input = Tensor{};
    const SlotDesc& s = desc_.slots[i];
    if (s.kind == SlotKind::State) reset_slot(static_cast<int>(i));
    if (s.kind == SlotKind::Param && (s.has_lo || s.has_hi)) {
      r.all_stamp = clock_;
      const Tensor& t = r.buf[r.committed];
      if (desc_.dtype == DType::F32 && s.dtype == DType::F32) {
        if (s.has_lo) PG_CALL(desc_.device, binary_scalar<float>(BinaryOp::Max, t.ptr<float>(), static_cast<float>(s.lo), t.ptr<float>(), t.numel(), false));
        if (s.has_hi) PG_CALL(desc_.device, binary_scalar<float>(BinaryOp::Min, t.ptr<float>(), static_cast<float>(s.hi), t.ptr<float>(), t.numel(), false));
      } else if (s.dtype == DType::F64) {
        if (s.has_lo) PG_CALL(desc_.device, binary_scalar<double>(BinaryOp::Max, t.ptr<double>(), s.lo, t.ptr<double>(), t.numel(), false));
        if (s.has_hi) PG_CALL(desc_.device, binary_scalar<double>(BinaryOp::Min, t.ptr<double>(), s.hi, t.ptr<double>(), t.numel(), false));
      }
    }
  }
  for (const RunInput& in : a.inputs) {
    SlotRt& r = rt_[static_cast<std::size_t>(in.slot)];
    r.input = in.data;
    r.have_input = true;
  }
  for (std::size_t i = 0; i < rt_.size(); ++i) {
    const SlotDesc& s = desc_.slots[i];
    if (s.kind == SlotKind::Input && s.per_step && !rt_[i].have_input) {
      // only an error when an op reads it
      for (const OpDesc& o : desc_.ops)
        for (auto& [role, r] : o.refs)
          SPAIC_CHECK(r.slot != static_cast<int>(i) || (!a.skip.empty() && a.skip[static_cast<std::size_t>(&o - desc_.ops.data())]),
                      InvalidArgument, s.name, "input '", s.name, "' was not given to run()");
    }
  }
  steps_ = a.steps;
  step_ = 0;
}

int Program::planned_host_syncs_per_step(bool cuda) const {
  int n = 0;
  for (const auto& op : ops_) n += op->host_syncs_per_step(cuda);
  return n;
}

void Program::run(const RunArgs& a) {
  start_run(a);
  const std::size_t nops = ops_.size();
  std::size_t first_fetch = nops;
  for (std::size_t i = 0; i < nops; ++i)
    if (desc_.ops[i].phase == OpPhase::Fetch) {
      first_fetch = i;
      break;
    }
  auto skipped = [&](std::size_t i) { return !a.skip.empty() && a.skip[i]; };
  for (std::size_t i = 0; i < nops; ++i)
    if (!skipped(i)) ops_[i]->start(*this);
  const gpu::Counters before = gpu::counters();
  for (i64 t = 0; t < a.steps; ++t) {
    step_ = t;
    ++clock_;
    for (std::size_t i = 0; i < first_fetch; ++i)
      if (!skipped(i)) ops_[i]->step(*this);
    for (SlotRt& r : rt_) {
      if (r.written) {
        r.committed = 1 - r.committed;
        r.written = false;
      }
    }
    for (std::size_t i = first_fetch; i < nops; ++i)
      if (!skipped(i)) ops_[i]->step(*this);
  }
  const gpu::Counters after = gpu::counters();
  const double steps = a.steps > 0 ? static_cast<double>(a.steps) : 1.0;
  stats_.launches_per_step = static_cast<double>(after.launches - before.launches) / steps;
  stats_.host_syncs_per_step = static_cast<double>(after.host_syncs - before.host_syncs) / steps;
  for (std::size_t i = 0; i < nops; ++i)
    if (!skipped(i)) ops_[i]->finish(*this);
  // inputs are bound for one run only
  for (SlotRt& r : rt_) {
    r.have_input = false;
    r.input = Tensor{};
  }
  if (desc_.device.is_cuda()) gpu::synchronize(desc_.device.index);
}

}  // namespace spaic

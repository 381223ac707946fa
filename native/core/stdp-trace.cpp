// core/stdp-trace.cpp - the STDP family's rule steps (spaic/stdp-trace.h), written once for both devices:
// each strings the family's kernels together and reaches cpu:: or cuda:: through SPAIC_DISPATCH. Only
// the kernels (cpu/stdp-trace.cpp, cuda/stdp-trace.cu) have twins. No N-API here.
#include <cstdint>

#include "spaic/conv2d.h"
#include "spaic/dispatch.h"
#include "spaic/ops.h"
#include "spaic/stdp-trace.h"
#include "spaic/tensor.h"

namespace spaic {

namespace {

using i32 = std::int32_t;

template <typename T>
void trace(Device dev, TraceKind kind, T* x, const T* s, i64 n, double decay, double amp) {
  TraceParams tp;
  tp.kind = kind;
  tp.decay = decay;
  tp.amp = amp;
  tp.n = n;
  SPAIC_DISPATCH(dev, trace_update<T>(tp, x, s));
}

// The weight change of one step without gains: a_post*BO(s_post, x_pre) + a_pre*BO(x_post, s_pre).
DwParams step_dw(i64 batch, i64 n_post, i64 n_pre, DwPath path) {
  DwParams dp;
  dp.batch = batch;
  dp.n_post = n_post;
  dp.n_pre = n_pre;
  dp.path = path;
  return dp;
}

template <typename T>
constexpr DType dtype_of() {
  return sizeof(T) == sizeof(float) ? DType::F32 : DType::F64;
}

}  // namespace

template <typename T>
void online_step(Device dev, const OnlineParams& p, const T* s_pre, const T* s_post, T* x_pre, T* x_post, T* w, T* dw) {
  trace(dev, p.trace, x_pre, s_pre, p.batch * p.n_pre, p.pre_decay, 1.0);
  trace(dev, p.trace, x_post, s_post, p.batch * p.n_post, p.post_decay, 1.0);
  ApplyParams ap;
  ap.n_post = p.n_post;
  ap.n_pre = p.n_pre;
  ap.normalise = p.normalise;
  ap.w_norm = p.w_norm;
  ap.zero_rows_nan = p.zero_rows_nan;
  ap.clamp = p.clamp;
  ap.lo = p.lo;
  ap.hi = p.hi;
  DwParams dp = step_dw(p.batch, p.n_post, p.n_pre, p.path);
  dp.a_post = p.a_post;
  dp.a_pre = -p.a_pre;
  // SPAIC applies the dw of the previous step, then commits the new one; `immediate` applies the new one.
  if (!p.immediate) SPAIC_DISPATCH(dev, apply_dw<T>(ap, w, dw));
  SPAIC_DISPATCH(dev, stdp_dw<T>(dp, s_post, x_pre, x_post, s_pre, nullptr, nullptr, dw));
  if (p.immediate) SPAIC_DISPATCH(dev, apply_dw<T>(ap, w, dw));
}

template <typename T>
void meta_step(Device dev, const MetaParams& p, const T* s_pre, const T* s_post, T* x_pre, T* x_post, T* w, T* w_mean,
               T* aw_mean, T* dw) {
  if (p.init) SPAIC_DISPATCH(dev, meta_init<T>(p, w, w_mean, aw_mean));
  trace(dev, TraceKind::Switch, x_pre, s_pre, p.batch * p.n_pre, p.pre_decay, 1.0);
  trace(dev, TraceKind::Switch, x_post, s_post, p.batch * p.n_post, p.post_decay, 1.0);
  DwParams dp = step_dw(p.batch, p.n_post, p.n_pre, p.path);
  dp.a_post = p.a_post;
  dp.a_pre = -p.a_pre;
  SPAIC_DISPATCH(dev, stdp_dw<T>(dp, s_post, x_pre, x_post, s_pre, nullptr, nullptr, dw));
  SPAIC_DISPATCH(dev, meta_homeostasis<T>(p, x_post, w_mean, aw_mean));
  SPAIC_DISPATCH(dev, meta_apply<T>(p, w, w_mean, dw));
}

template <typename T>
void switch_step(Device dev, const SwitchParams& p, const T* s_pre, const T* s_post, const T* r, T* x_pre, T* x_post,
                 T* w) {
  const i64 B = p.batch;
  trace(dev, TraceKind::Switch, x_pre, s_pre, B * p.n_pre, p.pre_decay, 1.0);
  trace(dev, TraceKind::Switch, x_post, s_post, B * p.n_post, p.post_decay, 1.0);
  const Tensor gains = make_tensor(dtype_of<T>(), {2 * B}, dev, false);
  T* g_post = gains.ptr<T>();
  T* g_pre = g_post + B;
  SPAIC_DISPATCH(dev, switch_gains<T>(p, r, g_post, g_pre));
  DwParams dp = step_dw(B, p.n_post, p.n_pre, p.path);
  dp.alpha = 1.0 / static_cast<double>(B);
  dp.beta = 1.0;
  dp.gpost_sb = 1;
  dp.gpre_sb = 1;
  SPAIC_DISPATCH(dev, stdp_dw<T>(dp, s_post, x_pre, x_post, s_pre, g_post, g_pre, w));
  if (p.homeo_rate != 0.0) SPAIC_DISPATCH(dev, switch_homeostasis<T>(p, x_post, w));
  ApplyParams ap;
  ap.n_post = p.n_post;
  ap.n_pre = p.n_pre;
  ap.clamp = true;
  ap.lo = p.lo;
  ap.hi = p.hi;
  SPAIC_DISPATCH(dev, apply_dw<T>(ap, w, nullptr));
}

template <typename T>
void rstdp_step(Device dev, const RstdpParams& p, const T* s_pre, const T* s_post, const T* r, T* p_plus, T* p_minus,
                T* e, T* et, T* w, T* s_pre_prev, T* s_post_prev) {
  const i64 B = p.batch, np = p.n_post, nq = p.n_pre;
  const bool per_sample = p.shape == RewardShape::PerSample || p.shape == RewardShape::PerSamplePost;
  const DwParams elig = step_dw(B, np, nq, p.path);
  if (!p.eligibility_trace) {
    if (per_sample) {
      // W += lr * sum_b r[b,j] E_b(previous step): previous spikes, traces before this step's update.
      DwParams dp = elig;
      dp.alpha = p.lr;
      dp.beta = 1.0;
      dp.gpost_sb = dp.gpre_sb = p.shape == RewardShape::PerSamplePost ? np : 1;
      dp.gpost_sj = dp.gpre_sj = p.shape == RewardShape::PerSamplePost ? 1 : 0;
      SPAIC_DISPATCH(dev, stdp_dw<T>(dp, s_post_prev, p_plus, p_minus, s_pre_prev, r, r, w));
    } else {
      RewardParams rp;
      rp.n_post = np;
      rp.n_pre = nq;
      rp.lr = p.lr;
      rp.shape = p.shape;
      rp.reward_value = p.reward_value;
      SPAIC_DISPATCH(dev, apply_reward<T>(rp, w, e, r));
    }
  }
  trace(dev, TraceKind::Scaled, p_plus, s_pre, B * nq, p.d_plus, p.a_plus);
  trace(dev, TraceKind::Scaled, p_minus, s_post, B * np, p.d_minus, p.a_minus);
  // rstdpet: W += (lr*r~) (.) ET (before this step), then ET <- d_e*ET + m_e*E
  EtraceParams ep;
  ep.n_post = np;
  ep.n_pre = nq;
  ep.d_e = p.d_e;
  ep.m_e = p.m_e;
  ep.apply = true;
  ep.lr = p.lr;
  ep.shape = p.shape;
  ep.reward_value = p.reward_value;
  if (p.eligibility_trace && per_sample) {
    // rstdpet with a reward per sample: each sample keeps its own E and ET ([B, N_post, N_pre]), and its
    // reward multiplies its own trace: W += lr * sum_b r~[b] (.) ET_b(previous step).
    const i64 plane = np * nq;
    DwParams one = elig;
    one.batch = 1;
    ep.shape = p.shape == RewardShape::PerSamplePost ? RewardShape::PerPost : RewardShape::Scalar;
    for (i64 b = 0; b < B; ++b) {
      T* eb = e + b * plane;
      SPAIC_DISPATCH(dev, stdp_dw<T>(one, s_post + b * np, p_plus + b * nq, p_minus + b * np, s_pre + b * nq, nullptr,
                                     nullptr, eb));
      const T* rb = r + (p.shape == RewardShape::PerSamplePost ? b * np : b);
      SPAIC_DISPATCH(dev, eligibility_trace<T>(ep, et + b * plane, eb, w, rb));
    }
    return;
  }
  SPAIC_DISPATCH(dev, stdp_dw<T>(elig, s_post, p_plus, p_minus, s_pre, nullptr, nullptr, e));
  if (p.eligibility_trace) {
    SPAIC_DISPATCH(dev, eligibility_trace<T>(ep, et, e, w, r));
  } else if (per_sample) {
    // keep this step's spikes for the next step's reward (a plain copy: the cast to the same type)
    SPAIC_DISPATCH(dev, cast<T, T>(s_pre, s_pre_prev, B * nq));
    SPAIC_DISPATCH(dev, cast<T, T>(s_post, s_post_prev, B * np));
  }
}

// ---- conv2d_stdp / conv2d_rstdp (ALGORITHMS.md §2.3.4, §2.3.5)

template <typename T>
void conv_stdp_step(Device dev, const ConvStdpParams& p, const T* s_pre, const T* s_post, const T* r, T* p_plus,
                    T* p_minus, T* e, T* w, T* col, T* y) {
  const Conv2dParams& cp = p.conv;
  const i64 B = cp.batch, K = conv_col_rows(cp), L = conv_col_cols(cp), Co = cp.c_out;
  const i64 Kg = conv_group_rows(cp), Og = conv_group_out(cp);
  // W += lr*E (conv2d_rstdp: lr*r*E), E of the previous step (or, immediate, of this one), then the bounds
  const auto apply = [&] {
    if (p.reward) {
      RewardParams rp;
      rp.n_post = Co;
      rp.n_pre = Kg;
      rp.lr = p.lr;
      rp.shape = RewardShape::Scalar;
      SPAIC_DISPATCH(dev, apply_reward<T>(rp, w, e, r));
    }
    ApplyParams ap;
    ap.n_post = Co;
    ap.n_pre = Kg;
    ap.dw_scale = p.reward ? 0.0 : p.lr;
    ap.clamp = p.clamp;
    ap.lo = p.lo;
    ap.hi = p.hi;
    if (!p.reward || p.clamp) SPAIC_DISPATCH(dev, apply_dw<T>(ap, w, p.reward ? nullptr : e));
  };
  if (!p.immediate) apply();
  SPAIC_DISPATCH(dev, conv2d_im2col<T>(cp, s_pre, col));
  const T* ys = s_post;
  if (p.inhibit || p.wta) {
    ConvMaskParams mp;
    mp.batch = B;
    mp.maps = Co;
    mp.positions = L;
    mp.inhibit = p.inhibit;
    mp.wta = p.wta;
    SPAIC_DISPATCH(dev, conv_learn_mask<T>(mp, s_post, y, y + B * Co * L));
    ys = y;
  }
  // conv2d_stdp: nearest traces, the amplitudes on the products; conv2d_rstdp: the amplitudes in the traces
  const TraceKind kind = p.reward ? TraceKind::Scaled : TraceKind::Nearest;
  trace(dev, kind, p_plus, col, B * K * L, p.d_plus, p.a_plus);
  trace(dev, kind, p_minus, ys, B * Co * L, p.d_minus, p.a_minus);
  // E_g [Og, Kg] = sum_b a_plus*Y_g[b] [Og, L] . p_plus_g[b]^T + a_minus*p_minus_g[b] [Og, L] . U_g[b]^T
  for (i64 b = 0; b < B; ++b) {
    for (i64 g = 0; g < cp.groups; ++g) {
      GemmParams ltp = conv_grad_weight_gemm(cp, L, b == 0 ? 0.0 : 1.0);
      ltp.alpha = p.reward ? 1.0 : p.a_plus;
      GemmParams ltd = conv_grad_weight_gemm(cp, L, 1.0);
      ltd.alpha = p.reward ? 1.0 : p.a_minus;
      const i64 yo = (b * Co + g * Og) * L, xo = (b * K + g * Kg) * L;
      T* eg = e + g * Og * Kg;
      SPAIC_DISPATCH(dev, gemm<T>(ltp, ys + yo, p_plus + xo, eg));
      SPAIC_DISPATCH(dev, gemm<T>(ltd, p_minus + yo, col + xo, eg));
    }
  }
  if (B == 0) SPAIC_DISPATCH(dev, fill<T>(e, T(0), Co * Kg));
  if (p.immediate) apply();
}

void int_stdp_step(Device dev, const IntStdpParams& p, const i32* s_pre, const i32* s_post, const i32* thresh,
                   const i32* draws, i32* x_pre, i32* x_post, i32* w) {
  IntTraceParams tp;
  tp.decay = p.trace_decay;
  tp.shift = p.shift_trace;
  tp.value = p.trace_scale;
  tp.n = p.batch * p.n_pre;
  SPAIC_DISPATCH(dev, int_trace_update(tp, x_pre, s_pre));
  tp.n = p.batch * p.n_post;
  SPAIC_DISPATCH(dev, int_trace_update(tp, x_post, s_post));
  SPAIC_DISPATCH(dev, int_stdp_weights(p, s_pre, s_post, thresh, draws, x_pre, x_post, w));
}

// ---- bp_rstdp / bp_rstdpet (ALGORITHMS.md §2.3.6)

template <typename T>
void bp_trace_step(Device dev, i64 n, double beta, const T* s, const T* x_prev, T* x_out) {
  if (x_out != x_prev) SPAIC_DISPATCH(dev, cast<T, T>(x_prev, x_out, n));
  trace(dev, TraceKind::Scaled, x_out, s, n, beta, 1.0 - beta);
}

template <typename T>
void bp_rstdp_step(Device dev, const BpParams& p, const T* s_pre, const T* s_post, const T* x_pre, const T* x_post,
                   const T* r, const T* g, T* w, T* et, T* rho, T* h) {
  const i64 B = p.batch, np = p.n_post, nq = p.n_pre;
  const double inv_b = 1.0 / static_cast<double>(B);
  // rho = r G^T: [Br, R] x [R, N_post]
  GemmParams rg;
  rg.trans_b = true;
  rg.m = p.r_batched ? B : 1;
  rg.n = np;
  rg.k = p.r_width;
  rg.lda = p.r_width;
  rg.ldb = p.r_width;
  rg.ldc = np;
  SPAIC_DISPATCH(dev, gemm<T>(rg, r, g, rho));
  const i64 rho_sb = p.r_batched ? np : 0;
  if (!p.et) {
    // W += (lr/B) sum_b rho[b,j] (a_plus s_post[b,j] x_pre[b,i] + a_minus x_post[b,j] s_pre[b,i])
    DwParams dp = step_dw(B, np, nq, p.path);
    dp.a_post = p.a_plus;
    dp.a_pre = p.a_minus;
    dp.alpha = p.lr * inv_b;
    dp.beta = 1.0;
    dp.gpost_sb = dp.gpre_sb = rho_sb;
    dp.gpost_sj = dp.gpre_sj = 1;
    SPAIC_DISPATCH(dev, stdp_dw<T>(dp, s_post, x_pre, x_post, s_pre, rho, rho, w));
    // W -= (hs_r/B) (x_post - 0.1)^T x_pre: a dense product (neither factor is sparse)
    SPAIC_DISPATCH(dev, binary_scalar<T>(BinaryOp::Sub, x_post, static_cast<T>(0.1), h, B * np, false));
    SPAIC_DISPATCH(dev, gemm<T>(stdp_batch_outer_gemm(B, np, nq, -p.hs_r * inv_b, 1.0), h, x_pre, w));
    return;
  }
  // Each sample's trace ET[b] <- et_decay*ET[b] + a_plus s_post[b] x_pre[b]^T, then W += (lr/B) rho[b] (.) ET[b].
  for (i64 b = 0; b < B; ++b) {
    T* etb = et + b * np * nq;
    DwParams dp = step_dw(1, np, nq, p.path);
    dp.a_post = p.a_plus;
    dp.a_pre = 0.0;
    dp.beta = p.et_decay;
    SPAIC_DISPATCH(dev, stdp_dw<T>(dp, s_post + b * np, x_pre + b * nq, nullptr, nullptr, nullptr, nullptr, etb));
    RewardParams rp;
    rp.n_post = np;
    rp.n_pre = nq;
    rp.lr = p.lr * inv_b;
    rp.shape = RewardShape::PerPost;
    SPAIC_DISPATCH(dev, apply_reward<T>(rp, w, etb, rho + b * rho_sb));
  }
  // W -= (hs_r/B) sum_b (x_post[b,j] - 0.2) x_post[b,j] s_pre[b,i]: the pre term of stdp_dw with the gain x_post - 0.2
  SPAIC_DISPATCH(dev, binary_scalar<T>(BinaryOp::Sub, x_post, static_cast<T>(0.2), h, B * np, false));
  DwParams hp = step_dw(B, np, nq, p.path);
  hp.a_post = 0.0;
  hp.a_pre = -p.hs_r;
  hp.alpha = inv_b;
  hp.beta = 1.0;
  hp.gpre_sb = np;
  hp.gpre_sj = 1;
  SPAIC_DISPATCH(dev, stdp_dw<T>(hp, nullptr, nullptr, x_post, s_pre, nullptr, h, w));
}

// Every rule step's instantiations, for one element type.
#define SPAIC_INSTANTIATE(T)                                                                                          \
  template void online_step<T>(Device, const OnlineParams&, const T*, const T*, T*, T*, T*, T*);                      \
  template void meta_step<T>(Device, const MetaParams&, const T*, const T*, T*, T*, T*, T*, T*, T*);                  \
  template void switch_step<T>(Device, const SwitchParams&, const T*, const T*, const T*, T*, T*, T*);                \
  template void rstdp_step<T>(Device, const RstdpParams&, const T*, const T*, const T*, T*, T*, T*, T*, T*, T*, T*);  \
  template void bp_trace_step<T>(Device, i64, double, const T*, const T*, T*);                                        \
  template void conv_stdp_step<T>(Device, const ConvStdpParams&, const T*, const T*, const T*, T*, T*, T*, T*, T*,    \
                                  T*);                                                                                \
  template void bp_rstdp_step<T>(Device, const BpParams&, const T*, const T*, const T*, const T*, const T*, const T*, \
                                 T*, T*, T*, T*);
SPAIC_INSTANTIATE(float)
SPAIC_INSTANTIATE(double)
#undef SPAIC_INSTANTIATE

}  // namespace spaic

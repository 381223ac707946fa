// spaic/stdp-trace.h - API of the STDP family (ALGORITHMS.md §2.2, §2.3): the kernels (traces, the
// batched weight change, dense GEMM or event-driven, the normalise/clamp around it, eligibility, reward
// application, and the few per-rule pieces below), and one call per rule step so a native per-step loop
// can run a learner with one call per connection and step.
//
// Shapes (row-major, batch-first): spikes and traces of the pre group [B, N_pre], of the post group
// [B, N_post]; weights, dw, eligibility [N_post, N_pre]. Spikes have the traces' dtype (0/1 floats, or
// int32 for the integer rule). Every pointer points into memory of the device called. The kernels in
// spaic::cpu (cpu/stdp-trace.cpp) and spaic::cuda (cuda/stdp-trace.cu) have identical signatures; the
// rule steps (spaic::online_step, ..., core/stdp-trace.cpp) are written once and call them through
// SPAIC_DISPATCH. Nothing here allocates state: the caller owns every buffer; only internal scratch
// (spike lists, per-sample gains) is allocated per call.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "spaic/common.h"
#include "spaic/dtype.h"
#include "spaic/math/conv2d.h"
#include "spaic/math/stdp-trace.h"
#include "spaic/ops.h"

namespace spaic {

// How the weight change is computed. Dense: two GEMMs (spaic::<backend>::gemm). Event: only the rows of
// post neurons that spiked and the columns of pre neurons that spiked are touched. Auto: Event when the
// event work fraction (see stdp_event_fraction) is below the backend's crossover (stdp_event_crossover_*).
enum class DwPath : int { Auto = 0, Dense = 1, Event = 2 };

// Crossovers (event work fraction below which the event path is faster), from bench/ops/stdp-trace.bench.ts
// (784 pre x 100/400 post, B = 1 and 64; numbers in bench/RESULTS.md). CPU: about 0.1 at B = 1, where the
// dense product is a memory-bound rank-1 update, falling to about 0.03 at B = 64, where the GEMM runs near
// its peak; fitted as 0.1 * B^-0.3. CUDA: not yet measured on a GPU (this value is a placeholder to be
// replaced by the bench's `--device cuda` crossover).
inline double stdp_event_crossover_cpu(i64 batch) {
  return 0.1 * std::pow(static_cast<double>(batch > 0 ? batch : 1), -0.3);
}
inline double stdp_event_crossover_cuda(i64 batch) {
  (void)batch;
  return 0.02;
}

// Fraction of the dense work the event path does: (nnz(s_post)*N_pre + nnz(s_pre)*N_post) / (2*B*N_post*N_pre).
inline double stdp_event_fraction(i64 nnz_post, i64 nnz_pre, i64 batch, i64 n_post, i64 n_pre) {
  const double dense = 2.0 * static_cast<double>(batch) * static_cast<double>(n_post) * static_cast<double>(n_pre);
  if (dense <= 0) return 0.0;
  return (static_cast<double>(nnz_post) * static_cast<double>(n_pre) +
          static_cast<double>(nnz_pre) * static_cast<double>(n_post)) /
         dense;
}

// x <- trace_step(kind, x, s, decay, amp) over n elements (in place).
struct TraceParams {
  TraceKind kind = TraceKind::Nearest;
  double decay = 1.0;
  double amp = 1.0;  // only TraceKind::Scaled
  i64 n = 0;
};

// Integer trace: x <- (decay*x) >> shift, then x <- value where s != 0.
struct IntTraceParams {
  std::int64_t decay = 0;
  int shift = 0;
  std::int32_t value = 0;
  i64 n = 0;
};

// dw <- beta*dw + alpha * sum_b [ a_post * g_post[b,j] * s_post[b,j] * x_pre[b,i]
//                               + a_pre  * g_pre[b,j]  * x_post[b,j] * s_pre[b,i] ]
// i.e. dw = beta*dw + alpha*(a_post*BO(g_post.s_post, x_pre) + a_pre*BO(g_pre.x_post, s_pre)).
// The gains are optional (nullptr = 1) and indexed g[b*sb + j*sj]: (0,0) one value, (1,0) per sample,
// (0,1) per post neuron, (N_post,1) per sample and post neuron. A term whose amplitude is 0 is skipped
// and its pointers may be null. beta = 1 with dw = W applies the change straight to the weights.
struct DwParams {
  i64 batch = 1, n_post = 0, n_pre = 0;
  double a_post = 1.0, a_pre = 1.0;
  double alpha = 1.0, beta = 0.0;
  i64 gpost_sb = 0, gpost_sj = 0, gpre_sb = 0, gpre_sj = 0;
  DwPath path = DwPath::Auto;
};

// The dense path's GEMM, the same on both devices and for every rule that needs it:
//   out [n_post, n_pre] = beta*out + alpha * sum_b a[b, :]^T x[b, :]   (a [B, n_post], x [B, n_pre])
inline GemmParams stdp_batch_outer_gemm(i64 batch, i64 n_post, i64 n_pre, double alpha, double beta) {
  GemmParams g;
  g.trans_a = true;
  g.m = n_post;
  g.n = n_pre;
  g.k = batch;
  g.lda = n_post;
  g.ldb = n_pre;
  g.ldc = n_pre;
  g.alpha = alpha;
  g.beta = beta;
  return g;
}

// W <- W + dw_scale*dw (skipped when dw is null or dw_scale == 0); then, if normalise, each row
// W[j,:] <- w_norm*W[j,:]/sum_i|W[j,i]| (zero rows kept, or NaN when zero_rows_nan: SPAIC's 0/0); then,
// if clamp, W <- clamp(W, lo, hi) (infinite bounds allowed).
struct ApplyParams {
  i64 n_post = 0, n_pre = 0;
  double dw_scale = 1.0;
  bool normalise = false;
  double w_norm = 78.4;
  bool zero_rows_nan = false;
  bool clamp = false;
  double lo = 0.0, hi = 1.0;
};

// W <- W + (lr*r~) (.) E for a batch-summed eligibility E; r~ is Value, Scalar or PerPost.
struct RewardParams {
  i64 n_post = 0, n_pre = 0;
  double lr = 1.0;
  RewardShape shape = RewardShape::Value;
  double reward_value = 0.0;
};

// rstdpet: optionally W <- W + (lr*r~) (.) ET (the trace before this update), then ET <- d_e*ET + m_e*E.
struct EtraceParams {
  i64 n_post = 0, n_pre = 0;
  double d_e = 1.0, m_e = 0.0;
  bool apply = false;  // update W (needs w and a reward)
  double lr = 0.0;     // the full factor, e.g. lr*dt for rstdpet
  RewardShape shape = RewardShape::Value;
  double reward_value = 0.0;
};

// One step of nearest_online_stdp (trace = Nearest) or full_online_stdp (trace = Full):
//   x_pre, x_post <- trace(kind); dw_new <- a_post*BO(s_post, x_pre) - a_pre*BO(x_post, s_pre);
//   W <- W + dw (the previous step's dw: SPAIC's order; `immediate` applies dw_new instead);
//   optional row normalisation and clamp (ApplyParams fields); dw <- dw_new.
struct OnlineParams {
  i64 batch = 1, n_post = 0, n_pre = 0;
  TraceKind trace = TraceKind::Nearest;
  double pre_decay = 1.0, post_decay = 1.0;
  double a_post = 0.01, a_pre = 1e-4;
  bool immediate = false;
  bool normalise = true;
  double w_norm = 78.4;
  bool zero_rows_nan = false;
  bool clamp = true;
  double lo = 0.0, hi = 1.0;
  DwPath path = DwPath::Auto;
};

// One step of meta_nearest_online_stdp (ALGORITHMS.md §2.2.3). `init` first sets w_mean <- rowmean(W)
// and aw_mean <- mean(w_mean) (SPAIC's first call). `dw` [N_post, N_pre] receives the step's dw.
struct MetaParams {
  i64 batch = 1, n_post = 0, n_pre = 0;
  double a_post = 0.01, a_pre = 1e-4;
  double pre_decay = 1.0, post_decay = 1.0;
  double w_min = 0.0, w_max = 1.0;
  bool init = false;
  DwPath path = DwPath::Auto;
};

// One step of switch_rstdp (§2.3.3): Switch traces; amplitudes by the sign of the reward (one value, r[0],
// or per sample r[b]); W <- clamp(W + (BO(s_post, Apost.x_pre) + BO(Apre.x_post, s_pre))/B, lo, hi).
struct SwitchParams {
  i64 batch = 1, n_post = 0, n_pre = 0;
  double pre_decay = 1.0, post_decay = 1.0;
  double apost_pos = 5e-3, apost_neg = -5e-3, apre_pos = -4e-3, apre_neg = 4e-3;
  RewardShape shape = RewardShape::Value;  // Value, Scalar or PerSample
  double reward_value = 0.0;
  double lo = 0.0, hi = 0.5;
  // The homeostatic term SPAIC's rule leaves commented out (an option here; rate 0: off): every weight of
  // output j gains mean_b((homeo_target - x_post[b,j]) * homeo_rate) each step, before the clamp.
  double homeo_target = 0.0, homeo_rate = 0.0;
  DwPath path = DwPath::Auto;
};

// One step of rstdp (§2.3.1) or, with `et` set, rstdpet (§2.3.2). Scaled traces p_plus [B,N_pre] (A_plus)
// and p_minus [B,N_post] (A_minus); eligibility E = BO(s_post, p_plus) + BO(p_minus, s_pre) [N_post,N_pre].
//   rstdp, reward Value/Scalar/PerPost:   W += (lr*r~) (.) E_prev; traces; E <- E_new.
//   rstdp, reward PerSample/PerSamplePost: W += lr * sum_b r~[b,j] (s_post'[b,j] p_plus'[b,i] + p_minus'[b,j]
//   s_pre'[b,i])
//          with the previous step's spikes (s_pre_prev/s_post_prev, updated here) and traces; then as above.
//   rstdpet: traces; E <- E_new; W += (lr*r~) (.) ET_prev; ET <- d_e*ET + m_e*E (lr here is lr*dt).
//   rstdpet, reward PerSample/PerSamplePost: the same per sample, with e and et [B, N_post, N_pre] (each
//          sample's reward multiplies its own trace; s_pre_prev/s_post_prev unused).
struct RstdpParams {
  i64 batch = 1, n_post = 0, n_pre = 0;
  double d_plus = 1.0, d_minus = 1.0, a_plus = 1.0, a_minus = -1.0;
  double lr = 0.1;
  RewardShape shape = RewardShape::Value;
  double reward_value = 0.0;
  bool eligibility_trace = false;  // rstdpet
  double d_e = 1.0, m_e = 0.0;
  DwPath path = DwPath::Auto;
};

// One step of postpreintstdp (§2.2.4), int32 everywhere, any batch (sums over the batch):
//   traces (int), then W[j,i] += pre_sign * sum_b SR(nu0*x_post[b,j]) s_pre[b,i] + sum_b s_post[b,j]
//   SR(nu1*x_pre[b,i]), rows with thresh[j] > max_threshold halved (>> 1), clamp to the finite bounds.
// Uniform draws: `draws` [2, B, N_post, N_pre] (replayed, e.g. recorded torch.randint values; [0] for
// the pre-synaptic term, [1] for the post-synaptic one), or, when null, counter_uniform(seed, counter, ...).
struct IntStdpParams {
  i64 batch = 1, n_post = 0, n_pre = 0;
  std::int64_t trace_decay = 31169;
  int shift_trace = 15;
  std::int32_t trace_scale = 127;
  std::int64_t max_threshold = 4915;
  int shift = 14;
  std::int64_t nu0 = 14, nu1 = 141;
  int pre_sign = 1;  // SPAIC adds the pre-synaptic term; -1 makes it depression
  bool has_lo = true, has_hi = true;
  std::int32_t w_min = 0, w_max = 109;
  std::uint64_t seed = 0, counter = 0;
};

// Which post spikes of a conv layer [B, C_out, L] (L = H_out*W_out) drive its learning (conv2d_stdp,
// conv2d_rstdp): with `inhibit`, at each sample and position only the lowest-indexed spiking map keeps its
// spike (lateral inhibition across feature maps); then with `wta`, each sample's map keeps only its first
// spike in raster order (winner-take-all). `tmp` is scratch of B*C_out*L elements (used with both on).
struct ConvMaskParams {
  i64 batch = 1, maps = 0, positions = 0;
  bool inhibit = false, wta = false;
};

// One step of conv2d_stdp (§2.3.4) or, with `reward`, conv2d_rstdp (§2.3.5). U = im2col(s_pre) [B, K, L]
// (K = C_in/groups*kh*kw per group), Y = s_post [B, C_out, L] (filtered by ConvMaskParams when asked);
// traces p_plus [B, K, L], p_minus [B, C_out, L]:
//   conv2d_stdp:  Nearest traces; E = sum_b A_plus*Y[b] p_plus[b]^T + A_minus*p_minus[b] U[b]^T;
//                 W += lr*E(previous step)
//   conv2d_rstdp: Scaled traces (A_plus, A_minus); E = sum_b Y[b] p_plus[b]^T + p_minus[b] U[b]^T;
//                 W += lr*r*E(previous step), r the one global reward r[0]
// per group (rows of group g of E pair with the rows of group g of U and p_plus). `immediate` applies this
// step's E instead; `clamp` bounds W to [lo, hi] after the update.
struct ConvStdpParams {
  Conv2dParams conv;  // its batch is the step's
  bool reward = false;
  double d_plus = 1.0, d_minus = 1.0, a_plus = 1.0, a_minus = -1.0;
  double lr = 0.1;
  bool immediate = false;
  bool clamp = false;
  double lo = 0.0, hi = 1.0;
  bool inhibit = false, wta = false;
};

// The kernels, twins in spaic::cpu and spaic::cuda. Besides the family's general pieces, the parts of
// one rule step that are not general: meta_init (w_mean <- rowmean(W), aw_mean <- mean(w_mean)),
// meta_homeostasis (the w_mean update from x_post), meta_apply (W from w_mean, dw), switch_gains (the
// per-sample amplitudes by the reward's sign), switch_homeostasis (its optional per-row term) and int_stdp_weights (the
// integer rule's weight update after its traces).
#define SPAIC_DECLARE_STDP_OPS                                                                                         \
  template <typename T>                                                                                                \
  void trace_update(const TraceParams& p, T* x, const T* s);                                                           \
  /* k silent steps at once: x <- decay^k * x (the closed form of Nearest/Full/Switch/Scaled with s = 0) */            \
  template <typename T>                                                                                                \
  void trace_decay(T* x, i64 n, double decay, i64 steps);                                                              \
  void int_trace_update(const IntTraceParams& p, std::int32_t* x, const std::int32_t* s);                              \
  /* returns the path taken (never Auto) */                                                                            \
  template <typename T>                                                                                                \
  DwPath stdp_dw(const DwParams& p, const T* s_post, const T* x_pre, const T* x_post, const T* s_pre, const T* g_post, \
                 const T* g_pre, T* dw);                                                                               \
  template <typename T>                                                                                                \
  void apply_dw(const ApplyParams& p, T* w, const T* dw);                                                              \
  template <typename T>                                                                                                \
  void apply_reward(const RewardParams& p, T* w, const T* e, const T* r);                                              \
  template <typename T>                                                                                                \
  void eligibility_trace(const EtraceParams& p, T* et, const T* e, T* w, const T* r);                                  \
  template <typename T>                                                                                                \
  void meta_init(const MetaParams& p, const T* w, T* w_mean, T* aw_mean);                                              \
  template <typename T>                                                                                                \
  void meta_homeostasis(const MetaParams& p, const T* x_post, T* w_mean, const T* aw_mean);                            \
  template <typename T>                                                                                                \
  void meta_apply(const MetaParams& p, T* w, const T* w_mean, const T* dw);                                            \
  template <typename T>                                                                                                \
  void switch_gains(const SwitchParams& p, const T* r, T* g_post, T* g_pre);                                           \
  template <typename T>                                                                                                \
  void switch_homeostasis(const SwitchParams& p, const T* x_post, T* w);                                               \
  template <typename T>                                                                                                \
  void conv_learn_mask(const ConvMaskParams& p, const T* s, T* out, T* tmp);                                           \
  void int_stdp_weights(const IntStdpParams& p, const std::int32_t* s_pre, const std::int32_t* s_post,                 \
                        const std::int32_t* thresh, const std::int32_t* draws, const std::int32_t* x_pre,              \
                        const std::int32_t* x_post, std::int32_t* w);

// The explicit instantiations of the templates above, for one element type (cpu/ and cuda/ expand it).
#define SPAIC_INSTANTIATE_STDP_OPS(T)                                                                          \
  template void trace_update<T>(const TraceParams&, T*, const T*);                                             \
  template void trace_decay<T>(T*, i64, double, i64);                                                          \
  template DwPath stdp_dw<T>(const DwParams&, const T*, const T*, const T*, const T*, const T*, const T*, T*); \
  template void apply_dw<T>(const ApplyParams&, T*, const T*);                                                 \
  template void apply_reward<T>(const RewardParams&, T*, const T*, const T*);                                  \
  template void eligibility_trace<T>(const EtraceParams&, T*, const T*, T*, const T*);                         \
  template void meta_init<T>(const MetaParams&, const T*, T*, T*);                                             \
  template void meta_homeostasis<T>(const MetaParams&, const T*, T*, const T*);                                \
  template void meta_apply<T>(const MetaParams&, T*, const T*, const T*);                                      \
  template void switch_gains<T>(const SwitchParams&, const T*, T*, T*);                                        \
  template void switch_homeostasis<T>(const SwitchParams&, const T*, T*);                                      \
  template void conv_learn_mask<T>(const ConvMaskParams&, const T*, T*, T*);

namespace cpu {
SPAIC_DECLARE_STDP_OPS

// The program executor's form of online_step (not `immediate`) on the CPU (cpu/stdp-trace-sparse.cpp),
// with the same arithmetic in the same order, that touches only what changes. It keeps the support of dw
// (the rows of post neurons that spiked; the rows with a nonzero post trace crossed with the columns of
// pre neurons that spiked), so that applying dw, clearing it and writing the new one cost O(support), and
// it normalises and clamps only the rows that dw changed or whose last normalise+clamp still changed
// them: a row that came out of normalise+clamp unchanged is a fixed point, and skipping it is exactly
// what SPAIC's every-row, every-step normalisation computes. The caller resets the state at each run
// start (dw is then zero).
struct OnlineSparseState {
  std::vector<i64> ltp_rows, ltd_rows, cols;
  std::vector<unsigned char> is_ltp, settled, dirty;
  std::vector<i64> changed_rows;  // the weight rows this step changed (dw applied, or normalise/clamp moved them)
  std::vector<i64> pre_off, pre_idx;
  std::vector<unsigned char> seen;
  std::vector<float> tmp_f;
  std::vector<double> tmp_d;
  int last_mode = -1;
  void reset() {
    ltp_rows.clear();
    ltd_rows.clear();
    cols.clear();
    settled.clear();
    last_mode = -1;
  }
};
template <typename T>
void online_step_sparse(const OnlineParams& p, const T* s_pre, const T* s_post, T* x_pre, T* x_post, T* w, T* dw,
                        OnlineSparseState& st);

// The program executor's form of int_stdp_weights on the CPU (core/ops/stdp-int.cpp), after the traces of this
// step: only the rows that can change are updated, those of post neurons with a nonzero trace or a spike in
// some sample (the nu0 term of a zero trace rounds to 0; the nu1 term needs a post spike) or a threshold past
// max_threshold; `rows` receives them. Every other row is left as it is, which is what the full update does
// to a row within the bounds (the caller makes sure that every row is: a full update after any other write).
void int_stdp_rows(const IntStdpParams& p, const std::int32_t* s_pre, const std::int32_t* s_post,
                   const std::int32_t* thresh, const std::int32_t* x_pre, const std::int32_t* x_post, std::int32_t* w,
                   std::vector<i64>& rows);
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_STDP_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_STDP_OPS

// ---- the rule steps (core/stdp-trace.cpp), on the device `dev` the pointers live on

// nearest_online_stdp / full_online_stdp (OnlineParams).
template <typename T>
void online_step(Device dev, const OnlineParams& p, const T* s_pre, const T* s_post, T* x_pre, T* x_post, T* w, T* dw);
// meta_nearest_online_stdp (MetaParams).
template <typename T>
void meta_step(Device dev, const MetaParams& p, const T* s_pre, const T* s_post, T* x_pre, T* x_post, T* w, T* w_mean,
               T* aw_mean, T* dw);
// switch_rstdp (SwitchParams).
template <typename T>
void switch_step(Device dev, const SwitchParams& p, const T* s_pre, const T* s_post, const T* r, T* x_pre, T* x_post,
                 T* w);
// rstdp / rstdpet (RstdpParams).
template <typename T>
void rstdp_step(Device dev, const RstdpParams& p, const T* s_pre, const T* s_post, const T* r, T* p_plus, T* p_minus,
                T* e, T* et, T* w, T* s_pre_prev, T* s_post_prev);
// conv2d_stdp / conv2d_rstdp (ConvStdpParams). r: the reward (conv2d_rstdp; one value). Scratch: col
// [B, K_all, L] (K_all = C_in*kh*kw), y [2, B, C_out, L] (with inhibit or wta).
template <typename T>
void conv_stdp_step(Device dev, const ConvStdpParams& p, const T* s_pre, const T* s_post, const T* r, T* p_plus,
                    T* p_minus, T* e, T* w, T* col, T* y);
// postpreintstdp (IntStdpParams).
void int_stdp_step(Device dev, const IntStdpParams& p, const std::int32_t* s_pre, const std::int32_t* s_post,
                   const std::int32_t* thresh, const std::int32_t* draws, std::int32_t* x_pre, std::int32_t* x_post,
                   std::int32_t* w);

// ---- bp_rstdp / bp_rstdpet (ALGORITHMS.md §2.3.6), the rule steps (core/stdp-trace.cpp)

// The shared per-group trace: x_out <- beta*x_prev + (1 - beta)*s over n elements (a normalised moving
// average: TraceKind::Scaled with decay beta and amplitude 1 - beta). x_prev is the value committed at the
// previous step and x_out the slot's buffer for this step, so every weight step of this step still reads
// x_prev; they may be the same buffer.
template <typename T>
void bp_trace_step(Device dev, i64 n, double beta, const T* s, const T* x_prev, T* x_out);

// One weight step of bp_rstdp (et = false) or bp_rstdpet (et = true), per sample b of the batch B, with the
// spikes s_pre [B, N_pre], s_post [B, N_post] and the traces x_pre, x_post of the previous step:
//   rho = r G^T: r [Br, R] (Br = B when the reward is per sample, r_batched, else 1), G [N_post, R];
//   bp_rstdp:   W += (1/B) sum_b lr*rho[b,j]*(a_plus*s_post[b,j]*x_pre[b,i] + a_minus*x_post[b,j]*s_pre[b,i])
//                  - hs_r*(1/B) sum_b (x_post[b,j] - 0.1)*x_pre[b,i];
//   bp_rstdpet: ET[b] <- et_decay*ET[b] + a_plus*s_post[b,j]*x_pre[b,i]  (ET [B, N_post, N_pre]);
//               W += (1/B) sum_b lr*rho[b,j]*ET[b][j,i] - hs_r*(1/B) sum_b x_post[b,j]*(x_post[b,j] - 0.2)*s_pre[b,i].
// At B = 1 both are SPAIC's; for B > 1 each sample's reward multiplies its own eligibility (SPAIC averages the
// eligibility over the batch first: Q13b). Scratch: rho and h, [B, N_post] each.
struct BpParams {
  i64 batch = 1, n_post = 0, n_pre = 0;
  i64 r_width = 1;         // R, the reward's last dimension
  bool r_batched = false;  // the reward is [B, R] (per sample), else [R] shared by the batch
  bool et = false;         // bp_rstdpet
  double lr = 0.1, hs_r = 0.01;
  double a_plus = 1.0, a_minus = -0.4;  // a_minus: bp_rstdp only
  double et_decay = 1.0;                // bp_rstdpet only: exp(-dt/tau_et)
  DwPath path = DwPath::Auto;
};

template <typename T>
void bp_rstdp_step(Device dev, const BpParams& p, const T* s_pre, const T* s_post, const T* x_pre, const T* x_post,
                   const T* r, const T* g, T* w, T* et, T* rho, T* h);

}  // namespace spaic

// cpu/stdp-trace.cpp - the STDP family's kernels on the CPU (see spaic/stdp-trace.h; the rule steps that
// string them together are core/stdp-trace.cpp). The per-element maths is spaic/math/stdp-trace.h,
// shared with cuda/stdp-trace.cu; this file holds loops, the dense/event choice and the row reductions.
// Rows of the weight matrix are independent, so the row loops run in parallel with a fixed assignment:
// results do not depend on the thread count.
#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu/parallel.h"
#include "spaic/error.h"
#include "spaic/math/reduce.h"
#include "spaic/ops.h"
#include "spaic/stdp-trace.h"

namespace spaic::cpu {

namespace {

using i32 = std::int32_t;

// Nonzero positions of a [B, N] spike array, per sample: idx[off[b] .. off[b+1]).
struct SpikeList {
  std::vector<i64> off, idx;
  i64 nnz() const { return static_cast<i64>(idx.size()); }
};

// Fills `l` (its buffers are reused from call to call: a rule step runs every time step).
template <typename T>
void spike_list(const T* s, i64 batch, i64 n, SpikeList& l) {
  l.idx.clear();
  l.off.resize(static_cast<size_t>(batch) + 1);
  for (i64 b = 0; b < batch; ++b) {
    l.off[b] = static_cast<i64>(l.idx.size());
    const T* row = s + b * n;
    for (i64 i = 0; i < n; ++i)
      if (row[i] != T(0)) l.idx.push_back(i);
  }
  l.off[batch] = static_cast<i64>(l.idx.size());
}

template <typename T>
T gain_at(const T* g, i64 sb, i64 sj, i64 b, i64 j) {
  return g ? g[b * sb + j * sj] : T(1);
}

// The row factors of the two terms: u[b,j] = a_post*g_post[b,j]*s_post[b,j], v[b,j] = a_pre*g_pre[b,j]*x_post[b,j].
template <typename T>
void row_factors(const DwParams& p, const T* s_post, const T* x_post, const T* g_post, const T* g_pre,
                 std::vector<T>& u, std::vector<T>& v) {
  const i64 nb = p.batch * p.n_post;
  if (p.a_post != 0) {
    u.resize(static_cast<size_t>(nb));
    const T a = static_cast<T>(p.a_post);
    for (i64 b = 0; b < p.batch; ++b)
      for (i64 j = 0; j < p.n_post; ++j)
        u[b * p.n_post + j] = a * gain_at(g_post, p.gpost_sb, p.gpost_sj, b, j) * s_post[b * p.n_post + j];
  }
  if (p.a_pre != 0) {
    v.resize(static_cast<size_t>(nb));
    const T a = static_cast<T>(p.a_pre);
    for (i64 b = 0; b < p.batch; ++b)
      for (i64 j = 0; j < p.n_post; ++j)
        v[b * p.n_post + j] = a * gain_at(g_pre, p.gpre_sb, p.gpre_sj, b, j) * x_post[b * p.n_post + j];
  }
}

template <typename T>
void scale_rows(T* dw, i64 n, double beta) {
  if (beta == 1.0) return;
  if (beta == 0.0) {
    for (i64 i = 0; i < n; ++i) dw[i] = T(0);
  } else {
    const T bt = static_cast<T>(beta);
    for (i64 i = 0; i < n; ++i) dw[i] *= bt;
  }
}

template <typename T>
void dw_dense(const DwParams& p, const std::vector<T>& u, const T* x_pre, const std::vector<T>& v, const T* s_pre,
              T* dw) {
  const bool t1 = p.a_post != 0, t2 = p.a_pre != 0;
  GemmParams g = stdp_batch_outer_gemm(p.batch, p.n_post, p.n_pre, p.alpha, p.beta);
  if (t1) gemm<T>(g, u.data(), x_pre, dw);
  if (t2) {
    if (t1) g.beta = 1.0;
    gemm<T>(g, v.data(), s_pre, dw);
  }
  if (!t1 && !t2) scale_rows(dw, p.n_post * p.n_pre, p.beta);
}

// Event-driven: a row with a post spike gets the dense row term sum_b u[b,j]*x_pre[b,:]; every row gets
// the column terms v[b,j]*s_pre[b,i] at the pre neurons that spiked. Rows without events are only
// rescaled by beta (cleared when beta = 0, untouched when beta = 1).
template <typename T>
void dw_event(const DwParams& p, const std::vector<T>& u, const T* x_pre, const std::vector<T>& v, const T* s_pre,
              const SpikeList& post, const SpikeList& pre, T* dw) {
  const bool t1 = p.a_post != 0, t2 = p.a_pre != 0;
  const i64 np = p.n_post, nq = p.n_pre, B = p.batch;
  const T alpha = static_cast<T>(p.alpha);
  // Which rows have a post spike: per row, the samples where it spiked. The buffers are this thread's,
  // reused from step to step.
  thread_local std::vector<i64> tl_row_off, tl_row_b, tl_cnt, tl_fill;
  // (named references: the loop body below may run on other threads, which must see these, not their own)
  std::vector<i64>&row_off = tl_row_off, &row_b = tl_row_b, &cnt = tl_cnt, &fill = tl_fill;
  row_off.assign(static_cast<size_t>(np) + 1, 0);
  if (t1) {
    cnt.assign(static_cast<size_t>(np), 0);
    for (i64 b = 0; b < B; ++b)
      for (i64 k = post.off[b]; k < post.off[b + 1]; ++k) ++cnt[post.idx[k]];
    for (i64 j = 0; j < np; ++j) row_off[j + 1] = row_off[j] + cnt[j];
    row_b.resize(static_cast<size_t>(row_off[np]));
    fill.assign(row_off.begin(), row_off.end() - 1);
    for (i64 b = 0; b < B; ++b)
      for (i64 k = post.off[b]; k < post.off[b + 1]; ++k) row_b[fill[post.idx[k]]++] = b;
  }
  // Clearing a row is cheap next to the scatter: a thread team only pays off for many events.
  const i64 work = (t1 ? post.nnz() * nq : 0) + (t2 ? pre.nnz() * np : 0) + np * nq / 32;
  // One accumulator row per thread.
  thread_local std::vector<T> tl_acc;
  std::vector<T>& acc_all = tl_acc;
  if (t1 && acc_all.size() < static_cast<size_t>(nq * num_threads()))
    acc_all.resize(static_cast<size_t>(nq * num_threads()));
  parallel_for(np, work, [&](i64 j) {
    T* row = dw + j * nq;
    const bool has_row = t1 && row_off[j + 1] > row_off[j];
    if (has_row) {
      // acc = sum_b u[b,j] x_pre[b,:] + column terms, then row = beta*row + alpha*acc (dense order).
#if defined(_OPENMP)
      T* acc = acc_all.data() + static_cast<i64>(omp_get_thread_num()) * nq;
#else
      T* acc = acc_all.data();
#endif
      for (i64 i = 0; i < nq; ++i) acc[i] = T(0);
      for (i64 k = row_off[j]; k < row_off[j + 1]; ++k) {
        const i64 b = row_b[k];
        const T c = u[b * np + j];
        const T* xb = x_pre + b * nq;
        for (i64 i = 0; i < nq; ++i) acc[i] += c * xb[i];
      }
      if (t2) {
        for (i64 b = 0; b < B; ++b) {
          const T c = v[b * np + j];
          if (c == T(0)) continue;
          const T* sb = s_pre + b * nq;
          for (i64 k = pre.off[b]; k < pre.off[b + 1]; ++k) acc[pre.idx[k]] += c * sb[pre.idx[k]];
        }
      }
      if (p.beta == 0.0) {
        for (i64 i = 0; i < nq; ++i) row[i] = alpha * acc[i];
      } else if (p.beta == 1.0) {
        for (i64 i = 0; i < nq; ++i) row[i] += alpha * acc[i];
      } else {
        const T bt = static_cast<T>(p.beta);
        for (i64 i = 0; i < nq; ++i) row[i] = bt * row[i] + alpha * acc[i];
      }
    } else {
      scale_rows(row, nq, p.beta);
      if (t2) {
        for (i64 b = 0; b < B; ++b) {
          const T c = v[b * np + j];
          if (c == T(0)) continue;
          const T* sb = s_pre + b * nq;
          for (i64 k = pre.off[b]; k < pre.off[b + 1]; ++k) {
            const i64 i = pre.idx[k];
            row[i] += alpha * (c * sb[i]);
          }
        }
      }
    }
  });
}

template <typename T>
double row_abs_sum(const T* row, i64 n) {
  double s = 0;
  for (i64 i = 0; i < n; ++i) s += std::fabs(static_cast<double>(row[i]));
  return s;
}

template <typename T>
double row_sum(const T* row, i64 n) {
  // Eight independent double partial sums: a float row's sum in double is exact in any order until it needs
  // more than 53 bits, so this matches the serial sum after the cast back to T, without a chain of dependent adds.
  constexpr i64 kLanes = 8;
  double s[kLanes] = {};
  i64 i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (i64 k = 0; k < kLanes; ++k) s[k] += static_cast<double>(row[i + k]);
  double tail = 0;
  for (; i < n; ++i) tail += static_cast<double>(row[i]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail;
}

}  // namespace

template <typename T>
void trace_update(const TraceParams& p, T* x, const T* s) {
  const T d = static_cast<T>(p.decay), a = static_cast<T>(p.amp);
  const i64 n = p.n;
  with_trace_kind(p.kind, [&](auto K) {
    parallel_for(n, n, [&](i64 i) { x[i] = trace_step<T>(decltype(K)::value, x[i], s[i], d, a); });
  });
}

template <typename T>
void trace_decay(T* x, i64 n, double decay, i64 steps) {
  const T f = static_cast<T>(std::pow(decay, static_cast<double>(steps)));
  parallel_for(n, n, [&](i64 i) { x[i] = f * x[i]; });
}

void int_trace_update(const IntTraceParams& p, i32* x, const i32* s) {
  parallel_for(p.n, p.n, [&](i64 i) { x[i] = int_trace_step(x[i], s[i], p.decay, p.shift, p.value); });
}

template <typename T>
DwPath stdp_dw(const DwParams& p, const T* s_post, const T* x_pre, const T* x_post, const T* s_pre, const T* g_post,
               const T* g_pre, T* dw) {
  // this thread's buffers, reused from step to step (a rule step calls this every time step)
  thread_local std::vector<T> u, v;
  thread_local SpikeList post, pre;
  row_factors(p, s_post, x_post, g_post, g_pre, u, v);
  DwPath path = p.path;
  post.off.clear();
  post.idx.clear();
  pre.off.clear();
  pre.idx.clear();
  if (path != DwPath::Dense) {
    if (p.a_post != 0) spike_list(s_post, p.batch, p.n_post, post);
    if (p.a_pre != 0) spike_list(s_pre, p.batch, p.n_pre, pre);
    if (path == DwPath::Auto) {
      const double f = stdp_event_fraction(post.nnz(), pre.nnz(), p.batch, p.n_post, p.n_pre);
      path = f < stdp_event_crossover_cpu(p.batch) ? DwPath::Event : DwPath::Dense;
    }
  }
  if (path == DwPath::Dense) {
    dw_dense(p, u, x_pre, v, s_pre, dw);
  } else {
    if (post.off.empty()) post.off.assign(static_cast<size_t>(p.batch) + 1, 0);
    if (pre.off.empty()) pre.off.assign(static_cast<size_t>(p.batch) + 1, 0);
    dw_event(p, u, x_pre, v, s_pre, post, pre, dw);
  }
  return path;
}

template <typename T>
void apply_dw(const ApplyParams& p, T* w, const T* dw) {
  const i64 np = p.n_post, nq = p.n_pre;
  const bool add = dw != nullptr && p.dw_scale != 0.0;
  const T scale = static_cast<T>(p.dw_scale), w_norm = static_cast<T>(p.w_norm);
  const T lo = static_cast<T>(p.lo), hi = static_cast<T>(p.hi);
  parallel_for(np, np * nq, [&](i64 j) {
    T* row = w + j * nq;
    if (add) {
      const T* d = dw + j * nq;
      if (p.dw_scale == 1.0)
        for (i64 i = 0; i < nq; ++i) row[i] += d[i];
      else
        for (i64 i = 0; i < nq; ++i) row[i] += scale * d[i];
    }
    if (p.normalise) {
      const T sum = static_cast<T>(row_abs_sum(row, nq));
      for (i64 i = 0; i < nq; ++i) row[i] = normalised(row[i], w_norm, sum, p.zero_rows_nan);
    }
    if (p.clamp)
      for (i64 i = 0; i < nq; ++i) row[i] = clamp_value(row[i], lo, hi);
  });
}

template <typename T>
void apply_reward(const RewardParams& p, T* w, const T* e, const T* r) {
  const i64 np = p.n_post, nq = p.n_pre;
  const T lr = static_cast<T>(p.lr);
  parallel_for(np, np * nq, [&](i64 j) {
    const T c = lr * reward_at<T>(p.shape, r, p.reward_value, 0, j, np);
    T* row = w + j * nq;
    const T* er = e + j * nq;
    for (i64 i = 0; i < nq; ++i) row[i] += c * er[i];
  });
}

template <typename T>
void eligibility_trace(const EtraceParams& p, T* et, const T* e, T* w, const T* r) {
  const i64 np = p.n_post, nq = p.n_pre;
  const T d_e = static_cast<T>(p.d_e), m_e = static_cast<T>(p.m_e), lr = static_cast<T>(p.lr);
  parallel_for(np, np * nq, [&](i64 j) {
    T* etr = et + j * nq;
    const T* er = e + j * nq;
    if (p.apply) {
      const T c = lr * reward_at<T>(p.shape, r, p.reward_value, 0, j, np);
      T* wr = w + j * nq;
      for (i64 i = 0; i < nq; ++i) wr[i] += c * etr[i];
    }
    for (i64 i = 0; i < nq; ++i) etr[i] = eligibility_trace_step(etr[i], er[i], d_e, m_e);
  });
}

template <typename T>
void meta_init(const MetaParams& p, const T* w, T* w_mean, T* aw_mean) {
  const i64 np = p.n_post, nq = p.n_pre;
  double total = 0;
  for (i64 j = 0; j < np; ++j) {
    w_mean[j] = static_cast<T>(row_sum(w + j * nq, nq) / static_cast<double>(nq));
    total += static_cast<double>(w_mean[j]);
  }
  aw_mean[0] = static_cast<T>(total / static_cast<double>(np));
}

// Homeostatic target: w_mean -= 0.1*Apre*(mean_b x_post - mean x_post); then keep mean(w_mean) = aw_mean.
template <typename T>
void meta_homeostasis(const MetaParams& p, const T* x_post, T* w_mean, const T* aw_mean) {
  const i64 np = p.n_post, B = p.batch;
  double all = 0;
  for (i64 k = 0; k < B * np; ++k) all += static_cast<double>(x_post[k]);
  const T mean_all = static_cast<T>(all / static_cast<double>(B * np));
  const T rate = static_cast<T>(0.1 * p.a_pre);
  double wsum = 0;
  for (i64 j = 0; j < np; ++j) {
    double col = 0;
    for (i64 b = 0; b < B; ++b) col += static_cast<double>(x_post[b * np + j]);
    const T mean_b = static_cast<T>(col / static_cast<double>(B));
    w_mean[j] = w_mean[j] - rate * (mean_b - mean_all);
    wsum += static_cast<double>(w_mean[j]);
  }
  const T mean_w = static_cast<T>(wsum / static_cast<double>(np));
  const T aw = aw_mean[0];
  for (i64 j = 0; j < np; ++j) w_mean[j] = w_mean[j] * aw / mean_w;
}

template <typename T>
void meta_apply(const MetaParams& p, T* w, const T* w_mean, const T* dw) {
  const i64 np = p.n_post, nq = p.n_pre;
  const T w_min = static_cast<T>(p.w_min), w_max = static_cast<T>(p.w_max);
  parallel_for(np, np * nq, [&](i64 j) {
    T* row = w + j * nq;
    const T* d = dw + j * nq;
    const T rm = static_cast<T>(row_sum(row, nq) / static_cast<double>(nq));
    const T wm = w_mean[j];
    const T m = rm > T(1e-6) ? rm : T(1e-6);  // as meta_weight
    // dw is zero on most of a row (a few pre spikes per step): the rescale runs vectorised over the whole row
    // (w * w_mean / m + 0 is meta_weight's value at dw = 0, to the bit: its soft factor is 0 there), and the few
    // entries with a change are then recomputed by meta_weight from their saved old weights.
    constexpr i64 kChunk = 1024, kBlock = 32;
    i64 at[kChunk];
    T old[kChunk];
    for (i64 c0 = 0; c0 < nq; c0 += kChunk) {
      const i64 ce = c0 + kChunk < nq ? c0 + kChunk : nq;
      i64 k = 0;
      for (i64 i0 = c0; i0 < ce; i0 += kBlock) {
        const i64 e = i0 + kBlock < ce ? i0 + kBlock : ce;
        int changed = 0;
        for (i64 i = i0; i < e; ++i) changed += d[i] != T(0);
        if (changed == 0) continue;
        for (i64 i = i0; i < e; ++i)
          if (d[i] != T(0)) {
            at[k] = i;
            old[k++] = row[i];
          }
      }
      for (i64 i = c0; i < ce; ++i) row[i] = row[i] * wm / m + T(0);
      for (i64 q = 0; q < k; ++q) row[at[q]] = meta_weight(old[q], wm, rm, d[at[q]], w_min, w_max);
    }
  });
}

template <typename T>
void switch_gains(const SwitchParams& p, const T* r, T* g_post, T* g_pre) {
  for (i64 b = 0; b < p.batch; ++b) {
    const T rb = reward_at<T>(p.shape, r, p.reward_value, b, 0, 1);
    g_post[b] = switch_amplitude(rb, static_cast<T>(p.apost_pos), static_cast<T>(p.apost_neg));
    g_pre[b] = switch_amplitude(rb, static_cast<T>(p.apre_pos), static_cast<T>(p.apre_neg));
  }
}

template <typename T>
void switch_homeostasis(const SwitchParams& p, const T* x_post, T* w) {
  const i64 np = p.n_post, nq = p.n_pre, B = p.batch;
  const T target = static_cast<T>(p.homeo_target), rate = static_cast<T>(p.homeo_rate);
  parallel_for(np, np * nq, [&](i64 j) {
    T sum = 0;
    for (i64 b = 0; b < B; ++b) sum += (target - x_post[b * np + j]) * rate;
    const T c = sum / static_cast<T>(B);
    T* row = w + j * nq;
    for (i64 i = 0; i < nq; ++i) row[i] += c;
  });
}

void int_stdp_weights(const IntStdpParams& p, const i32* s_pre, const i32* s_post, const i32* thresh, const i32* draws,
                      const i32* x_pre, const i32* x_post, i32* w) {
  const i64 np = p.n_post, nq = p.n_pre;
  parallel_for(np, np * nq * p.batch, [&](i64 j) {
    const bool halve = static_cast<std::int64_t>(thresh[j]) > p.max_threshold;
    for (i64 i = 0; i < nq; ++i)
      w[j * nq + i] = int_stdp_weight(p, j, i, w[j * nq + i], halve, s_pre, s_post, draws, x_pre, x_post);
  });
}

void int_stdp_rows(const IntStdpParams& p, const i32* s_pre, const i32* s_post, const i32* thresh, const i32* x_pre,
                   const i32* x_post, i32* w, std::vector<i64>& rows) {
  const i64 np = p.n_post, nq = p.n_pre;
  rows.clear();
  for (i64 j = 0; j < np; ++j) {
    bool moves = static_cast<std::int64_t>(thresh[j]) > p.max_threshold;
    for (i64 b = 0; b < p.batch && !moves; ++b) moves = x_post[b * np + j] != 0 || s_post[b * np + j] != 0;
    if (moves) rows.push_back(j);
  }
  const i64 nr = static_cast<i64>(rows.size());
  parallel_for(nr, nr * nq * p.batch, [&](i64 r) {
    const i64 j = rows[static_cast<std::size_t>(r)];
    const bool halve = static_cast<std::int64_t>(thresh[j]) > p.max_threshold;
    for (i64 i = 0; i < nq; ++i)
      w[j * nq + i] = int_stdp_weight(p, j, i, w[j * nq + i], halve, s_pre, s_post, nullptr, x_pre, x_post);
  });
}

template <typename T>
void conv_learn_mask(const ConvMaskParams& p, const T* s, T* out, T* tmp) {
  const i64 L = p.positions, plane = p.maps * L, n = p.batch * plane;
  const T* src = s;
  if (p.inhibit) {
    T* dst = p.wta ? tmp : out;
    parallel_for(p.batch * p.maps, n * (p.maps + 1) / 2, [&](i64 row) {
      const i64 b = row / p.maps, c = row % p.maps;
      for (i64 l = 0; l < L; ++l) dst[row * L + l] = conv_inhibited(s + b * plane, c, l, L);
    });
    src = dst;
  }
  if (p.wta) {
    parallel_for(p.batch * p.maps, n, [&](i64 row) { conv_first_spike(src + row * L, out + row * L, L); });
  } else if (!p.inhibit) {
    for (i64 e = 0; e < n; ++e) out[e] = s[e];
  }
}

SPAIC_INSTANTIATE_STDP_OPS(float)
SPAIC_INSTANTIATE_STDP_OPS(double)

}  // namespace spaic::cpu

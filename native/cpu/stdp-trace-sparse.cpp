// cpu/stdp-trace-sparse.cpp - cpu::online_step_sparse, the program executor's form of the online STDP step
// on the CPU that touches only what changes (its contract: spaic/stdp-trace.h). Maths: spaic/math/stdp-trace.h.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "spaic/math/stdp-trace.h"
#include "spaic/stdp-trace.h"

namespace spaic::cpu {

namespace {

// sum_i |row[i]| in double with 8 partial sums (a dependency chain of n/8 adds instead of n).
template <typename T>
double abs_sum(const T* row, i64 n) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  i64 i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) a[k] += std::fabs(static_cast<double>(row[i + k]));
  for (; i < n; ++i) a[0] += std::fabs(static_cast<double>(row[i]));
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

template <typename T>
std::vector<T>& scratch_of(std::vector<float>& f, std::vector<double>& d);
template <>
std::vector<float>& scratch_of<float>(std::vector<float>& f, std::vector<double>&) {
  return f;
}
template <>
std::vector<double>& scratch_of<double>(std::vector<float>&, std::vector<double>& d) {
  return d;
}

}  // namespace

template <typename T>
void online_step_sparse(const OnlineParams& p, const T* s_pre, const T* s_post, T* x_pre, T* x_post, T* w, T* dw,
                        OnlineSparseState& st) {
  const i64 B = p.batch, np = p.n_post, nq = p.n_pre;
  // 1. traces
  {
    const T dq = static_cast<T>(p.pre_decay), dp = static_cast<T>(p.post_decay);
    auto traces = [&](auto kind) {
      constexpr TraceKind K = decltype(kind)::value;
      for (i64 k = 0; k < B * nq; ++k) x_pre[k] = trace_step<T>(K, x_pre[k], s_pre[k], dq, T(1));
      for (i64 k = 0; k < B * np; ++k) x_post[k] = trace_step<T>(K, x_post[k], s_post[k], dp, T(1));
    };
    if (p.trace == TraceKind::Nearest) traces(std::integral_constant<TraceKind, TraceKind::Nearest>{});
    else traces(std::integral_constant<TraceKind, TraceKind::Full>{});
  }
  if (st.settled.size() != static_cast<std::size_t>(np)) {
    st.settled.assign(static_cast<std::size_t>(np), 0);
    st.is_ltp.assign(static_cast<std::size_t>(np), 0);
  }
  st.dirty.assign(static_cast<std::size_t>(np), 0);
  st.changed_rows.clear();
  // 2. W += dw (the previous step's) on dw's support
  for (i64 j : st.ltp_rows) {
    T* row = w + j * nq;
    const T* d = dw + j * nq;
    for (i64 i = 0; i < nq; ++i) row[i] += d[i];
    st.dirty[j] = 1;
    st.changed_rows.push_back(j);
  }
  for (i64 j : st.ltd_rows) {
    if (st.is_ltp[j]) continue;
    T* row = w + j * nq;
    const T* d = dw + j * nq;
    for (i64 i : st.cols) row[i] += d[i];
    st.dirty[j] = 1;
    st.changed_rows.push_back(j);
  }
  // 3. normalise and clamp the rows that may change
  const int mode = (p.normalise ? 1 : 0) | (p.clamp ? 2 : 0);
  std::vector<T>& tmp = scratch_of<T>(st.tmp_f, st.tmp_d);
  tmp.resize(static_cast<std::size_t>(nq));
  if (mode != st.last_mode) std::fill(st.settled.begin(), st.settled.end(), 0);
  st.last_mode = mode;
  if (mode != 0) {
    const T w_norm = static_cast<T>(p.w_norm), lo = static_cast<T>(p.lo), hi = static_cast<T>(p.hi);
    for (i64 j = 0; j < np; ++j) {
      if (!st.dirty[j] && st.settled[j]) continue;
      T* row = w + j * nq;
      T* out = tmp.data();
      if (p.normalise) {
        const T sum = static_cast<T>(abs_sum(row, nq));
        const bool znan = p.zero_rows_nan;
        for (i64 i = 0; i < nq; ++i) out[i] = normalised(row[i], w_norm, sum, znan);
        if (p.clamp)
          for (i64 i = 0; i < nq; ++i) out[i] = clamp_value(out[i], lo, hi);
      } else {
        for (i64 i = 0; i < nq; ++i) out[i] = clamp_value(row[i], lo, hi);
      }
      // unchanged bit for bit: a fixed point of normalise+clamp, skipped until dw touches the row again
      const bool changed = std::memcmp(out, row, sizeof(T) * static_cast<std::size_t>(nq)) != 0;
      if (changed) {
        std::memcpy(row, out, sizeof(T) * static_cast<std::size_t>(nq));
        if (!st.dirty[j]) st.changed_rows.push_back(j);
      }
      st.settled[j] = changed ? 0 : 1;
    }
  }
  // 4. clear dw's old support, then the new dw = a_post*BO(s_post, x_pre) - a_pre*BO(x_post, s_pre)
  for (i64 j : st.ltp_rows) {
    T* d = dw + j * nq;
    for (i64 i = 0; i < nq; ++i) d[i] = T(0);
  }
  for (i64 j : st.ltd_rows)
    if (!st.is_ltp[j])
      for (i64 i : st.cols) dw[j * nq + i] = T(0);
  for (i64 j : st.ltp_rows) st.is_ltp[j] = 0;
  st.ltp_rows.clear();
  st.ltd_rows.clear();
  st.cols.clear();
  const bool t1 = p.a_post != 0, t2 = p.a_pre != 0;
  const T a_post = static_cast<T>(p.a_post), a_pre = static_cast<T>(-p.a_pre), alpha = T(1);
  // pre spikes per sample (branch-free compaction), and their union
  st.pre_off.assign(static_cast<std::size_t>(B) + 1, 0);
  if (t2) {
    st.pre_idx.resize(static_cast<std::size_t>(B * nq));
    i64 cnt = 0;
    for (i64 b = 0; b < B; ++b) {
      st.pre_off[b] = cnt;
      const T* sb = s_pre + b * nq;
      for (i64 i = 0; i < nq; ++i) {
        st.pre_idx[static_cast<std::size_t>(cnt)] = i;
        cnt += sb[i] != T(0) ? 1 : 0;
      }
    }
    st.pre_off[B] = cnt;
    if (B == 1) {
      st.cols.assign(st.pre_idx.begin(), st.pre_idx.begin() + cnt);
    } else {
      std::vector<unsigned char>& seen = st.seen;
      seen.assign(static_cast<std::size_t>(nq), 0);
      for (i64 k = 0; k < cnt; ++k) {
        const i64 i = st.pre_idx[static_cast<std::size_t>(k)];
        if (!seen[i]) {
          seen[i] = 1;
          st.cols.push_back(i);
        }
      }
      std::sort(st.cols.begin(), st.cols.end());
    }
  }
  std::vector<T>& acc = tmp;
  for (i64 j = 0; j < np; ++j) {
    bool ltp = false, ltd = false;
    for (i64 b = 0; b < B; ++b) {
      if (t1 && s_post[b * np + j] != T(0)) ltp = true;
      if (t2 && !st.cols.empty() && (a_pre * T(1) * x_post[b * np + j]) != T(0)) ltd = true;
    }
    T* row = dw + j * nq;
    if (ltp) {
      acc.assign(static_cast<std::size_t>(nq), T(0));
      for (i64 b = 0; b < B; ++b) {
        if (s_post[b * np + j] == T(0)) continue;
        const T c = a_post * T(1) * s_post[b * np + j];
        const T* xb = x_pre + b * nq;
        for (i64 i = 0; i < nq; ++i) acc[i] += c * xb[i];
      }
      if (t2)
        for (i64 b = 0; b < B; ++b) {
          const T c = a_pre * T(1) * x_post[b * np + j];
          if (c == T(0)) continue;
          const T* sb = s_pre + b * nq;
          for (i64 k = st.pre_off[b]; k < st.pre_off[b + 1]; ++k) acc[st.pre_idx[k]] += c * sb[st.pre_idx[k]];
        }
      for (i64 i = 0; i < nq; ++i) row[i] = alpha * acc[i];
      st.ltp_rows.push_back(j);
      st.is_ltp[j] = 1;
      if (ltd) st.ltd_rows.push_back(j);
    } else if (ltd) {
      for (i64 b = 0; b < B; ++b) {
        const T c = a_pre * T(1) * x_post[b * np + j];
        if (c == T(0)) continue;
        const T* sb = s_pre + b * nq;
        for (i64 k = st.pre_off[b]; k < st.pre_off[b + 1]; ++k) {
          const i64 i = st.pre_idx[k];
          row[i] += alpha * (c * sb[i]);
        }
      }
      st.ltd_rows.push_back(j);
    }
  }
}

template void online_step_sparse<float>(const OnlineParams&, const float*, const float*, float*, float*, float*, float*,
                                        OnlineSparseState&);
template void online_step_sparse<double>(const OnlineParams&, const double*, const double*, double*, double*, double*,
                                         double*, OnlineSparseState&);

}  // namespace spaic::cpu

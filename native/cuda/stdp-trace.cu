// cuda/stdp-trace.cu - CUDA twin of cpu/stdp-trace.cpp: the same maths (spaic/math/stdp-trace.h), with
// indexing, launches and reductions here (the rule steps that string the kernels together are
// core/stdp-trace.cpp). All work goes on the default stream, so scratch blocks returned
// to the caching allocator are reused in stream order.
//
// The event-driven weight change gives each row of dW to one block and each element to one thread, which
// adds the samples' terms in ascending order where the spikes are: deterministic, with the CPU's order of
// additions, and no host sync. Only `auto` reads the spike counts back, to choose the path.
#include <cmath>
#include <cstdint>

#include "cuda/common.cuh"
#include "spaic/device.h"
#include "spaic/math/reduce.h"
#include "spaic/ops.h"
#include "spaic/stdp-trace.h"

namespace spaic::cuda {

namespace {

using i32 = std::int32_t;

int current_device() {
  int d = 0;
  SPAIC_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

// Device scratch from the caching allocator, returned at scope exit (stream-ordered reuse).
class Scratch {
 public:
  explicit Scratch(std::size_t bytes) : dev_(current_device()), bytes_(bytes > 0 ? bytes : 1) {
    ptr_ = gpu::alloc(dev_, bytes_);
  }
  ~Scratch() { gpu::release(dev_, ptr_, bytes_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <typename T>
  T* as() const {
    return static_cast<T*>(ptr_);
  }

 private:
  int dev_;
  std::size_t bytes_;
  void* ptr_ = nullptr;
};

// Sum over the block (blockDim.x == kBlock); every thread gets the total.
template <typename A>
__device__ A block_sum(A v, A* sh) {
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  A total = sh[0];
  __syncthreads();
  return total;
}

unsigned rows_grid(i64 rows) { return static_cast<unsigned>(rows < 65535 ? (rows > 0 ? rows : 1) : 65535); }

// --- traces

template <typename T, TraceKind K>
__global__ void trace_kernel(T* x, const T* s, i64 n, T d, T a) {
  SPAIC_GRID_STRIDE(i, n) x[i] = trace_step<T>(K, x[i], s[i], d, a);
}

template <typename T>
__global__ void scale_kernel(T* x, i64 n, T f) {
  SPAIC_GRID_STRIDE(i, n) x[i] = f * x[i];
}

__global__ void int_trace_kernel(i32* x, const i32* s, i64 n, std::int64_t decay, int shift, i32 value) {
  SPAIC_GRID_STRIDE(i, n) x[i] = int_trace_step(x[i], s[i], decay, shift, value);
}

// --- weight change

template <typename T>
__global__ void row_factor_kernel(DwParams p, const T* s_post, const T* x_post, const T* g_post, const T* g_pre, T* u,
                                  T* v) {
  SPAIC_GRID_STRIDE(k, p.batch * p.n_post) {
    const i64 b = k / p.n_post, j = k % p.n_post;
    if (u) u[k] = static_cast<T>(p.a_post) * (g_post ? g_post[b * p.gpost_sb + j * p.gpost_sj] : T(1)) * s_post[k];
    if (v) v[k] = static_cast<T>(p.a_pre) * (g_pre ? g_pre[b * p.gpre_sb + j * p.gpre_sj] : T(1)) * x_post[k];
  }
}

// Spike counts of the two event lists (integer atomics, one per warp: exact and order-free).
template <typename T>
__global__ void count_nonzero_kernel(const T* s, i64 n, unsigned long long* count) {
  unsigned long long c = 0;
  SPAIC_GRID_STRIDE(k, n) c += s[k] != T(0);
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) c += __shfl_down_sync(0xffffffffu, c, off);
  if ((threadIdx.x & 31) == 0 && c) atomicAdd(count, c);
}

// The event-driven dW, deterministic and in the CPU's order (cpu/stdp-trace.cpp dw_event): one block
// per post neuron j owns row j of dW; each thread owns its elements i and adds, sample by sample in
// ascending b, the post term u[b,j]*x_pre[b,i] where post j spiked and the pre term v[b,j]*s_pre[b,i]
// where pre i spiked. No two threads write one element: no atomics, the same bits on every run.
template <typename T>
__global__ void dw_event_kernel(DwParams p, const T* s_post, const T* u, const T* x_pre, const T* v, const T* s_pre,
                                T* dw) {
  const bool t1 = p.a_post != 0, t2 = p.a_pre != 0;
  const i64 np = p.n_post, nq = p.n_pre, B = p.batch;
  const T alpha = static_cast<T>(p.alpha), bt = static_cast<T>(p.beta);
  for (i64 j = blockIdx.x; j < np; j += gridDim.x) {
    bool has_row = false;
    if (t1)
      for (i64 b = 0; b < B && !has_row; ++b) has_row = s_post[b * np + j] != T(0);
    T* row = dw + j * nq;
    for (i64 i = threadIdx.x; i < nq; i += blockDim.x) {
      if (has_row) {
        T acc = T(0);
        for (i64 b = 0; b < B; ++b)
          if (s_post[b * np + j] != T(0)) acc = acc + u[b * np + j] * x_pre[b * nq + i];
        if (t2) {
          for (i64 b = 0; b < B; ++b) {
            const T c = v[b * np + j];
            const T sp = s_pre[b * nq + i];
            if (c != T(0) && sp != T(0)) acc = acc + c * sp;
          }
        }
        if (p.beta == 0.0) row[i] = alpha * acc;
        else if (p.beta == 1.0) row[i] = row[i] + alpha * acc;
        else row[i] = bt * row[i] + alpha * acc;
      } else {
        T x = p.beta == 0.0 ? T(0) : (p.beta == 1.0 ? row[i] : row[i] * bt);
        if (t2) {
          for (i64 b = 0; b < B; ++b) {
            const T c = v[b * np + j];
            const T sp = s_pre[b * nq + i];
            if (c != T(0) && sp != T(0)) x = x + alpha * (c * sp);
          }
        }
        row[i] = x;
      }
    }
  }
}

template <typename T>
void scale_or_clear(T* dw, i64 n, double beta) {
  if (beta == 1.0 || n == 0) return;
  if (beta == 0.0) {
    SPAIC_CUDA_CHECK(cudaMemsetAsync(dw, 0, static_cast<std::size_t>(n) * sizeof(T)));
  } else {
    scale_kernel<T><<<grid_for(n), kBlock>>>(dw, n, static_cast<T>(beta));
    SPAIC_CUDA_LAUNCHED();
  }
}

// --- apply / reward / eligibility

template <typename T>
__global__ void apply_kernel(ApplyParams p, T* w, const T* dw) {
  using A = typename AccType<T>::type;
  __shared__ A sh[kBlock];
  const bool add = dw != nullptr && p.dw_scale != 0.0;
  const T scale = static_cast<T>(p.dw_scale), w_norm = static_cast<T>(p.w_norm);
  const T lo = static_cast<T>(p.lo), hi = static_cast<T>(p.hi);
  for (i64 j = blockIdx.x; j < p.n_post; j += gridDim.x) {
    T* row = w + j * p.n_pre;
    A part = A(0);
    for (i64 i = threadIdx.x; i < p.n_pre; i += blockDim.x) {
      T x = row[i];
      if (add) x = p.dw_scale == 1.0 ? x + dw[j * p.n_pre + i] : x + scale * dw[j * p.n_pre + i];
      row[i] = x;
      part += static_cast<A>(abs_t(x));
    }
    T sum = T(0);
    if (p.normalise) sum = static_cast<T>(block_sum<A>(part, sh));
    for (i64 i = threadIdx.x; i < p.n_pre; i += blockDim.x) {
      T x = row[i];
      if (p.normalise) x = normalised(x, w_norm, sum, p.zero_rows_nan);
      if (p.clamp) x = clamp_value(x, lo, hi);
      row[i] = x;
    }
  }
}

template <typename T>
__global__ void reward_kernel(RewardParams p, T* w, const T* e, const T* r) {
  const T lr = static_cast<T>(p.lr);
  SPAIC_GRID_STRIDE(k, p.n_post * p.n_pre) {
    const i64 j = k / p.n_pre;
    w[k] += lr * reward_at<T>(p.shape, r, p.reward_value, 0, j, p.n_post) * e[k];
  }
}

template <typename T>
__global__ void etrace_kernel(EtraceParams p, T* et, const T* e, T* w, const T* r) {
  const T d_e = static_cast<T>(p.d_e), m_e = static_cast<T>(p.m_e), lr = static_cast<T>(p.lr);
  SPAIC_GRID_STRIDE(k, p.n_post * p.n_pre) {
    const i64 j = k / p.n_pre;
    if (p.apply) w[k] += lr * reward_at<T>(p.shape, r, p.reward_value, 0, j, p.n_post) * et[k];
    et[k] = eligibility_trace_step(et[k], e[k], d_e, m_e);
  }
}

// --- meta

template <typename T>
__global__ void row_mean_kernel(const T* w, i64 n_post, i64 n_pre, T* out) {
  using A = typename AccType<T>::type;
  __shared__ A sh[kBlock];
  for (i64 j = blockIdx.x; j < n_post; j += gridDim.x) {
    A part = A(0);
    for (i64 i = threadIdx.x; i < n_pre; i += blockDim.x) part += static_cast<A>(w[j * n_pre + i]);
    A s = block_sum<A>(part, sh);
    if (threadIdx.x == 0) out[j] = static_cast<T>(s / static_cast<A>(n_pre));
  }
}

// One block: aw_mean = mean(w_mean).
template <typename T>
__global__ void mean_kernel(const T* x, i64 n, T* out) {
  using A = typename AccType<T>::type;
  __shared__ A sh[kBlock];
  A part = A(0);
  for (i64 i = threadIdx.x; i < n; i += blockDim.x) part += static_cast<A>(x[i]);
  A s = block_sum<A>(part, sh);
  if (threadIdx.x == 0) out[0] = static_cast<T>(s / static_cast<A>(n));
}

// One block: the homeostatic target update of meta_nearest_online_stdp.
template <typename T>
__global__ void meta_target_kernel(i64 batch, i64 n_post, const T* x_post, T rate, T* w_mean, const T* aw_mean) {
  using A = typename AccType<T>::type;
  __shared__ A sh[kBlock];
  A part = A(0);
  for (i64 k = threadIdx.x; k < batch * n_post; k += blockDim.x) part += static_cast<A>(x_post[k]);
  const T mean_all = static_cast<T>(block_sum<A>(part, sh) / static_cast<A>(batch * n_post));
  A wpart = A(0);
  for (i64 j = threadIdx.x; j < n_post; j += blockDim.x) {
    A col = A(0);
    for (i64 b = 0; b < batch; ++b) col += static_cast<A>(x_post[b * n_post + j]);
    const T mean_b = static_cast<T>(col / static_cast<A>(batch));
    const T v = w_mean[j] - rate * (mean_b - mean_all);
    w_mean[j] = v;
    wpart += static_cast<A>(v);
  }
  const T mean_w = static_cast<T>(block_sum<A>(wpart, sh) / static_cast<A>(n_post));
  const T aw = aw_mean[0];
  for (i64 j = threadIdx.x; j < n_post; j += blockDim.x) w_mean[j] = w_mean[j] * aw / mean_w;
}

template <typename T>
__global__ void meta_weight_kernel(i64 n_post, i64 n_pre, T* w, const T* w_mean, const T* dw, T w_min, T w_max) {
  using A = typename AccType<T>::type;
  __shared__ A sh[kBlock];
  for (i64 j = blockIdx.x; j < n_post; j += gridDim.x) {
    T* row = w + j * n_pre;
    A part = A(0);
    for (i64 i = threadIdx.x; i < n_pre; i += blockDim.x) part += static_cast<A>(row[i]);
    const T rm = static_cast<T>(block_sum<A>(part, sh) / static_cast<A>(n_pre));
    const T wm = w_mean[j];
    for (i64 i = threadIdx.x; i < n_pre; i += blockDim.x)
      row[i] = meta_weight(row[i], wm, rm, dw[j * n_pre + i], w_min, w_max);
  }
}

// --- switch

template <typename T>
__global__ void switch_gain_kernel(SwitchParams p, const T* r, T* g_post, T* g_pre) {
  SPAIC_GRID_STRIDE(b, p.batch) {
    const T rb = reward_at<T>(p.shape, r, p.reward_value, b, 0, 1);
    g_post[b] = switch_amplitude(rb, static_cast<T>(p.apost_pos), static_cast<T>(p.apost_neg));
    g_pre[b] = switch_amplitude(rb, static_cast<T>(p.apre_pos), static_cast<T>(p.apre_neg));
  }
}

// switch_rstdp's optional homeostatic term: one block per output row j (grid-stride over rows), each thread
// forms the row's shift as the CPU does (the same sum over the batch, in order), then adds it to its columns.
template <typename T>
__global__ void switch_homeo_kernel(i64 B, i64 np, i64 nq, const T* x_post, T target, T rate, T* w) {
  for (i64 j = blockIdx.x; j < np; j += gridDim.x) {
    T sum = 0;
    for (i64 b = 0; b < B; ++b) sum += (target - x_post[b * np + j]) * rate;
    const T c = sum / static_cast<T>(B);
    for (i64 i = threadIdx.x; i < nq; i += blockDim.x) w[j * nq + i] += c;
  }
}

// --- integer STDP

template <typename T>
__global__ void conv_inhibit_kernel(const T* s, T* out, i64 maps, i64 positions, i64 n) {
  SPAIC_GRID_STRIDE(e, n) {
    const i64 plane = maps * positions, b = e / plane, r = e % plane;
    out[e] = conv_inhibited(s + b * plane, r / positions, r % positions, positions);
  }
}

template <typename T>
__global__ void conv_copy_kernel(const T* s, T* out, i64 n) {
  SPAIC_GRID_STRIDE(e, n) out[e] = s[e];
}

template <typename T>
__global__ void conv_wta_kernel(const T* s, T* out, i64 positions, i64 rows) {
  SPAIC_GRID_STRIDE(row, rows) conv_first_spike(s + row * positions, out + row * positions, positions);
}

__global__ void int_stdp_kernel(IntStdpParams p, const i32* s_pre, const i32* s_post, const i32* thresh,
                                const i32* draws, const i32* x_pre, const i32* x_post, i32* w) {
  const i64 nq = p.n_pre;
  SPAIC_GRID_STRIDE(k, p.n_post * nq) {
    const i64 j = k / nq, i = k % nq;
    const bool halve = static_cast<std::int64_t>(thresh[j]) > p.max_threshold;
    w[k] = int_stdp_weight(p, j, i, w[k], halve, s_pre, s_post, draws, x_pre, x_post);
  }
}

}  // namespace

template <typename T>
void trace_update(const TraceParams& p, T* x, const T* s) {
  const i64 n = p.n;
  if (n == 0) return;
  with_trace_kind(p.kind, [&](auto K) {
    trace_kernel<T, decltype(K)::value>
        <<<grid_for(n), kBlock>>>(x, s, n, static_cast<T>(p.decay), static_cast<T>(p.amp));
  });
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void trace_decay(T* x, i64 n, double decay, i64 steps) {
  if (n == 0) return;
  scale_kernel<T><<<grid_for(n), kBlock>>>(x, n, static_cast<T>(std::pow(decay, static_cast<double>(steps))));
  SPAIC_CUDA_LAUNCHED();
}

void int_trace_update(const IntTraceParams& p, i32* x, const i32* s) {
  if (p.n == 0) return;
  int_trace_kernel<<<grid_for(p.n), kBlock>>>(x, s, p.n, p.decay, p.shift, p.value);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
DwPath stdp_dw(const DwParams& p, const T* s_post, const T* x_pre, const T* x_post, const T* s_pre, const T* g_post,
               const T* g_pre, T* dw) {
  const bool t1 = p.a_post != 0, t2 = p.a_pre != 0;
  const i64 np = p.n_post, nq = p.n_pre, B = p.batch, nb = B * np;
  const i64 nw = np * nq;
  if (nw == 0) return p.path == DwPath::Event ? DwPath::Event : DwPath::Dense;
  Scratch factors(static_cast<std::size_t>(2 * nb) * sizeof(T));
  T* u = t1 ? factors.as<T>() : nullptr;
  T* v = t2 ? factors.as<T>() + nb : nullptr;
  if ((t1 || t2) && nb > 0) {
    row_factor_kernel<T><<<grid_for(nb), kBlock>>>(p, s_post, x_post, g_post, g_pre, u, v);
    SPAIC_CUDA_LAUNCHED();
  }
  DwPath path = p.path;
  if (path == DwPath::Auto) {
    // The path is chosen from the exact spike counts (read back: the one host sync of an auto call).
    const i64 n_post_cand = t1 ? nb : 0, n_pre_cand = t2 ? B * nq : 0;
    Scratch cnt_buf(2 * sizeof(unsigned long long));
    auto* cnt = cnt_buf.as<unsigned long long>();
    SPAIC_CUDA_CHECK(cudaMemsetAsync(cnt, 0, 2 * sizeof(unsigned long long)));
    if (n_post_cand > 0) {
      count_nonzero_kernel<T><<<grid_for(n_post_cand), kBlock>>>(s_post, n_post_cand, cnt);
      SPAIC_CUDA_LAUNCHED();
    }
    if (n_pre_cand > 0) {
      count_nonzero_kernel<T><<<grid_for(n_pre_cand), kBlock>>>(s_pre, n_pre_cand, cnt + 1);
      SPAIC_CUDA_LAUNCHED();
    }
    unsigned long long counts[2] = {0, 0};
    SPAIC_CUDA_READ_BACK(counts, cnt, sizeof(counts));
    const double f = stdp_event_fraction(static_cast<i64>(counts[0]), static_cast<i64>(counts[1]), B, np, nq);
    path = f < stdp_event_crossover_cuda(B) ? DwPath::Event : DwPath::Dense;
  }
  if (path == DwPath::Dense) {
    GemmParams g = stdp_batch_outer_gemm(B, np, nq, p.alpha, p.beta);
    if (t1) gemm<T>(g, u, x_pre, dw);
    if (t2) {
      if (t1) g.beta = 1.0;
      gemm<T>(g, v, s_pre, dw);
    }
    if (!t1 && !t2) scale_or_clear(dw, nw, p.beta);
    return DwPath::Dense;
  }
  dw_event_kernel<T><<<rows_grid(np), kBlock>>>(p, s_post, u, x_pre, v, s_pre, dw);
  SPAIC_CUDA_LAUNCHED();
  return DwPath::Event;
}

template <typename T>
void apply_dw(const ApplyParams& p, T* w, const T* dw) {
  if (p.n_post * p.n_pre == 0) return;
  apply_kernel<T><<<rows_grid(p.n_post), kBlock>>>(p, w, dw);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void apply_reward(const RewardParams& p, T* w, const T* e, const T* r) {
  const i64 n = p.n_post * p.n_pre;
  if (n == 0) return;
  reward_kernel<T><<<grid_for(n), kBlock>>>(p, w, e, r);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void eligibility_trace(const EtraceParams& p, T* et, const T* e, T* w, const T* r) {
  const i64 n = p.n_post * p.n_pre;
  if (n == 0) return;
  etrace_kernel<T><<<grid_for(n), kBlock>>>(p, et, e, w, r);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void meta_init(const MetaParams& p, const T* w, T* w_mean, T* aw_mean) {
  row_mean_kernel<T><<<rows_grid(p.n_post), kBlock>>>(w, p.n_post, p.n_pre, w_mean);
  SPAIC_CUDA_LAUNCHED();
  mean_kernel<T><<<1, kBlock>>>(w_mean, p.n_post, aw_mean);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void meta_homeostasis(const MetaParams& p, const T* x_post, T* w_mean, const T* aw_mean) {
  meta_target_kernel<T><<<1, kBlock>>>(p.batch, p.n_post, x_post, static_cast<T>(0.1 * p.a_pre), w_mean, aw_mean);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void meta_apply(const MetaParams& p, T* w, const T* w_mean, const T* dw) {
  meta_weight_kernel<T><<<rows_grid(p.n_post), kBlock>>>(p.n_post, p.n_pre, w, w_mean, dw, static_cast<T>(p.w_min),
                                                         static_cast<T>(p.w_max));
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void switch_gains(const SwitchParams& p, const T* r, T* g_post, T* g_pre) {
  switch_gain_kernel<T><<<grid_for(p.batch), kBlock>>>(p, r, g_post, g_pre);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void switch_homeostasis(const SwitchParams& p, const T* x_post, T* w) {
  if (p.n_post * p.n_pre == 0) return;
  switch_homeo_kernel<T><<<rows_grid(p.n_post), kBlock>>>(
      p.batch, p.n_post, p.n_pre, x_post, static_cast<T>(p.homeo_target), static_cast<T>(p.homeo_rate), w);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void conv_learn_mask(const ConvMaskParams& p, const T* s, T* out, T* tmp) {
  const i64 L = p.positions, rows = p.batch * p.maps, n = rows * L;
  if (n == 0) return;
  const T* src = s;
  if (p.inhibit) {
    T* dst = p.wta ? tmp : out;
    conv_inhibit_kernel<T><<<grid_for(n), kBlock>>>(s, dst, p.maps, L, n);
    SPAIC_CUDA_LAUNCHED();
    src = dst;
  }
  if (p.wta) {
    conv_wta_kernel<T><<<grid_for(rows), kBlock>>>(src, out, L, rows);
    SPAIC_CUDA_LAUNCHED();
  } else if (!p.inhibit) {
    conv_copy_kernel<T><<<grid_for(n), kBlock>>>(s, out, n);
    SPAIC_CUDA_LAUNCHED();
  }
}

void int_stdp_weights(const IntStdpParams& p, const i32* s_pre, const i32* s_post, const i32* thresh, const i32* draws,
                      const i32* x_pre, const i32* x_post, i32* w) {
  if (p.n_post * p.n_pre == 0) return;
  int_stdp_kernel<<<grid_for(p.n_post * p.n_pre), kBlock>>>(p, s_pre, s_post, thresh, draws, x_pre, x_post, w);
  SPAIC_CUDA_LAUNCHED();
}

SPAIC_INSTANTIATE_STDP_OPS(float)
SPAIC_INSTANTIATE_STDP_OPS(double)

}  // namespace spaic::cuda

// cuda/synapse.cu - CUDA twin of cpu/synapse.cpp; same per-element maths (spaic/math/synapse.h).
//
// Event path: one block per row lists the row's active inputs in ascending order (warp ballots, no
// atomics, so the list is deterministic) and adds its count to a total. Then
// - W^T [pre, post]: one thread per (row, post) walks the list; the active list is staged through
//   shared memory and a warp reads 32 consecutive weights of one W^T row (coalesced);
// - W [post, pre]: one warp per (row, post) splits the list over its lanes and reduces.
// Auto reads the total back to the host (one small synchronous copy) to choose the path.
// Backward: the event-driven weight gradient gives each input's dW entries to one block, which adds the
// active rows in ascending order: no float atomics, the CPU's order, the same bits on every run.
#include <cstdint>
#include <type_traits>

#include "cuda/common.cuh"
#include "spaic/ops.h"
#include "spaic/synapse.h"

namespace spaic::cuda {

namespace {

template <typename T>
T* at(void* ws, std::size_t off) {
  return reinterpret_cast<T*>(static_cast<char*>(ws) + off);
}

// Block of 256 threads per row; *total receives the total as 64 bits (zeroed before the launch).
template <typename S>
__global__ void __launch_bounds__(256)
    compact_kernel(SynapseParams p, const S* s, std::int32_t* counts, std::int32_t* index, unsigned long long* total) {
  __shared__ std::int32_t warp_tot[8];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (i64 r = blockIdx.x; r < p.rows; r += gridDim.x) {
    const S* row = s + r * p.n_pre;
    std::int32_t* idx = index + r * p.n_pre;
    std::int32_t base = 0;
    for (i64 c0 = 0; c0 < p.n_pre; c0 += 256) {
      const i64 i = c0 + threadIdx.x;
      const bool act = i < p.n_pre && spike_active(row[i]);
      const unsigned ballot = __ballot_sync(0xffffffffu, act);
      if (lane == 0) warp_tot[warp] = __popc(ballot);
      __syncthreads();
      std::int32_t before = 0, chunk = 0;
#pragma unroll
      for (int w = 0; w < 8; ++w) {
        before += w < warp ? warp_tot[w] : 0;
        chunk += warp_tot[w];
      }
      if (act) idx[base + before + __popc(ballot & ((1u << lane) - 1u))] = static_cast<std::int32_t>(i);
      base += chunk;
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      counts[r] = base;
      atomicAdd(total, static_cast<unsigned long long>(base));
    }
  }
}

constexpr int kStage = 256;

template <typename T, typename S>
__global__ void __launch_bounds__(256)
    event_pre_post_kernel(SynapseParams p, const S* s, const T* wt, const T* bias, T* out, const std::int32_t* counts,
                          const std::int32_t* index) {
  __shared__ std::int32_t sidx[kStage];
  __shared__ T sval[kStage];
  const i64 j = blockIdx.x * (i64)blockDim.x + threadIdx.x;
  for (i64 r = blockIdx.y; r < p.rows; r += gridDim.y) {  // uniform per block: the barriers below are safe
    const std::int32_t n = counts[r];
    const std::int32_t* idx = index + r * p.n_pre;
    const S* srow = s + r * p.n_pre;
    T acc = T(0);
    for (std::int32_t k0 = 0; k0 < n; k0 += kStage) {
      const std::int32_t m = n - k0 < kStage ? n - k0 : kStage;
      if (threadIdx.x < m) {
        const std::int32_t i = idx[k0 + threadIdx.x];
        sidx[threadIdx.x] = i;
        sval[threadIdx.x] = spike_value<T>(srow[i]);
      }
      __syncthreads();
      if (j < p.n_post)
        for (std::int32_t k = 0; k < m; ++k) acc += sval[k] * wt[sidx[k] * p.n_post + j];
      __syncthreads();
    }
    if (j < p.n_post) {
      T* o = out + r * p.n_post + j;
      *o = synapse_finish(acc, bias, j, o, p.accumulate);
    }
  }
}

template <typename T, typename S>
__global__ void event_post_pre_kernel(SynapseParams p, const S* s, const T* w, const T* bias, T* out,
                                      const std::int32_t* counts, const std::int32_t* index) {
  const int lane = threadIdx.x & 31;
  const i64 warps = (i64)gridDim.x * (blockDim.x >> 5);
  for (i64 item = blockIdx.x * (i64)(blockDim.x >> 5) + (threadIdx.x >> 5); item < p.rows * p.n_post; item += warps) {
    const i64 r = item / p.n_post, j = item % p.n_post;
    const std::int32_t n = counts[r];
    const std::int32_t* idx = index + r * p.n_pre;
    const S* srow = s + r * p.n_pre;
    const T* wj = w + j * p.n_pre;
    T acc = T(0);
    for (std::int32_t k = lane; k < n; k += 32) {
      const std::int32_t i = idx[k];
      acc += spike_value<T>(srow[i]) * wj[i];
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (lane == 0) {
      T* o = out + item;
      *o = synapse_finish(acc, bias, j, o, p.accumulate);
    }
  }
}

template <typename T, typename S>
__global__ void widen_kernel(const S* s, T* d, i64 n) {
  SPAIC_GRID_STRIDE(i, n) d[i] = spike_value<T>(s[i]);
}

template <typename T>
__global__ void bias_rows_kernel(const T* bias, T* out, i64 rows, i64 n_post, bool accumulate) {
  SPAIC_GRID_STRIDE(e, rows * n_post) {
    const i64 j = e % n_post;
    out[e] = accumulate ? out[e] + bias[j] : bias[j];
  }
}

template <typename T>
__global__ void grad_bias_kernel(const T* g, T* gb, i64 rows, i64 n_post, bool accumulate) {
  SPAIC_GRID_STRIDE(j, n_post) {
    T acc = T(0);
    for (i64 r = 0; r < rows; ++r) acc += g[r * n_post + j];
    gb[j] = accumulate ? gb[j] + acc : acc;
  }
}

template <typename T>
__global__ void transpose_kernel(const T* a, T* out, i64 rows, i64 cols) {
  __shared__ T tile[32][33];
  const i64 c0 = blockIdx.x * 32, r0 = blockIdx.y * 32;
  for (int k = threadIdx.y; k < 32; k += blockDim.y) {
    const i64 r = r0 + k, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[k][threadIdx.x] = a[r * cols + c];
  }
  __syncthreads();
  for (int k = threadIdx.y; k < 32; k += blockDim.y) {
    const i64 c = c0 + k, r = r0 + threadIdx.x;
    if (r < rows && c < cols) out[c * rows + r] = tile[threadIdx.x][k];
  }
}

template <typename T, typename S>
const T* widen(const S* s, i64 n, void* ws, std::size_t off) {
  if constexpr (std::is_same_v<T, S>) {
    return s;
  } else {
    T* d = at<T>(ws, off);
    if (n > 0) {
      widen_kernel<T, S><<<grid_for(n), kBlock>>>(s, d, n);
      SPAIC_CUDA_LAUNCHED();
    }
    return d;
  }
}

template <typename T>
void dense(const SynapseParams& p, const T* s, const T* w, const T* bias, T* out) {
  double beta = p.accumulate ? 1.0 : 0.0;
  if (bias) {
    bias_rows_kernel<T><<<grid_for(p.rows * p.n_post), kBlock>>>(bias, out, p.rows, p.n_post, p.accumulate);
    SPAIC_CUDA_LAUNCHED();
    beta = 1.0;
  }
  gemm<T>(synapse_forward_gemm(p, beta), s, w, out);
}

unsigned row_grid(i64 rows) { return static_cast<unsigned>(rows < 65535 ? rows : 65535); }

}  // namespace

template <typename T, typename S>
SynapseMode synapse_forward(const SynapseParams& p, const S* spikes, const T* weight, const T* bias, T* out,
                            void* workspace) {
  if (p.rows == 0 || p.n_post == 0) return p.mode == SynapseMode::Event ? SynapseMode::Event : SynapseMode::Dense;
  const SynapseWorkspace ws = synapse_forward_workspace(p, !std::is_same_v<T, S>, sizeof(T));
  SynapseMode mode = p.mode;
  std::int32_t* counts = nullptr;
  std::int32_t* index = nullptr;
  if (mode != SynapseMode::Dense) {
    counts = at<std::int32_t>(workspace, ws.counts);
    index = at<std::int32_t>(workspace, ws.index);
    auto* dtotal = at<unsigned long long>(workspace, ws.total);
    SPAIC_CUDA_CHECK(cudaMemsetAsync(dtotal, 0, sizeof(unsigned long long)));
    compact_kernel<S><<<row_grid(p.rows), 256>>>(p, spikes, counts, index, dtotal);
    SPAIC_CUDA_LAUNCHED();
    if (mode == SynapseMode::Auto) {
      unsigned long long total = 0;
      SPAIC_CUDA_READ_BACK(&total, dtotal, sizeof(total));
      const double crossover =
          p.crossover >= 0 ? p.crossover : synapse_default_crossover(true, p.rows, p.layout == WeightLayout::PrePost);
      const double density = p.n_pre > 0 ? static_cast<double>(total) / static_cast<double>(p.rows * p.n_pre) : 0.0;
      mode = density < crossover ? SynapseMode::Event : SynapseMode::Dense;
    }
  }
  if (mode == SynapseMode::Event) {
    if (p.layout == WeightLayout::PrePost) {
      dim3 grid(static_cast<unsigned>(ceil_div(p.n_post, 256)), row_grid(p.rows));
      event_pre_post_kernel<T, S><<<grid, 256>>>(p, spikes, weight, bias, out, counts, index);
    } else {
      event_post_pre_kernel<T, S>
          <<<grid_for(p.rows * p.n_post * 32), kBlock>>>(p, spikes, weight, bias, out, counts, index);
    }
    SPAIC_CUDA_LAUNCHED();
  } else {
    dense<T>(p, widen<T, S>(spikes, p.rows * p.n_pre, workspace, ws.spikes), weight, bias, out);
  }
  return mode;
}

namespace {

// Event-driven weight gradient (twin of cpu/synapse.cpp's grad_weight_event), deterministic: one block
// per input i owns every element of dW that i touches, and adds the rows where i is active in
// ascending order, exactly as the CPU does, so no two blocks write one element and no float atomics
// are needed. The block lists the active rows of its input 256 at a time (warp ballots, ascending),
// then each thread accumulates its post-neurons over the list in registers.
template <typename T, typename S>
__global__ void __launch_bounds__(256)
    grad_weight_event_kernel(SynapseBackwardParams p, const T* g, const S* s, T* gw) {
  __shared__ std::int32_t rows[256];
  __shared__ T vals[256];
  __shared__ std::int32_t warp_tot[8];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const bool pre_post = p.layout == WeightLayout::PrePost;
  for (i64 i = blockIdx.x; i < p.n_pre; i += gridDim.x) {
    for (i64 j0 = 0; j0 < p.n_post; j0 += 256) {
      const i64 j = j0 + threadIdx.x;
      T* dst = j < p.n_post ? (pre_post ? gw + i * p.n_post + j : gw + j * p.n_pre + i) : nullptr;
      T acc = dst && p.accumulate ? *dst : T(0);
      for (i64 r0 = 0; r0 < p.rows; r0 += 256) {
        const i64 r = r0 + threadIdx.x;
        const S sv = r < p.rows ? s[r * p.n_pre + i] : S(0);
        const bool act = sv != S(0);
        const unsigned ballot = __ballot_sync(0xffffffffu, act);
        if (lane == 0) warp_tot[warp] = __popc(ballot);
        __syncthreads();
        std::int32_t before = 0, n = 0;
#pragma unroll
        for (int w = 0; w < 8; ++w) {
          before += w < warp ? warp_tot[w] : 0;
          n += warp_tot[w];
        }
        if (act) {
          const int at = before + __popc(ballot & ((1u << lane) - 1u));
          rows[at] = static_cast<std::int32_t>(r);
          vals[at] = static_cast<T>(sv);
        }
        __syncthreads();
        if (dst)
          for (std::int32_t k = 0; k < n; ++k) acc = acc + vals[k] * g[static_cast<i64>(rows[k]) * p.n_post + j];
        __syncthreads();
      }
      if (dst) *dst = acc;
    }
  }
}

// The active inputs, counted exactly (integer atomics, one per warp).
template <typename S>
__global__ void count_active_kernel(const S* s, i64 n, unsigned long long* count) {
  unsigned long long c = 0;
  SPAIC_GRID_STRIDE(i, n) c += s[i] != S(0);
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) c += __shfl_down_sync(0xffffffffu, c, off);
  if ((threadIdx.x & 31) == 0 && c) atomicAdd(count, c);
}

}  // namespace

template <typename T, typename S>
void synapse_backward(const SynapseBackwardParams& p, const T* grad_out, const S* spikes, const T* weight,
                      T* grad_weight, T* grad_spikes, T* grad_bias, void* workspace) {
  const bool post_pre = p.layout == WeightLayout::PostPre;
  bool event = p.mode == SynapseMode::Event;
  if (grad_weight && p.mode == SynapseMode::Auto && p.rows * p.n_pre > 0) {
    // The counter lives in the caller's workspace (synapse_backward_workspace): no allocation per call.
    auto* d = at<unsigned long long>(workspace, synapse_backward_workspace(p, !std::is_same_v<T, S>, sizeof(T)).counts);
    SPAIC_CUDA_CHECK(cudaMemsetAsync(d, 0, sizeof(unsigned long long)));
    count_active_kernel<S><<<grid_for(p.rows * p.n_pre), kBlock>>>(spikes, p.rows * p.n_pre, d);
    SPAIC_CUDA_LAUNCHED();
    unsigned long long c = 0;
    SPAIC_CUDA_READ_BACK(&c, d, sizeof(c));
    const double cross = p.crossover >= 0 ? p.crossover : kBackwardEventCrossoverCuda;
    event = static_cast<double>(c) / static_cast<double>(p.rows * p.n_pre) < cross;
  }
  if (grad_weight && event && p.n_pre > 0 && p.n_post > 0) {
    if (p.rows == 0) {
      if (!p.accumulate) SPAIC_CUDA_CHECK(cudaMemset(grad_weight, 0, sizeof(T) * p.n_pre * p.n_post));
    } else {
      // every element is written (or, accumulating, read and written) by exactly one block
      const unsigned g = static_cast<unsigned>(p.n_pre < 65535 ? p.n_pre : 65535);
      grad_weight_event_kernel<T, S><<<g, 256>>>(p, grad_out, spikes, grad_weight);
      SPAIC_CUDA_LAUNCHED();
    }
  } else if (grad_weight && p.n_pre > 0 && p.n_post > 0) {
    const T* s = widen<T, S>(spikes, p.rows * p.n_pre, workspace, 0);
    if (post_pre) gemm<T>(synapse_grad_weight_gemm(p), grad_out, s, grad_weight);
    else gemm<T>(synapse_grad_weight_gemm(p), s, grad_out, grad_weight);
  }
  if (grad_spikes && p.rows > 0 && p.n_pre > 0) gemm<T>(synapse_grad_spikes_gemm(p), grad_out, weight, grad_spikes);
  if (grad_bias && p.n_post > 0) {
    grad_bias_kernel<T><<<grid_for(p.n_post), kBlock>>>(grad_out, grad_bias, p.rows, p.n_post, p.accumulate);
    SPAIC_CUDA_LAUNCHED();
  }
}

template <typename T>
void transpose(const T* a, T* out, i64 rows, i64 cols) {
  if (rows == 0 || cols == 0) return;
  SPAIC_CHECK(ceil_div(rows, 32) <= 65535, Shape, "a", "transpose takes at most ", 65535 * 32, " rows on CUDA");
  dim3 grid(static_cast<unsigned>(ceil_div(cols, 32)), static_cast<unsigned>(ceil_div(rows, 32)));
  transpose_kernel<T><<<grid, dim3(32, 8)>>>(a, out, rows, cols);
  SPAIC_CUDA_LAUNCHED();
}

SPAIC_INSTANTIATE_SYNAPSE_OPS

}  // namespace spaic::cuda

// cuda/reward.cu - CUDA twin of cpu/reward.cpp (maths: spaic/math/reward.h). The spike count and the
// per-sample / per-neuron / per-row parts run one thread per element; the batch sums keep the CPU's
// sequential order (one thread), so both backends give the same numbers.
#include <cstdint>

#include "cuda/common.cuh"
#include "spaic/reward.h"

namespace spaic::cuda {

namespace {

template <typename T, typename S>
__global__ void count_kernel(const S* s, const T* prev, T* count, i64 n, bool first) {
  SPAIC_GRID_STRIDE(k, n) count[k] = (first ? T(0) : prev[k]) + static_cast<T>(s[k]);
}

template <typename T>
__global__ void sample_kernel(RewardNodeParams p, const T* count, const std::int32_t* label, T* scratch) {
  SPAIC_GRID_STRIDE(b, p.batch) {
    const T* row = count + b * p.num;
    scratch[b] = p.coding == RewardCoding::Da ? static_cast<T>(reward_da_hit(p, row, label[b]))
                                              : reward_sample_value(p, row, label[b]);
  }
}

template <typename T>
__global__ void mean_fill_kernel(RewardNodeParams p, const T* scratch, T* out) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  T sum = T(0);
  for (i64 b = 0; b < p.batch; ++b) sum += scratch[b];
  const T v = p.batch > 1 ? sum / static_cast<T>(p.batch) : sum;
  for (i64 k = 0; k < p.n_out; ++k) out[k] = v;
}

template <typename T>
__global__ void sample_fill_kernel(RewardNodeParams p, const T* scratch, T* out) {
  SPAIC_GRID_STRIDE(e, p.batch * p.n_out) out[e] = scratch[e / p.n_out];
}

template <typename T>
__global__ void da_kernel(RewardNodeParams p, const T* hits, T* out) {
  SPAIC_GRID_STRIDE(i, p.num) out[i] = reward_da_value(p, hits, i);
}

template <typename T>
__global__ void running_kernel(RewardNodeParams p, const T* count, const T* running_prev, T* running) {
  const i64 npop = reward_npop(p);
  SPAIC_GRID_STRIDE(e, p.batch * npop) {
    const i64 b = e / npop, j = e % npop;
    running[e] = reward_classify_running(running_prev[e], reward_pop_count(count + b * p.num, j, p.pop), p.window);
  }
}

template <typename T>
__global__ void stats_kernel(const T* x, i64 n, T* stats) {
  if (blockIdx.x == 0 && threadIdx.x == 0) reward_classify_stats(x, n, stats, stats + 1);
}

template <typename T>
__global__ void classify_kernel(RewardNodeParams p, const T* running, const std::int32_t* label, const T* stats,
                                T* out) {
  const i64 npop = reward_npop(p);
  SPAIC_GRID_STRIDE(b, p.batch)
    reward_classify_row(npop, running + b * npop, stats[0], stats[1], label[b], out + b * npop);
}

}  // namespace

template <typename T, typename S>
void reward_count(const S* s, const T* prev, T* count, i64 n, bool first) {
  if (n == 0) return;
  count_kernel<T, S><<<grid_for(n), kBlock>>>(s, prev, count, n, first);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void reward_compute(const RewardNodeParams& p, const T* count, const std::int32_t* label, const T* running_prev,
                    T* running, T* out, T* scratch) {
  const i64 B = p.batch, npop = reward_npop(p);
  switch (p.coding) {
    case RewardCoding::Global:
    case RewardCoding::Xor:
      sample_kernel<T><<<grid_for(B), kBlock>>>(p, count, label, scratch);
      SPAIC_CUDA_LAUNCHED();
      if (p.per_sample) {
        sample_fill_kernel<T><<<grid_for(B * p.n_out), kBlock>>>(p, scratch, out);
        SPAIC_CUDA_LAUNCHED();
        return;
      }
      mean_fill_kernel<T><<<1, 1>>>(p, scratch, out);
      SPAIC_CUDA_LAUNCHED();
      return;
    case RewardCoding::Da:
      sample_kernel<T><<<grid_for(B), kBlock>>>(p, count, label, scratch);
      SPAIC_CUDA_LAUNCHED();
      da_kernel<T><<<grid_for(p.num), kBlock>>>(p, scratch, out);
      SPAIC_CUDA_LAUNCHED();
      return;
    case RewardCoding::Classify:
      running_kernel<T><<<grid_for(B * npop), kBlock>>>(p, count, running_prev, running);
      SPAIC_CUDA_LAUNCHED();
      stats_kernel<T><<<1, 1>>>(running, B * npop, scratch + B);
      SPAIC_CUDA_LAUNCHED();
      classify_kernel<T><<<grid_for(B), kBlock>>>(p, running, label, scratch + B, out);
      SPAIC_CUDA_LAUNCHED();
      return;
  }
}

SPAIC_INSTANTIATE_REWARD_OPS(float)
SPAIC_INSTANTIATE_REWARD_OPS(double)

}  // namespace spaic::cuda

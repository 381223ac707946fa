// cpu/reward.cpp - SPAIC's reward codings on the CPU (maths: spaic/math/reward.h). The per-window work is
// B x num elements: plain loops, parallel only for the spike count.
#include "spaic/reward.h"

#include <cstdint>

#include "cpu/parallel.h"

namespace spaic::cpu {

template <typename T, typename S>
void reward_count(const S* s, const T* prev, T* count, i64 n, bool first) {
  parallel_for(n, n, [&](i64 k) { count[k] = (first ? T(0) : prev[k]) + static_cast<T>(s[k]); });
}

template <typename T>
void reward_compute(const RewardNodeParams& p, const T* count, const std::int32_t* label, const T* running_prev,
                    T* running, T* out, T* scratch) {
  const i64 B = p.batch, npop = reward_npop(p);
  switch (p.coding) {
    case RewardCoding::Global:
    case RewardCoding::Xor: {
      if (p.per_sample) {
        for (i64 b = 0; b < B; ++b) {
          const T v = reward_sample_value(p, count + b * p.num, label[b]);
          for (i64 k = 0; k < p.n_out; ++k) out[b * p.n_out + k] = v;
        }
        return;
      }
      T sum = T(0);
      for (i64 b = 0; b < B; ++b) sum += reward_sample_value(p, count + b * p.num, label[b]);
      const T v = B > 1 ? sum / static_cast<T>(B) : sum;
      for (i64 k = 0; k < p.n_out; ++k) out[k] = v;
      return;
    }
    case RewardCoding::Da: {
      for (i64 b = 0; b < B; ++b) scratch[b] = static_cast<T>(reward_da_hit(p, count + b * p.num, label[b]));
      for (i64 i = 0; i < p.num; ++i) out[i] = reward_da_value(p, scratch, i);
      return;
    }
    case RewardCoding::Classify: {
      for (i64 b = 0; b < B; ++b)
        for (i64 j = 0; j < npop; ++j)
          running[b * npop + j] = reward_classify_running(running_prev[b * npop + j],
                                                          reward_pop_count(count + b * p.num, j, p.pop), p.window);
      T mean, sd;
      reward_classify_stats(running, B * npop, &mean, &sd);
      for (i64 b = 0; b < B; ++b) reward_classify_row(npop, running + b * npop, mean, sd, label[b], out + b * npop);
      return;
    }
  }
}

SPAIC_INSTANTIATE_REWARD_OPS(float)
SPAIC_INSTANTIATE_REWARD_OPS(double)

}  // namespace spaic::cpu

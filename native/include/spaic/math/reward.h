// spaic/math/reward.h - the maths of SPAIC's reward nodes (ALGORITHMS.md §3.8), shared by cpu/reward.cpp
// and cuda/reward.cu. A node fills a window of `window` (dec_sample_step) steps with its target's
// previous-step spikes; on the step that fills it, the coding turns the window into a reward. The
// executor keeps the window as a running spike count [B, num] (every coding only needs the sum, or the
// mean, over the window), so these functions read one sample's counts `row` [num].
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/math/elementwise.h"

namespace spaic {

enum class RewardCoding : int { Global = 0, Da = 1, Xor = 2, Classify = 3 };

struct RewardNodeParams {
  RewardCoding coding = RewardCoding::Global;
  i64 batch = 1;
  i64 num = 1;     // neurons of the target
  i64 pop = 1;     // pop_size: neurons per population (divides num)
  i64 window = 1;  // dec_sample_step
  i64 n_out = 1;   // elements of Output_Reward (global / xor: reward_shape, broadcast; per sample with per_sample)
  bool per_sample = false;  // global / xor: each sample's own reward, Output_Reward [B, n_out] (no batch mean)
  double reward_signal = 1.0;
  double punish_signal = -1.0;
};

SPAIC_HD i64 reward_npop(const RewardNodeParams& p) { return p.num / p.pop; }

// Scratch (elements of T) that reward_compute needs: one value per sample, plus the classify state's
// mean and standard deviation.
SPAIC_HD i64 reward_scratch_elems(const RewardNodeParams& p) { return p.batch + 2; }

// Spikes of population j (pop_size consecutive neurons) in the window.
template <typename T>
SPAIC_HD T reward_pop_count(const T* row, i64 j, i64 pop) {
  T s = T(0);
  for (i64 k = 0; k < pop; ++k) s += row[j * pop + k];
  return s;
}

// The predicted population: argmax of the population counts, the first maximum winning (torch.argmax).
template <typename T>
SPAIC_HD i64 reward_predict(const T* row, i64 npop, i64 pop) {
  T best = reward_pop_count(row, 0, pop);
  i64 arg = 0;
  for (i64 j = 1; j < npop; ++j) {
    const T v = reward_pop_count(row, j, pop);
    if (v > best) {
      best = v;
      arg = j;
    }
  }
  return arg;
}

// global_reward and xor_reward: one sample's reward.
//   global: reward_signal when the predicted population is the label, else punish_signal;
//   xor (one population): reward_signal only when the label is 1 and the population spiked, else
//   punish_signal. SPAIC's rule, kept as is: a label-0 sample with no spikes is punished too.
template <typename T>
SPAIC_HD T reward_sample_value(const RewardNodeParams& p, const T* row, std::int32_t label) {
  const T r = static_cast<T>(p.reward_signal), q = static_cast<T>(p.punish_signal);
  if (p.coding == RewardCoding::Xor) return (label == 1 && reward_pop_count(row, 0, p.num) > T(0)) ? r : q;
  return reward_predict(row, reward_npop(p), p.pop) == static_cast<i64>(label) ? r : q;
}

// da_reward: the population a sample predicted correctly, or -1 when its prediction is wrong.
template <typename T>
SPAIC_HD i64 reward_da_hit(const RewardNodeParams& p, const T* row, std::int32_t label) {
  const i64 pred = reward_predict(row, reward_npop(p), p.pop);
  return pred == static_cast<i64>(label) ? pred : -1;
}

// da_reward, neuron i: summed over the batch, reward_signal for the samples whose correctly predicted
// population holds i, punish_signal for the others (B = 1: that sample's value).
template <typename T>
SPAIC_HD T reward_da_value(const RewardNodeParams& p, const T* hits, i64 i) {
  const T r = static_cast<T>(p.reward_signal), q = static_cast<T>(p.punish_signal);
  const i64 j = i / p.pop;
  T acc = T(0);
  for (i64 b = 0; b < p.batch; ++b) acc += static_cast<i64>(hits[b]) == j ? r : q;
  return acc;
}

// classify_reward's running output of population j: o <- 0.99*o + mean over the window of its spikes.
template <typename T>
SPAIC_HD T reward_classify_running(T prev, T count, i64 window) {
  return T(0.99) * prev + count / static_cast<T>(window);
}

// Mean and (unbiased, as torch.std) standard deviation of the n running outputs of the whole batch,
// accumulated in double. One value alone has no spread: sd = 0 there (torch gives NaN).
template <typename T>
SPAIC_HD void reward_classify_stats(const T* x, i64 n, T* mean, T* sd) {
  double s = 0.0;
  for (i64 k = 0; k < n; ++k) s += static_cast<double>(x[k]);
  const double m = s / static_cast<double>(n);
  double v = 0.0;
  for (i64 k = 0; k < n; ++k) {
    const double d = static_cast<double>(x[k]) - m;
    v += d * d;
  }
  *mean = static_cast<T>(m);
  *sd = n > 1 ? static_cast<T>(sqrt_t(v / static_cast<double>(n - 1))) : T(0);
}

// classify_reward, one sample: z = (o - mean)/(sd + 0.1) + 1e-8, p = softmax(z) over the populations,
// reward (1 - p) at the label and -p elsewhere.
template <typename T>
SPAIC_HD void reward_classify_row(i64 npop, const T* o, T mean, T sd, std::int32_t label, T* out) {
  const T den = sd + T(0.1);
  T zmax = T(0);
  for (i64 j = 0; j < npop; ++j) {
    const T z = (o[j] - mean) / den + T(1e-8);
    out[j] = z;
    if (j == 0 || z > zmax) zmax = z;
  }
  T sum = T(0);
  for (i64 j = 0; j < npop; ++j) {
    const T e = exp_t(out[j] - zmax);
    out[j] = e;
    sum += e;
  }
  for (i64 j = 0; j < npop; ++j) {
    const T pj = out[j] / sum;
    out[j] = j == static_cast<i64>(label) ? T(1) - pj : -pj;
  }
}

}  // namespace spaic

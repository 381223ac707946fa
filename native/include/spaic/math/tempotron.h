// spaic/math/tempotron.h - the maths of the tempotron rule (ALGORITHMS.md §2.5), shared by cpu/tempotron.cpp
// and cuda/tempotron.cu.
//
// A run of `steps` steps keeps, per sample b, the presynaptic spikes x[t, b, :] the rule saw at every step and
// the running maximum of each output's potential, vmax[b, o] at step tmax[b, o] (the first maximum wins, as
// torch.argmax). At the end of the run each output o of sample b gets
//   D[b, o, i] = sum_{t < tmax} x[t, b, i] * K[tmax - 1 - t]       (SPAIC's index: K[0] = 0 for the last input)
//   D[b, o, i] = sum_{t <= tmax} x[t, b, i] * K[tmax - t]          (the canonical tempotron, `canonical`)
// with the PSP kernel K[s] = exp(-s/tau) - exp(-s/tau_s) (s in steps; summed in double, as SPAIC's float64 K),
// and a sign beta[b, o]: +1 when o is the sample's label and vmax < v_th + margin (a miss), -1 when o is not the
// label and vmax >= v_th - margin (a false alarm), otherwise 0 with `beta_per_sample`, or (SPAIC) the value left
// by the previous sample of the batch (the sign vector starts at 0 once per update). SPAIC's margin is 0; a margin
// > 0 also corrects the outputs that are right by less than it. The update is the batch mean of
// lr_n * beta[b, o] * D[b, o, :] (optionally through a momentum velocity), with lr_n = lr / (1 + lr_decay * n) at
// the n-th update (n counted from 0 in a [stay] slot; SPAIC: lr_decay 0, lr_n = lr); SPAIC's batch quirk
// (`spaic_alias`, B >= 2) replaces the first entry of that mean by the second sample's unscaled D (its update list
// aliases the buffer the next sample overwrites).
#pragma once

#include <cmath>
#include <cstdint>

#include "spaic/common.h"

namespace spaic {

struct TempotronParams {
  i64 batch = 1;
  i64 n_pre = 0;
  i64 n_post = 0;
  i64 steps = 0;                 // steps recorded in this run (the rows of the input history)
  double lr = 0.01;              // learning rate
  double v_th = 10.0;            // the rule's threshold (SPAIC: 10, not the neuron's)
  bool canonical = false;        // kernel index K[tmax - t] over t <= tmax (else SPAIC's K[tmax - 1 - t], t < tmax)
  bool beta_per_sample = false;  // reset the sign per sample (else SPAIC's carry-over)
  bool spaic_alias = true;       // SPAIC's batch quirk (B >= 2; see above)
  bool has_lo = false, has_hi = false;  // clamp the weight after the update
  double lo = 0.0, hi = 0.0;
  double momentum = 0.0;  // velocity v = momentum*v + the batch mean, W += v (0: SPAIC's plain step, no velocity)
  double margin = 0.0;    // training thresholds v_th + margin (the label's output) and v_th - margin (the others)
  double lr_decay = 0.0;  // lr / (1 + lr_decay * n) at the n-th update (0: SPAIC's fixed lr, no counter)
};

// The learning rate of an update: lr, or with a decay lr / (1 + lr_decay * n) where n (>= 0) is the count of the
// updates before this one (`count`: the rule's counter slot; null without a decay).
SPAIC_HD double tempotron_rate(const TempotronParams& p, const std::int32_t* count) {
  if (count == nullptr) return p.lr;
  return p.lr / (1.0 + p.lr_decay * static_cast<double>(*count));
}

// After an update: the counter one up (it stops at the int32 maximum).
SPAIC_HD void tempotron_count(std::int32_t* count) {
  if (count != nullptr && *count < INT32_MAX) *count += 1;
}

// K[s] for s in steps: the difference of two exponentials, with taus in steps.
SPAIC_HD double tempotron_kernel(double s, double tau, double tau_s) {
  return std::exp(-s / tau) - std::exp(-s / tau_s);
}

// Step t of the run: a new maximum of one output's potential (strictly greater: the first maximum wins; the
// first step always sets it).
template <typename T>
SPAIC_HD void tempotron_track(i64 t, T v, T* vmax, std::int32_t* tmax) {
  if (t == 0 || v > *vmax) {
    *vmax = v;
    *tmax = static_cast<std::int32_t>(t);
  }
}

// D for one (b, o, i): the kernel-weighted window of input i before output o's maximum.
template <typename T>
SPAIC_HD T tempotron_window(const TempotronParams& p, const T* hist, i64 b, i64 i, std::int32_t tmax, const double* K) {
  const i64 stride = p.batch * p.n_pre;
  const i64 last = p.canonical ? static_cast<i64>(tmax) : static_cast<i64>(tmax) - 1;
  double acc = 0.0;
  for (i64 t = 0; t <= last; ++t) acc += static_cast<double>(hist[t * stride + b * p.n_pre + i]) * K[last - t];
  return static_cast<T>(acc);
}

// The signs of one output o over the batch, in sample order: coef[b * n_post + o] = lr_n * beta after sample b
// (lr_n: tempotron_rate, read from the counter before this update).
template <typename T>
SPAIC_HD void tempotron_signs(const TempotronParams& p, i64 o, const T* vmax, const std::int32_t* label,
                              const std::int32_t* count, T* coef) {
  const T th_hit = static_cast<T>(p.v_th + p.margin);   // the label's output: a miss below it
  const T th_miss = static_cast<T>(p.v_th - p.margin);  // the others: a false alarm at or above it
  const T lr = static_cast<T>(tempotron_rate(p, count));
  T beta = T(0);
  for (i64 b = 0; b < p.batch; ++b) {
    if (p.beta_per_sample) beta = T(0);
    const T v = vmax[b * p.n_post + o];
    const bool target = static_cast<i64>(label[b]) == o;
    if (target && v < th_hit) beta = T(1);
    else if (!target && v >= th_miss) beta = T(-1);
    coef[b * p.n_post + o] = lr * beta;
  }
}

// The update of one weight W[o, i] from D and the signs: the mean over the batch's entries (SPAIC's order of
// the sum), through the velocity `vel` (when momentum is used: vel = momentum*vel + mean), then the clamp when
// bounds are set.
template <typename T>
SPAIC_HD T tempotron_apply(const TempotronParams& p, i64 o, i64 i, const T* D, const T* coef, T w, T* vel) {
  const i64 per = p.n_post * p.n_pre;
  const bool alias = p.spaic_alias && p.batch >= 2;
  T sum = T(0);
  for (i64 e = 0; e < p.batch; ++e) {
    if (alias && e == 0) sum += D[1 * per + o * p.n_pre + i];
    else sum += coef[e * p.n_post + o] * D[e * per + o * p.n_pre + i];
  }
  T step = sum / static_cast<T>(p.batch);
  if (vel != nullptr) {
    step = static_cast<T>(p.momentum) * *vel + step;
    *vel = step;
  }
  T out = w + step;
  if (p.has_lo && out < static_cast<T>(p.lo)) out = static_cast<T>(p.lo);
  if (p.has_hi && out > static_cast<T>(p.hi)) out = static_cast<T>(p.hi);
  return out;
}

}  // namespace spaic

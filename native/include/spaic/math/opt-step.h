// spaic/math/opt-step.h - the per-element update of every optimizer, shared by cpu/opt-step.cpp and
// cuda/opt-step.cu (one copy of the maths).
//
// Each function reproduces PyTorch 1.13's single-tensor (foreach=False) arithmetic, operation by
// operation and in the same order, so float64 results match torch to rounding:
//   t.add(o, alpha=a)        -> t + a*o
//   t.addcmul(x, y, value=v) -> t + (v*x)*y
//   t.addcdiv(x, y, value=v) -> t + (v*x)/y
// The step scalars (bias corrections, lr/bias_c1, ASGD's eta and mu, Adagrad's clr, ...) are computed
// by the caller (lib/optim) and arrive in OptScalars (in OptCoef or OptCoefFixed, with the option
// flags); the kernels keep no schedule state.
#pragma once

#include <cmath>

#include "spaic/common.h"
#include "spaic/math/elementwise.h"

namespace spaic {

// Codes shared with lib/ops/opt-step.ts. AdamW is Adam with `decoupled`.
enum class OptAlgo : int { SGD = 0, Adam = 1, Adamax = 2, ASGD = 3, Adadelta = 4, Adagrad = 5, RMSprop = 6, Rprop = 7 };
constexpr int kOptAlgoCount = 8;

// The scalars of one step, as the caller formed them in double precision (torch forms them as Python
// floats). Kernels convert them once to the element type, as torch converts a Scalar to scalar_t.
struct OptStepParams {
  OptAlgo algo = OptAlgo::SGD;
  bool maximize = false;
  bool amsgrad = false;           // Adam/AdamW: keep the running max of exp_avg_sq
  bool decoupled = false;         // AdamW: param *= decay before the Adam update, no L2 term
  bool nesterov = false;          // SGD
  bool init_buffer = false;       // SGD with momentum: the first step copies the gradient into the buffer
  bool centered = false;          // RMSprop
  double lr = 0;                  // SGD, Adadelta, RMSprop: param += -lr * update
  double weight_decay = 0;        // L2 term g += wd * param (not AdamW)
  double momentum = 0;            // SGD, RMSprop
  double dampening_c = 1;         // SGD: 1 - dampening
  double beta1 = 0, beta1_c = 1;  // Adam family: beta1 and 1 - beta1
  double beta2 = 0, beta2_c = 1;  // Adam family: beta2 and 1 - beta2; RMSprop/Adadelta: alpha/rho
  double eps = 0;
  double bias_c2_sqrt = 1;  // Adam: sqrt(1 - beta2^t)
  double neg_step = 0;      // Adam: -lr/(1-beta1^t); Adamax: -lr/(1-beta1^t); Adagrad: -clr; SparseAdam: -step_size
  double decay = 1;         // AdamW: 1 - lr*wd; ASGD: 1 - lambd*eta
  double neg_eta = 0;       // ASGD: -eta
  double mu = 1;            // ASGD: averaging coefficient
  double etaminus = 0.5, etaplus = 1.2, step_min = 1e-6, step_max = 50;  // Rprop
};

// The same scalars in the element type.
template <typename T>
struct OptScalars {
  T lr, neg_lr, wd, momentum, dampening_c, beta1, beta1_c, beta2, beta2_c, eps, bias_c2_sqrt, neg_step, decay, neg_eta,
      mu;
  T etaminus, etaplus, step_min, step_max;

  explicit OptScalars(const OptStepParams& p)
      : lr(static_cast<T>(p.lr)),
        neg_lr(static_cast<T>(-p.lr)),
        wd(static_cast<T>(p.weight_decay)),
        momentum(static_cast<T>(p.momentum)),
        dampening_c(static_cast<T>(p.dampening_c)),
        beta1(static_cast<T>(p.beta1)),
        beta1_c(static_cast<T>(p.beta1_c)),
        beta2(static_cast<T>(p.beta2)),
        beta2_c(static_cast<T>(p.beta2_c)),
        eps(static_cast<T>(p.eps)),
        bias_c2_sqrt(static_cast<T>(p.bias_c2_sqrt)),
        neg_step(static_cast<T>(p.neg_step)),
        decay(static_cast<T>(p.decay)),
        neg_eta(static_cast<T>(p.neg_eta)),
        mu(static_cast<T>(p.mu)),
        etaminus(static_cast<T>(p.etaminus)),
        etaplus(static_cast<T>(p.etaplus)),
        step_min(static_cast<T>(p.step_min)),
        step_max(static_cast<T>(p.step_max)) {}
};

// The option switches as bits. The element functions below read them as `c.<flag>`: from OptCoef, where
// they are values of this call (the CUDA kernels, the CPU's search for a failing element), or from
// OptCoefFixed, where they are constants of the type, so a CPU loop is compiled once per flag set with no
// test left in its body (the tests would keep it scalar).
enum OptFlag : unsigned {
  kOptMaximize = 1u << 0,
  kOptHasWd = 1u << 1,        // weight_decay != 0
  kOptAmsgrad = 1u << 2,      // Adam
  kOptDecoupled = 1u << 3,    // Adam (AdamW)
  kOptNesterov = 1u << 4,     // SGD
  kOptInitBuffer = 1u << 5,   // SGD
  kOptCentered = 1u << 6,     // RMSprop
  kOptHasMomentum = 1u << 7,  // SGD, RMSprop: momentum != 0
  kOptMuIsOne = 1u << 8,      // ASGD: mu == 1
};

inline unsigned opt_flags(const OptStepParams& p) {
  return (p.maximize ? kOptMaximize : 0u) | (p.weight_decay != 0 ? kOptHasWd : 0u) | (p.amsgrad ? kOptAmsgrad : 0u) |
         (p.decoupled ? kOptDecoupled : 0u) | (p.nesterov ? kOptNesterov : 0u) | (p.init_buffer ? kOptInitBuffer : 0u) |
         (p.centered ? kOptCentered : 0u) | (p.momentum != 0 ? kOptHasMomentum : 0u) | (p.mu == 1 ? kOptMuIsOne : 0u);
}

// The flags that an algorithm's update reads; the others make no difference to it.
constexpr unsigned opt_flags_used(OptAlgo a) {
  switch (a) {
    case OptAlgo::SGD: return kOptMaximize | kOptHasWd | kOptHasMomentum | kOptNesterov | kOptInitBuffer;
    case OptAlgo::Adam: return kOptMaximize | kOptHasWd | kOptAmsgrad | kOptDecoupled;
    case OptAlgo::ASGD: return kOptMaximize | kOptHasWd | kOptMuIsOne;
    case OptAlgo::RMSprop: return kOptMaximize | kOptHasWd | kOptCentered | kOptHasMomentum;
    case OptAlgo::Rprop: return kOptMaximize;
    default: return kOptMaximize | kOptHasWd;  // Adamax, Adadelta, Adagrad
  }
}

// The scalars with the flags of this call.
template <typename T>
struct OptCoef : OptScalars<T> {
  bool maximize, amsgrad, decoupled, nesterov, init_buffer, centered, has_wd, has_momentum, mu_is_one;

  explicit OptCoef(const OptStepParams& p)
      : OptScalars<T>(p),
        maximize(p.maximize),
        amsgrad(p.amsgrad),
        decoupled(p.decoupled),
        nesterov(p.nesterov),
        init_buffer(p.init_buffer),
        centered(p.centered),
        has_wd(p.weight_decay != 0),
        has_momentum(p.momentum != 0),
        mu_is_one(p.mu == 1) {}
};

// The scalars with the flags F (OptFlag bits) fixed at compile time; F must equal opt_flags(p) on the bits
// the algorithm reads.
template <typename T, unsigned F>
struct OptCoefFixed : OptScalars<T> {
  static constexpr bool maximize = (F & kOptMaximize) != 0;
  static constexpr bool has_wd = (F & kOptHasWd) != 0;
  static constexpr bool amsgrad = (F & kOptAmsgrad) != 0;
  static constexpr bool decoupled = (F & kOptDecoupled) != 0;
  static constexpr bool nesterov = (F & kOptNesterov) != 0;
  static constexpr bool init_buffer = (F & kOptInitBuffer) != 0;
  static constexpr bool centered = (F & kOptCentered) != 0;
  static constexpr bool has_momentum = (F & kOptHasMomentum) != 0;
  static constexpr bool mu_is_one = (F & kOptMuIsOne) != 0;

  explicit OptCoefFixed(const OptStepParams& p) : OptScalars<T>(p) {}
};

// torch.maximum / amax: NaN wins.
template <typename T>
SPAIC_HD T nan_max(T a, T b) {
  // a if a is NaN, else b if b is NaN, else the larger: written as selects that do not depend on each
  // other, which every vector level turns into blends (nested branches stay scalar below AVX).
  const T larger = a > b ? a : b;
  const T b_or_larger = b != b ? b : larger;
  return a != a ? a : b_or_larger;
}

// The gradient as the update sees it: negated for maximize, plus the L2 term when weight_decay != 0.
template <typename T, class C>
SPAIC_HD T opt_grad(const C& c, T g, T p, bool l2) {
  T d = c.maximize ? -g : g;
  if (l2 && c.has_wd) d = d + c.wd * p;
  return d;
}

// SGD. buf = momentum_buffer (unused without momentum).
template <typename T, class C>
SPAIC_HD void sgd_elem(const C& c, T& p, T g, T* buf) {
  T d = opt_grad(c, g, p, true);
  if (c.has_momentum) {
    T b;
    if (c.init_buffer) b = d;
    else b = *buf * c.momentum + c.dampening_c * d;
    *buf = b;
    d = c.nesterov ? d + c.momentum * b : b;
  }
  p = p + c.neg_lr * d;
}

// Adam and AdamW. m = exp_avg, v = exp_avg_sq, vmax = max_exp_avg_sq (amsgrad only).
template <typename T, class C>
SPAIC_HD void adam_elem(const C& c, T& p, T g, T& m, T& v, T* vmax) {
  T d = opt_grad(c, g, p, !c.decoupled);
  if (c.decoupled) p = p * c.decay;
  m = m * c.beta1 + c.beta1_c * d;
  v = v * c.beta2 + (c.beta2_c * d) * d;
  T s = v;
  if (c.amsgrad) {
    s = nan_max(*vmax, v);
    *vmax = s;
  }
  const T denom = sqrt_t(s) / c.bias_c2_sqrt + c.eps;
  p = p + (c.neg_step * m) / denom;
}

// Adamax. m = exp_avg, u = exp_inf.
template <typename T, class C>
SPAIC_HD void adamax_elem(const C& c, T& p, T g, T& m, T& u) {
  T d = opt_grad(c, g, p, true);
  m = m * c.beta1 + c.beta1_c * d;
  u = nan_max(u * c.beta2, abs_t(d) + c.eps);
  p = p + (c.neg_step * m) / u;
}

// ASGD. ax = the averaged iterate.
template <typename T, class C>
SPAIC_HD void asgd_elem(const C& c, T& p, T g, T& ax) {
  T d = opt_grad(c, g, p, true);
  p = p * c.decay;
  p = p + c.neg_eta * d;
  if (c.mu_is_one) ax = p;
  else ax = ax + (p - ax) * c.mu;
}

// Adadelta. v = square_avg, u = acc_delta; beta2/beta2_c carry rho/(1-rho).
template <typename T, class C>
SPAIC_HD void adadelta_elem(const C& c, T& p, T g, T& v, T& u) {
  T d = opt_grad(c, g, p, true);
  v = v * c.beta2 + (c.beta2_c * d) * d;
  const T sd = sqrt_t(v + c.eps);
  const T delta = sqrt_t(u + c.eps) / sd * d;
  u = u * c.beta2 + (c.beta2_c * delta) * delta;
  p = p + c.neg_lr * delta;
}

// Adagrad. s = sum; neg_step = -clr.
template <typename T, class C>
SPAIC_HD void adagrad_elem(const C& c, T& p, T g, T& s) {
  T d = opt_grad(c, g, p, true);
  s = s + d * d;
  const T sd = sqrt_t(s) + c.eps;
  p = p + (c.neg_step * d) / sd;
}

// RMSprop. v = square_avg, ga = grad_avg (centered), buf = momentum_buffer (momentum > 0);
// beta2/beta2_c carry alpha/(1-alpha).
template <typename T, class C>
SPAIC_HD void rmsprop_elem(const C& c, T& p, T g, T& v, T* ga, T* buf) {
  T d = opt_grad(c, g, p, true);
  v = v * c.beta2 + (c.beta2_c * d) * d;
  T avg;
  if (c.centered) {
    const T a = *ga * c.beta2 + c.beta2_c * d;
    *ga = a;
    avg = sqrt_t(v + (-a) * a);
  } else {
    avg = sqrt_t(v);
  }
  avg = avg + c.eps;
  if (c.has_momentum) {
    const T b = *buf * c.momentum + d / avg;
    *buf = b;
    p = p + c.neg_lr * b;
  } else {
    p = p + (c.neg_lr * d) / avg;
  }
}

// Rprop. prev = previous gradient, ss = per-element step size.
template <typename T, class C>
SPAIC_HD void rprop_elem(const C& c, T& p, T g, T& prev, T& ss) {
  T d = c.maximize ? -g : g;
  const T prod = d * prev;
  // The factor: etaplus where prod > 0, etaminus where prod < 0, 1 where prod == 0, prod (NaN) otherwise;
  // the conditions exclude each other, so flat selects give the same values (and vectorise everywhere).
  T f = prod == T(0) ? T(1) : prod;
  f = prod < T(0) ? c.etaminus : f;
  f = prod > T(0) ? c.etaplus : f;
  T s = ss * f;
  s = s < c.step_min ? c.step_min : s;  // clamp_(min, max); NaN stays NaN
  s = s > c.step_max ? c.step_max : s;
  ss = s;
  d = f == c.etaminus ? T(0) : d;
  T sg = d < T(0) ? T(-1) : T(0);
  sg = d > T(0) ? T(1) : sg;
  p = p + (-sg) * s;
  prev = d;
}

// SparseAdam on one element of a present row, with the coalesced gradient g.
template <typename T, class C>
SPAIC_HD void sparse_adam_elem(const C& c, T& p, T g, T& m, T& v) {
  const T d = c.maximize ? -g : g;
  const T old_m = m;
  const T upd_m = (d - old_m) * c.beta1_c;
  m = old_m + upd_m;
  const T old_v = v;
  const T upd_v = (d * d - old_v) * c.beta2_c;
  v = old_v + upd_v;
  const T numer = upd_m + old_m;
  const T denom = sqrt_t(upd_v + old_v) + c.eps;
  p = p + c.neg_step * (numer / denom);
}

// One element of a dense step. s0/s1/s2 are the algorithm's state buffers (see lib/ops/opt-step.ts for
// which buffer is which); a buffer that the flags leave unused may be null (the binding refuses a call
// without one its flags need). C is OptCoef or OptCoefFixed.
template <typename T, OptAlgo A, class C>
SPAIC_HD void opt_elem(const C& c, T* SPAIC_RESTRICT param, const T* SPAIC_RESTRICT grad, T* s0, T* s1, T* s2, i64 i) {
  T p = param[i];
  const T g = grad[i];
  switch (A) {
    case OptAlgo::SGD: sgd_elem(c, p, g, c.has_momentum ? s0 + i : nullptr); break;
    case OptAlgo::Adam: adam_elem(c, p, g, s0[i], s1[i], c.amsgrad ? s2 + i : nullptr); break;
    case OptAlgo::Adamax: adamax_elem(c, p, g, s0[i], s1[i]); break;
    case OptAlgo::ASGD: asgd_elem(c, p, g, s0[i]); break;
    case OptAlgo::Adadelta: adadelta_elem(c, p, g, s0[i], s1[i]); break;
    case OptAlgo::Adagrad: adagrad_elem(c, p, g, s0[i]); break;
    case OptAlgo::RMSprop:
      rmsprop_elem(c, p, g, s0[i], c.centered ? s1 + i : nullptr, c.has_momentum ? s2 + i : nullptr);
      break;
    case OptAlgo::Rprop: rprop_elem(c, p, g, s0[i], s1[i]); break;
  }
  param[i] = p;
}

// True for a finite value: x - x is 0 for every finite x and NaN for NaN and ±Inf.
template <typename T>
SPAIC_HD bool opt_finite(T x) {
  return (x - x) == T(0);
}

// The step of one element on values held in registers: p and the state values a, b, e (s0, s1, s2) are
// updated in place; a state value the algorithm does not use with these flags is left as it is.
template <typename T, OptAlgo A, class C>
SPAIC_HD void opt_elem_values(const C& c, T& p, T g, T& a, T& b, T& e) {
  switch (A) {
    case OptAlgo::SGD: sgd_elem(c, p, g, c.has_momentum ? &a : nullptr); break;
    case OptAlgo::Adam: adam_elem(c, p, g, a, b, c.amsgrad ? &e : nullptr); break;
    case OptAlgo::Adamax: adamax_elem(c, p, g, a, b); break;
    case OptAlgo::ASGD: asgd_elem(c, p, g, a); break;
    case OptAlgo::Adadelta: adadelta_elem(c, p, g, a, b); break;
    case OptAlgo::Adagrad: adagrad_elem(c, p, g, a); break;
    case OptAlgo::RMSprop: rmsprop_elem(c, p, g, a, c.centered ? &b : nullptr, c.has_momentum ? &e : nullptr); break;
    case OptAlgo::Rprop: rprop_elem(c, p, g, a, b); break;
  }
}

// The non-finite excess of an element's step: 0 when g and the values opt_elem_values leaves in p, a, b
// and e are all finite, NaN otherwise (a sum of x - x terms, each 0 for a finite x and NaN for NaN and
// ±Inf), so a loop can test it without branches.
template <typename T>
SPAIC_HD T opt_excess(T g, T p, T a, T b, T e) {
  return ((g - g) + (p - p)) + ((a - a) + (b - b)) + (e - e);
}

// The check that guards a step: would opt_elem leave element i (its gradient, its parameter and every
// state value given) finite? Runs the same element maths on copies, so it decides exactly what the step
// would write, and writes nothing; absent buffers count as 0. opt_elem_finite is the same test as a bool.
template <typename T, OptAlgo A, class C>
SPAIC_HD T opt_elem_excess(const C& c, const T* SPAIC_RESTRICT param, const T* SPAIC_RESTRICT grad, const T* s0,
                           const T* s1, const T* s2, i64 i) {
  T p = param[i];
  const T g = grad[i];
  T a = s0 ? s0[i] : T(0), b = s1 ? s1[i] : T(0), e = s2 ? s2[i] : T(0);
  opt_elem_values<T, A>(c, p, g, a, b, e);
  return opt_excess(g, p, a, b, e);
}

template <typename T, OptAlgo A, class C>
SPAIC_HD bool opt_elem_finite(const C& c, const T* SPAIC_RESTRICT param, const T* SPAIC_RESTRICT grad, const T* s0,
                              const T* s1, const T* s2, i64 i) {
  return opt_elem_excess<T, A>(c, param, grad, s0, s1, s2, i) == T(0);
}

// The same check for SparseAdam's element with coalesced gradient g.
template <typename T, class C>
SPAIC_HD bool sparse_adam_elem_finite(const C& c, T p, T g, T m, T v) {
  sparse_adam_elem(c, p, g, m, v);
  return opt_finite(g) && opt_finite(p) && opt_finite(m) && opt_finite(v);
}

}  // namespace spaic

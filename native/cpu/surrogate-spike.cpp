// cpu/surrogate-spike.cpp - surrogate spike forward/backward loops (maths: spaic/math/surrogate.h).
#include <vector>

#include "cpu/parallel.h"
#include "spaic/surrogate-spike.h"

namespace spaic::cpu {

namespace {

template <typename T>
SPAIC_HD T threshold_at(const SurrogateCall<T>& p, i64 j) {
  return p.threshold_per_neuron ? p.threshold_per_neuron[j] : p.threshold;
}

}  // namespace

template <typename T>
void surrogate_forward(const SurrogateCall<T>& p, const T* x, T* spikes) {
  const i64 total = p.rows * p.n;
  const int kind = p.sg.kind;
  const bool ge = surrogate_fires_at_zero(kind);
  if (!p.threshold_per_neuron) {
    const T th = p.threshold;
    if (ge) {
      parallel_for(total, total, [&](i64 i) { spikes[i] = x[i] >= th ? T(1) : T(0); });
    } else {
      parallel_for(total, total, [&](i64 i) { spikes[i] = x[i] > th ? T(1) : T(0); });
    }
    return;
  }
  parallel_for(p.rows, total, [&](i64 r) {
    for (i64 j = 0; j < p.n; ++j) {
      const i64 i = r * p.n + j;
      spikes[i] = surrogate_fires(kind, x[i], p.threshold_per_neuron[j]) ? T(1) : T(0);
    }
  });
}

template <typename T>
void surrogate_backward(const SurrogateCall<T>& p, const T* x, const T* upstream, T* grad_x, T* grad_alpha) {
  const i64 rows = p.rows, n = p.n, total = rows * n;
  with_surrogate(p.sg.kind, [&](auto K) {
    constexpr Surrogate kind = static_cast<Surrogate>(decltype(K)::value);
    const bool norm = p.sg.normalized;
    if (!p.threshold_per_neuron && !p.sg.alpha_per_neuron) {
      const T th = p.threshold, a = p.sg.alpha;
      parallel_for(total, total, [&](i64 i) { grad_x[i] = upstream[i] * surrogate_grad<T>(kind, x[i] - th, a, norm); });
    } else {
      parallel_for(rows, total, [&](i64 r) {
        for (i64 j = 0; j < n; ++j) {
          const i64 i = r * n + j;
          grad_x[i] = upstream[i] * surrogate_grad<T>(kind, x[i] - threshold_at(p, j), p.sg.alpha_at(j), norm);
        }
      });
    }
    if (!grad_alpha) return;
    if (!p.sg.alpha_per_neuron) {
      // One alpha for every element: a double-precision sum over all of them.
      double acc = 0;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) reduction(+ : acc) if (total > kSerialBelow)
#endif
      for (i64 r = 0; r < rows; ++r) {
        for (i64 j = 0; j < n; ++j) {
          const i64 i = r * n + j;
          acc += static_cast<double>(surrogate_alpha_grad<T>(kind, x[i] - threshold_at(p, j), p.sg.alpha, upstream[i]));
        }
      }
      grad_alpha[0] = static_cast<T>(acc);
      return;
    }
    // One alpha per neuron: sum each column over the rows.
    std::vector<double> acc(static_cast<std::size_t>(n), 0.0);
    for (i64 r = 0; r < rows; ++r) {
      for (i64 j = 0; j < n; ++j) {
        const i64 i = r * n + j;
        acc[j] += static_cast<double>(
            surrogate_alpha_grad<T>(kind, x[i] - threshold_at(p, j), p.sg.alpha_per_neuron[j], upstream[i]));
      }
    }
    for (i64 j = 0; j < n; ++j) grad_alpha[j] = static_cast<T>(acc[j]);
  });
}

template void surrogate_forward<float>(const SurrogateCall<float>&, const float*, float*);
template void surrogate_forward<double>(const SurrogateCall<double>&, const double*, double*);
template void surrogate_backward<float>(const SurrogateCall<float>&, const float*, const float*, float*, float*);
template void surrogate_backward<double>(const SurrogateCall<double>&, const double*, const double*, double*, double*);

}  // namespace spaic::cpu

// cpu/parallel.h - OpenMP helpers for the CPU kernels. Loops below kSerialBelow elements stay serial:
// waking the thread team costs more than it saves there.
#pragma once

#include <exception>
#include <mutex>

#include "spaic/common.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace spaic::cpu {

constexpr i64 kSerialBelow = 1 << 15;

#define SPAIC_PRAGMA(x) _Pragma(#x)
// Vectorise this (innermost, unit-stride) loop: keeps the compiler from interchanging it with the loop
// around it, which turns contiguous row updates into gathers.
#if defined(_OPENMP)
#define SPAIC_SIMD SPAIC_PRAGMA(omp simd)
#elif defined(__GNUC__) && !defined(__clang__)
#define SPAIC_SIMD SPAIC_PRAGMA(GCC ivdep)
#else
#define SPAIC_SIMD
#endif

#if defined(_OPENMP)
#define SPAIC_OMP_FOR(n) SPAIC_PRAGMA(omp parallel for schedule(static) if ((n) > ::spaic::cpu::kSerialBelow))
#else
#define SPAIC_OMP_FOR(n)
#endif

// for (i64 i = 0; i < n; ++i) body(i): on the thread team (static schedule) when `work` > kSerialBelow,
// otherwise on this thread without entering OpenMP at all. The step executor runs many small loops every
// time step, and an OpenMP region that the `if` clause keeps on one thread still costs a runtime call and,
// with libgomp, a futex system call at its closing barrier: about a microsecond, more than the loop.
// The body must not rely on thread_local objects of the calling thread (bind them to references first).
template <class F>
inline void parallel_for(i64 n, i64 work, F&& body) {
#if defined(_OPENMP)
  if (work > kSerialBelow) {
#pragma omp parallel for schedule(static)
    for (i64 i = 0; i < n; ++i) body(i);
    return;
  }
#else
  (void)work;
#endif
  for (i64 i = 0; i < n; ++i) body(i);
}

// As parallel_for, with a dynamic schedule of single iterations (uneven blocks) when `par`.
template <class F>
inline void parallel_for_dynamic(i64 n, bool par, F&& body) {
#if defined(_OPENMP)
  if (par) {
#pragma omp parallel for schedule(dynamic, 1)
    for (i64 i = 0; i < n; ++i) body(i);
    return;
  }
#else
  (void)par;
#endif
  for (i64 i = 0; i < n; ++i) body(i);
}

// body() once per thread of a team when `par` (omp_get_num_threads / omp_get_thread_num tell them apart),
// else once on this thread, outside OpenMP (those calls then give 1 and 0).
template <class F>
inline void parallel_region(bool par, F&& body) {
#if defined(_OPENMP)
  if (par) {
#pragma omp parallel
    body();
    return;
  }
#else
  (void)par;
#endif
  body();
}

// An exception must not leave an OpenMP region (std::terminate). A region whose body may throw (it
// allocates by the size of its data) runs the body through a trap, which keeps the first exception, and
// rethrows it on the calling thread after the region. The body must not contain barriers.
class OmpTrap {
 public:
  template <typename F>
  void run(F&& body) noexcept {
    try {
      body();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mu_;
  std::exception_ptr error_;
};

}  // namespace spaic::cpu

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

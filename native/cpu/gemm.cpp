// cpu/gemm.cpp - dense C = alpha*op(A)*op(B) + beta*C, row-major.
//
// Two paths: the system BLAS (cblas_?gemm) when CMake found OpenBLAS (or, in a build with
// SPAIC_BLAS_RUNTIME, as the prebuilt addons are, when the system's OpenBLAS is found at run time), and a
// built-in blocked kernel that is always compiled (and tested) so the package works without one. The built-in kernel
// follows the usual Goto/BLIS structure: pack a KC x NC panel of B and an MC x KC block of A into contiguous
// micro-panels, then run an MR x NR register-tiled micro-kernel written with GCC vector extensions
// (the compiler maps them to SSE, AVX2 or AVX-512 registers by the CPU level it compiles for).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "cpu/parallel.h"
#include "spaic/error.h"
#include "spaic/ops.h"

#if defined(SPAIC_HAVE_BLAS) || defined(SPAIC_BLAS_RUNTIME)
#define SPAIC_ANY_BLAS 1
#endif
#if defined(SPAIC_HAVE_BLAS)
#include <cblas.h>
#endif
#if defined(SPAIC_ANY_BLAS)
#include <pthread.h>

#include <mutex>
#endif
#if defined(SPAIC_BLAS_RUNTIME)
#include <dlfcn.h>

#include <cstdlib>
#include <initializer_list>
#include <string>
#endif

namespace spaic::cpu {

namespace {

#if defined(SPAIC_ANY_BLAS)
// OpenBLAS (pthreads build) shuts its thread pool down in a fork handler; if another thread is inside a
// BLAS call at that moment (a kernel on a worker thread while the main thread spawns a child process),
// the shutdown waits for threads that never finish and the process hangs. Every BLAS call holds this
// lock, and a fork handler that runs before OpenBLAS's takes it: a fork waits for the running call to
// finish, and no call starts until the fork is done.
std::mutex& blas_lock() {
  static std::mutex m;
  return m;
}

void hold_blas_across_fork() {
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork([] { blas_lock().lock(); }, [] { blas_lock().unlock(); }, [] { blas_lock().unlock(); });
  });
}

// The handler is registered after the first BLAS call has returned, so after OpenBLAS's own (made when
// the library loads or when its threads first start): prepare handlers run in reverse order.
struct BlasCall {
  BlasCall() { blas_lock().lock(); }
  ~BlasCall() {
    blas_lock().unlock();
    hold_blas_across_fork();
  }
};
#endif

#if defined(SPAIC_BLAS_RUNTIME)
// A build with no link-time BLAS looks for the system's OpenBLAS when the first product runs, and keeps
// the built-in kernel when there is none or when SPAIC_BLAS=OFF (or 0) is set. CBLAS's constants and the
// two entry points are declared here, as the header is not needed to call them.
enum { kRowMajor = 101, kNoTrans = 111, kTrans = 112 };
using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using DgemmFn = void (*)(int, int, int, int, int, int, double, const double*, int, const double*, int, double, double*,
                         int);
struct RuntimeBlas {
  SgemmFn sgemm = nullptr;
  DgemmFn dgemm = nullptr;
};

const RuntimeBlas& runtime_blas() {
  static const RuntimeBlas found = [] {
    RuntimeBlas r;
    const char* env = std::getenv("SPAIC_BLAS");
    if (env != nullptr) {
      const std::string v(env);
      if (v == "OFF" || v == "off" || v == "0") return r;
    }
    for (const char* lib : {"libopenblas.so.0", "libopenblas.so"}) {
      void* h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
      if (h == nullptr) continue;
      auto s = reinterpret_cast<SgemmFn>(dlsym(h, "cblas_sgemm"));
      auto d = reinterpret_cast<DgemmFn>(dlsym(h, "cblas_dgemm"));
      if (s != nullptr && d != nullptr) {
        r.sgemm = s;
        r.dgemm = d;
        return r;  // the library stays loaded for the life of the process
      }
      dlclose(h);
    }
    return r;
  }();
  return found;
}
#endif

// Register tile: MR rows x NR columns, NR = 2 vectors. The vector is the widest the CPU level has
// registers for: 32 bytes where AVX exists (x86-64-v3 and up), else 16 (SSE at x86-64-v2). A 32-byte
// vector type at the SSE level is lowered element by element, a tenth of the speed.
#if defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif
template <typename T>
struct Tile;
template <>
struct Tile<float> {
  typedef float vec __attribute__((vector_size(kVecBytes)));
  static constexpr int VW = kVecBytes / 4, MR = 6, NR = 2 * VW, KC = 256, MC = 96, NC = 2048;
};
template <>
struct Tile<double> {
  typedef double vec __attribute__((vector_size(kVecBytes)));
  static constexpr int VW = kVecBytes / 8, MR = 6, NR = 2 * VW, KC = 256, MC = 72, NC = 1024;
};

template <typename T>
inline T load_a(const GemmParams& p, const T* a, i64 i, i64 k) {
  return p.trans_a ? a[k * p.lda + i] : a[i * p.lda + k];
}
template <typename T>
inline T load_b(const GemmParams& p, const T* b, i64 k, i64 j) {
  return p.trans_b ? b[j * p.ldb + k] : b[k * p.ldb + j];
}

// Pack rows [i0, i0+mc) x cols [k0, k0+kc) of op(A) into MR-row micro-panels, k-major, zero padded.
template <typename T>
void pack_a(const GemmParams& p, const T* a, i64 i0, i64 mc, i64 k0, i64 kc, T* dst) {
  constexpr int MR = Tile<T>::MR;
  for (i64 ir = 0; ir < mc; ir += MR) {
    const i64 rows = std::min<i64>(MR, mc - ir);
    for (i64 k = 0; k < kc; ++k) {
      for (i64 r = 0; r < MR; ++r) *dst++ = r < rows ? load_a(p, a, i0 + ir + r, k0 + k) : T(0);
    }
  }
}

// Pack rows [k0, k0+kc) x cols [j0, j0+nc) of op(B) into NR-column micro-panels, k-major, zero padded.
template <typename T>
void pack_b(const GemmParams& p, const T* b, i64 k0, i64 kc, i64 j0, i64 nc, T* dst) {
  constexpr int NR = Tile<T>::NR;
  for (i64 jr = 0; jr < nc; jr += NR) {
    const i64 cols = std::min<i64>(NR, nc - jr);
    if (!p.trans_b && cols == NR) {
      for (i64 k = 0; k < kc; ++k) {
        std::memcpy(dst, b + (k0 + k) * p.ldb + j0 + jr, sizeof(T) * NR);
        dst += NR;
      }
    } else {
      for (i64 k = 0; k < kc; ++k)
        for (i64 c = 0; c < NR; ++c) *dst++ = c < cols ? load_b(p, b, k0 + k, j0 + jr + c) : T(0);
    }
  }
}

// acc[MR][NR] = sum_k A_panel[k][r] * B_panel[k][c]; then C[r][c] += alpha * acc (valid part only).
template <typename T>
void micro_kernel(i64 kc, const T* SPAIC_RESTRICT ap, const T* SPAIC_RESTRICT bp, T* c, i64 ldc, i64 rows, i64 cols,
                  T alpha) {
  using V = typename Tile<T>::vec;
  constexpr int MR = Tile<T>::MR, VW = Tile<T>::VW;
  V acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = V{};
  for (i64 k = 0; k < kc; ++k) {
    V b0, b1;
    std::memcpy(&b0, bp, sizeof(V));
    std::memcpy(&b1, bp + VW, sizeof(V));
    for (int r = 0; r < MR; ++r) {
      const T av = ap[r];
      acc[r][0] += av * b0;
      acc[r][1] += av * b1;
    }
    ap += MR;
    bp += 2 * VW;
  }
  T tmp[MR][2 * VW];
  for (int r = 0; r < MR; ++r) {
    std::memcpy(&tmp[r][0], &acc[r][0], sizeof(V));
    std::memcpy(&tmp[r][VW], &acc[r][1], sizeof(V));
  }
  for (i64 r = 0; r < rows; ++r)
    for (i64 j = 0; j < cols; ++j) c[r * ldc + j] += alpha * tmp[r][j];
}

// A growing buffer of this thread (Slot tells the B and A packs apart), reused from call to call.
template <typename T, int Slot>
T* scratch(std::size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

template <typename T>
void scale_c(const GemmParams& p, T* c) {
  const T beta = static_cast<T>(p.beta);
  if (beta == T(1)) return;
  parallel_for(p.m, p.m * p.n, [&](i64 i) {
    T* row = c + i * p.ldc;
    if (beta == T(0)) std::fill(row, row + p.n, T(0));  // beta 0 ignores C, NaNs included (BLAS semantics)
    else
      for (i64 j = 0; j < p.n; ++j) row[j] *= beta;
  });
}

// A few rows of op(A) (a batch of one to a few samples through a layer): no packing, each element of B read
// once per row. The arithmetic is the packed path's: each element of C sums its products in k order, K in
// KC-long chunks, and each chunk's sum is added to C times alpha. Output columns go NR at a time.
template <typename T>
void gemm_few_rows(const GemmParams& p, const T* a, const T* b, T* c, T alpha) {
  constexpr int KC = Tile<T>::KC, NR = Tile<T>::NR;
  T* acc = scratch<T, 2>(static_cast<std::size_t>(p.n));
  for (i64 i = 0; i < p.m; ++i) {
    T* crow = c + i * p.ldc;
    for (i64 pc = 0; pc < p.k; pc += KC) {
      const i64 kc = std::min<i64>(KC, p.k - pc);
      std::fill(acc, acc + p.n, T(0));
      if (p.trans_b) {
        for (i64 j0 = 0; j0 < p.n; j0 += NR) {
          const i64 cols = std::min<i64>(NR, p.n - j0);
          T part[NR] = {};
          for (i64 kk = 0; kk < kc; ++kk) {
            const T av = load_a(p, a, i, pc + kk);
            const T* bk = b + j0 * p.ldb + pc + kk;
            for (i64 jj = 0; jj < cols; ++jj) part[jj] += av * bk[jj * p.ldb];
          }
          for (i64 jj = 0; jj < cols; ++jj) acc[j0 + jj] = part[jj];
        }
      } else {
        for (i64 kk = 0; kk < kc; ++kk) {
          const T av = load_a(p, a, i, pc + kk);
          const T* brow = b + (pc + kk) * p.ldb;
          for (i64 j = 0; j < p.n; ++j) acc[j] += av * brow[j];
        }
      }
      for (i64 j = 0; j < p.n; ++j) crow[j] += alpha * acc[j];
    }
  }
}

// A product whose inner dimension is a few values (k <= kNarrowK: the gradient into the spikes of a layer
// that feeds a few outputs, [rows, n] = [rows, k] x [k, n]). A blocked GEMM (the built-in one, or a BLAS)
// scales C in a pass of its own and then reads it back to add the product; here C is written once, row by
// row: op(B)'s k rows are copied once (contiguous, in L1 for a layer of a few hundred inputs) and every
// row's columns are summed in registers, four vectors at a time, each element over k in order from zero,
// then C = alpha·sum (+ beta·C). No packing, no second pass over C.
constexpr i64 kNarrowK = 16;
// Rows from which the narrow path is taken (fewer: the product is small, the blocked paths are fine).
constexpr i64 kNarrowRowsMin = 256;

template <typename T>
void gemm_narrow_k(const GemmParams& p, const T* a, const T* b, T* c) {
  using V = typename Tile<T>::vec;
  constexpr i64 VW = Tile<T>::VW, kCols = 4 * VW;
  const i64 m = p.m, n = p.n, k = p.k;
  T* bk = scratch<T, 3>(static_cast<std::size_t>(k * n));
  for (i64 kk = 0; kk < k; ++kk)
    for (i64 j = 0; j < n; ++j) bk[kk * n + j] = load_b(p, b, kk, j);
  const T alpha = static_cast<T>(p.alpha), beta = static_cast<T>(p.beta);
  constexpr i64 kRows = 16;  // rows per task
  parallel_for(ceil_div(m, kRows), m * n * k, [&](i64 blk) {
    for (i64 i = blk * kRows, ie = std::min(m, i + kRows); i < ie; ++i) {
      T av[kNarrowK];
      for (i64 kk = 0; kk < k; ++kk) av[kk] = load_a(p, a, i, kk);
      T* crow = c + i * p.ldc;
      i64 j = 0;
      for (; j + kCols <= n; j += kCols) {
        V acc[4] = {};
        for (i64 kk = 0; kk < k; ++kk) {
          const T* brow = bk + kk * n + j;
          for (int q = 0; q < 4; ++q) {
            V x;
            std::memcpy(&x, brow + q * VW, sizeof(V));
            acc[q] += av[kk] * x;
          }
        }
        T sum[kCols];
        std::memcpy(sum, acc, sizeof(acc));
        if (beta == T(0))
          for (i64 q = 0; q < kCols; ++q) crow[j + q] = alpha * sum[q];
        else
          for (i64 q = 0; q < kCols; ++q) crow[j + q] = beta * crow[j + q] + alpha * sum[q];
      }
      for (; j < n; ++j) {
        T sum = T(0);
        for (i64 kk = 0; kk < k; ++kk) sum += av[kk] * bk[kk * n + j];
        crow[j] = beta == T(0) ? alpha * sum : beta * crow[j] + alpha * sum;
      }
    }
  });
}

}  // namespace

template <typename T>
void gemm_builtin(const GemmParams& p, const T* a, const T* b, T* c) {
  constexpr int MR = Tile<T>::MR, NR = Tile<T>::NR, KC = Tile<T>::KC, MC = Tile<T>::MC, NC = Tile<T>::NC;
  scale_c(p, c);
  if (p.m == 0 || p.n == 0 || p.k == 0 || p.alpha == 0.0) return;
  const T alpha = static_cast<T>(p.alpha);
  if (p.m < Tile<T>::MR) {
    gemm_few_rows(p, a, b, c, alpha);
    return;
  }
  // Packing buffers sized to this product (a small product must not pay for the largest blocks) and kept
  // per thread between calls: every element read is written by pack_a/pack_b first, so no clearing.
  const i64 kc_max = std::min<i64>(KC, p.k);
  const i64 nc_max = std::min<i64>(NC, p.n);
  T* bpack = scratch<T, 0>(static_cast<std::size_t>(kc_max * (ceil_div(nc_max, NR) * NR)));
  for (i64 jc = 0; jc < p.n; jc += NC) {
    const i64 nc = std::min<i64>(NC, p.n - jc);
    for (i64 pc = 0; pc < p.k; pc += KC) {
      const i64 kc = std::min<i64>(KC, p.k - pc);
      pack_b(p, b, pc, kc, jc, nc, bpack);
      const i64 mblocks = ceil_div(p.m, MC);
      const bool par = p.m * nc * kc > 64 * 64 * 64 && mblocks > 1;
      const std::size_t apack_n = static_cast<std::size_t>((ceil_div(std::min<i64>(MC, p.m), MR) * MR) * kc_max);
      parallel_for_dynamic(mblocks, par, [&](i64 blk) {
        T* apack = scratch<T, 1>(apack_n);  // this thread's
        const i64 ic = blk * MC;
        const i64 mc = std::min<i64>(MC, p.m - ic);
        pack_a(p, a, ic, mc, pc, kc, apack);
        for (i64 jr = 0; jr < nc; jr += NR) {
          const i64 cols = std::min<i64>(NR, nc - jr);
          const T* bp = bpack + (jr / NR) * NR * kc;
          for (i64 ir = 0; ir < mc; ir += MR) {
            const i64 rows = std::min<i64>(MR, mc - ir);
            micro_kernel<T>(kc, apack + (ir / MR) * MR * kc, bp, c + (ic + ir) * p.ldc + jc + jr, p.ldc, rows, cols,
                            alpha);
          }
        }
      });
    }
  }
}

bool have_blas() {
#if defined(SPAIC_HAVE_BLAS)
  return true;
#elif defined(SPAIC_BLAS_RUNTIME)
  return runtime_blas().sgemm != nullptr;
#else
  return false;
#endif
}

std::string blas_name() {
#if defined(SPAIC_HAVE_BLAS)
  return "OpenBLAS";
#elif defined(SPAIC_BLAS_RUNTIME)
  return have_blas() ? "OpenBLAS" : "none";
#else
  return "none";
#endif
}

int num_threads() {
#if defined(_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

template <typename T>
void gemm(const GemmParams& p, const T* a, const T* b, T* c) {
  if (p.k > 0 && p.k <= kNarrowK && p.m >= kNarrowRowsMin && p.n >= Tile<T>::NR && p.alpha != 0.0) {
    gemm_narrow_k<T>(p, a, b, c);
    return;
  }
  gemm_blas<T>(p, a, b, c);
}

// The system BLAS when there is one (else the built-in kernel: `gemm` and the binding only call this with a
// BLAS present).
template <typename T>
void gemm_blas(const GemmParams& p, const T* a, const T* b, T* c) {
#if defined(SPAIC_HAVE_BLAS)
  if (p.m > 0 && p.n > 0) {
    if (p.k == 0) {
      scale_c(p, c);
      return;
    }
    const auto ta = p.trans_a ? CblasTrans : CblasNoTrans;
    const auto tb = p.trans_b ? CblasTrans : CblasNoTrans;
    const BlasCall guard;
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, ta, tb, p.m, p.n, p.k, static_cast<float>(p.alpha), a, p.lda, b, p.ldb,
                  static_cast<float>(p.beta), c, p.ldc);
    else cblas_dgemm(CblasRowMajor, ta, tb, p.m, p.n, p.k, p.alpha, a, p.lda, b, p.ldb, p.beta, c, p.ldc);
  }
#elif defined(SPAIC_BLAS_RUNTIME)
  const RuntimeBlas& rb = runtime_blas();
  if (rb.sgemm == nullptr) {
    gemm_builtin<T>(p, a, b, c);
    return;
  }
  if (p.m > 0 && p.n > 0) {
    if (p.k == 0) {
      scale_c(p, c);
      return;
    }
    const int ta = p.trans_a ? kTrans : kNoTrans;
    const int tb = p.trans_b ? kTrans : kNoTrans;
    const auto m = static_cast<int>(p.m), n = static_cast<int>(p.n), k = static_cast<int>(p.k);
    const auto lda = static_cast<int>(p.lda), ldb = static_cast<int>(p.ldb), ldc = static_cast<int>(p.ldc);
    const BlasCall guard;
    if constexpr (std::is_same_v<T, float>)
      rb.sgemm(kRowMajor, ta, tb, m, n, k, static_cast<float>(p.alpha), a, lda, b, ldb, static_cast<float>(p.beta), c,
               ldc);
    else rb.dgemm(kRowMajor, ta, tb, m, n, k, p.alpha, a, lda, b, ldb, p.beta, c, ldc);
  }
#else
  gemm_builtin<T>(p, a, b, c);
#endif
}

template void gemm<float>(const GemmParams&, const float*, const float*, float*);
template void gemm<double>(const GemmParams&, const double*, const double*, double*);
template void gemm_builtin<float>(const GemmParams&, const float*, const float*, float*);
template void gemm_builtin<double>(const GemmParams&, const double*, const double*, double*);
template void gemm_blas<float>(const GemmParams&, const float*, const float*, float*);
template void gemm_blas<double>(const GemmParams&, const double*, const double*, double*);

}  // namespace spaic::cpu

// cpu/synapse.cpp - synaptic products on the CPU: dense (GEMM) and event-driven, forward and backward.
//
// Event-driven forward: each row's active inputs are listed first (ascending, in the workspace); then
// - W^T [pre, post]: the output row is split into column tiles that stay in L1, and every active input
//   adds its contiguous weight row tile into the tile (a vectorised axpy). Threads share (row, tile) pairs.
// - W [post, pre]: each post neuron j walks the active list of every row, reading W[j, i] (strided).
//   Threads share the post neurons, so a row of W is read once for all rows of the batch.
// The 'auto' mode counts the events first and picks the path by the measured density.
#include <algorithm>
#include <vector>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>

#include "cpu/bits.h"
#include "cpu/parallel.h"
#include "spaic/ops.h"
#include "spaic/synapse.h"

namespace spaic::cpu {

namespace {

constexpr i64 kTile = 256;  // output columns per tile (1 KiB of float accumulators)
// Event accumulation is a few cycles per multiply-add: below this many, waking the thread team costs
// more than it saves (and on a loaded machine it can cost milliseconds).
constexpr i64 kEventSerialBelow = i64(1) << 18;

template <typename T>
T* at(void* ws, std::size_t off) {
  return reinterpret_cast<T*>(static_cast<char*>(ws) + off);
}

// Appends the positions of the non-zero spikes of row[0, n8) (n8 a multiple of 8) to idx[c...]: 64 bytes
// a block, then 8 a word.
inline std::int32_t list_nonzero_u8(const std::uint8_t* row, i64 n8, std::int32_t* idx, std::int32_t c) {
  i64 i = 0;
  for (; i + 64 <= n8; i += 64)
    for (std::uint64_t nz = nonzero_mask64(row + i); nz; nz &= nz - 1)
      idx[c++] = static_cast<std::int32_t>(i + __builtin_ctzll(nz));
  for (; i < n8; i += 8)
    for (std::uint64_t nz = nonzero_bytes(row + i); nz; nz &= nz - 1)
      idx[c++] = static_cast<std::int32_t>(i + (__builtin_ctzll(nz) >> 3));
  return c;
}

// Lists the active inputs of one row (ascending) into idx and returns how many; nothing is written past
// them. uint8 rows: 8 at a time (above). Float rows: 32-byte blocks whose bits are all 0 are skipped with
// one test (a -0.0 spike has a bit set, and is then tested as a value: inactive).
template <typename S>
std::int32_t row_fill(const S* row, i64 n_pre, std::int32_t* idx) {
  std::int32_t c = 0;
  i64 i = 0;
  if constexpr (std::is_same_v<S, std::uint8_t> && kU8Words) {
    i = n_pre / 8 * 8;
    c = list_nonzero_u8(row, i, idx, 0);
  } else {
    constexpr i64 kStep = 32 / static_cast<i64>(sizeof(S));
    for (; i + kStep <= n_pre; i += kStep) {
      std::uint64_t w[4];
      std::memcpy(w, row + i, sizeof(w));
      if ((w[0] | w[1] | w[2] | w[3]) == 0) continue;
      for (i64 k = i; k < i + kStep; ++k)
        if (spike_active(row[k])) idx[c++] = static_cast<std::int32_t>(k);
    }
  }
  for (; i < n_pre; ++i)
    if (spike_active(row[i])) idx[c++] = static_cast<std::int32_t>(i);
  return c;
}

// counts[r] = number of active inputs of row r, index[r*n_pre + k] their positions; returns the total.
template <typename S>
i64 compact(const SynapseParams& p, const S* s, std::int32_t* counts, std::int32_t* index) {
  i64 total = 0;
  auto fill_row = [&](i64 r) -> i64 {
    const std::int32_t c = row_fill(s + r * p.n_pre, p.n_pre, index + r * p.n_pre);
    counts[r] = c;
    return c;
  };
  if (p.rows * p.n_pre > kEventSerialBelow) {  // (a one-thread OpenMP region costs more than a small row)
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) reduction(+ : total)
#endif
    for (i64 r = 0; r < p.rows; ++r) total += fill_row(r);
  } else {
    for (i64 r = 0; r < p.rows; ++r) total += fill_row(r);
  }
  counts[p.rows] = static_cast<std::int32_t>(total > INT32_MAX ? INT32_MAX : total);
  return total;
}

// y[0..n) += a * x[0..n). Kept out of line: inlined into an event loop, the compiler may vectorise the
// event loop instead, turning these contiguous rows into gathers.
template <typename T>
__attribute__((noinline)) void axpy_row(T* SPAIC_RESTRICT y, const T* SPAIC_RESTRICT x, T a, i64 n) {
  SPAIC_SIMD
  for (i64 j = 0; j < n; ++j) y[j] += a * x[j];
}

// y += a·x for one event: a few values inline (a call per event would cost more than the work), longer
// rows through axpy_row. The same sums either way.
template <typename T>
inline void add_event(T* SPAIC_RESTRICT y, const T* SPAIC_RESTRICT x, T a, i64 n) {
  if (n <= 16)
    for (i64 j = 0; j < n; ++j) y[j] += a * x[j];
  else axpy_row(y, x, a, n);
}

// Counts the active inputs of one row.
template <typename S>
std::int32_t row_count(const S* row, i64 n_pre) {
  std::int32_t c = 0;
  i64 i = 0;
  if constexpr (std::is_same_v<S, std::uint8_t> && kU8Words) {
    for (; i + 64 <= n_pre; i += 64) c += __builtin_popcountll(nonzero_mask64(row + i));
    for (; i + 8 <= n_pre; i += 8) c += __builtin_popcountll(nonzero_bytes(row + i));
  }
  for (; i < n_pre; ++i) c += spike_active(row[i]) ? 1 : 0;
  return c;
}

// A per-thread buffer that grows and is reused (no fresh pages, no zeroing, per call).
template <typename T>
T* reuse_buffer(std::size_t n, int which) {
  struct Buf {
    std::unique_ptr<unsigned char[]> p;
    std::size_t bytes = 0;
  };
  thread_local Buf bufs[4];
  Buf& b = bufs[which];
  const std::size_t need = n * sizeof(T) + 64;
  if (need > b.bytes) {
    b.p.reset(new unsigned char[need]);
    b.bytes = need;
  }
  void* ptr = b.p.get();
  std::size_t space = b.bytes;
  return static_cast<T*>(std::align(alignof(T) > 64 ? alignof(T) : 64, n * sizeof(T), ptr, space));
}

// The active inputs of every row in CSR form: a counting pass, then every row lists its events in place.
// col and val live in per-thread buffers reused from call to call (valid until the next build here).
template <typename T>
struct EventCsr {
  i64* row_ptr = nullptr;  // [rows + 1]
  std::int32_t* col = nullptr;
  T* val = nullptr;  // the spike values (read once, while the rows are in cache)
};

template <typename T, typename S>
void build_csr(const S* s, i64 R, i64 NP, EventCsr<T>& csr) {
  csr.row_ptr = reuse_buffer<i64>(static_cast<std::size_t>(R + 1), 2);
  csr.row_ptr[0] = 0;
  const bool par = R * NP > kEventSerialBelow;
  (void)par;
  SPAIC_PRAGMA(omp parallel for schedule(static) if (par))
  for (i64 r = 0; r < R; ++r) csr.row_ptr[r + 1] = row_count(s + r * NP, NP);
  for (i64 r = 0; r < R; ++r) csr.row_ptr[r + 1] += csr.row_ptr[r];
  const std::size_t events = static_cast<std::size_t>(csr.row_ptr[R]);
  csr.col = reuse_buffer<std::int32_t>(events, 0);
  csr.val = reuse_buffer<T>(events, 1);
  SPAIC_PRAGMA(omp parallel for schedule(static) if (par))
  for (i64 r = 0; r < R; ++r) {
    const i64 k0 = csr.row_ptr[r], k1 = csr.row_ptr[r + 1];
    if (k0 == k1) continue;
    const S* row = s + r * NP;
    row_fill(row, NP, csr.col + k0);
    for (i64 k = k0; k < k1; ++k) csr.val[k] = spike_value<T>(row[csr.col[k]]);
  }
}

// The fraction of active spikes (the 'auto' modes' density).
template <typename S>
double active_fraction(const S* s, i64 n) {
  i64 c = 0;
  SPAIC_PRAGMA(omp parallel for reduction(+ : c) if (n > kSerialBelow))
  for (i64 i = 0; i < n; ++i) c += s[i] != S(0);
  return n > 0 ? static_cast<double>(c) / static_cast<double>(n) : 0.0;
}

// Columns per pass such that a [rows, cols] slab of T stays in a core's L2 (about 512 KiB), a multiple
// of 16, between 16 and kTile.
inline i64 slab_cols(i64 rows, std::size_t elem) {
  const i64 c = (i64(512) << 10) / std::max<i64>(1, rows * static_cast<i64>(elem));
  return std::max<i64>(16, std::min<i64>(kTile, c / 16 * 16));
}

// The widest vectors the target has, and the columns of one register block of the event forward: four
// vectors of float (eight of double), so the accumulators stay in registers (a vector type wider than the
// target's is split and spilled to the stack).
#if defined(__AVX512F__)
constexpr int kVecBytes = 64;
#elif defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif
constexpr i64 kBlock = kVecBytes;

// out[0, kBlock) = the sum of val[k] * wt[col[k] * ld + (0, kBlock)] over k in [k0, k1), in k order from zero:
// the accumulators stay in vector registers for the whole row (GCC/Clang vector types; multiply then add, as
// the scalar loop does with contraction off, so every sum is the scalar loop's bit for bit).
template <typename T>
inline void event_block(const std::int32_t* col, const T* val, i64 k0, i64 k1, const T* wt, i64 ld, T* out) {
  typedef T V __attribute__((vector_size(kVecBytes)));
  constexpr int kLanes = kVecBytes / static_cast<int>(sizeof(T)), kVecs = static_cast<int>(kBlock) / kLanes;
  V a[kVecs] = {};
  for (i64 k = k0; k < k1; ++k) {
    const T* w = wt + static_cast<i64>(col[k]) * ld;
    const V v = V{} + val[k];
    for (int q = 0; q < kVecs; ++q) {
      V x;
      std::memcpy(&x, w + q * kLanes, sizeof(V));
      a[q] += v * x;
    }
  }
  std::memcpy(out, a, sizeof(a));
}

// W^T [pre, post]: the events are listed once (CSR); then, slab by slab of output columns (the slab of
// W^T stays in L2), every row accumulates its active inputs' weight rows: kBlock columns at a time in
// registers (event_block), the rest of the slab in an L1 tile.
template <typename T, typename S>
void event_pre_post(const SynapseParams& p, const S* s, const T* wt, const T* bias, T* out) {
  EventCsr<T> csr;
  build_csr(s, p.rows, p.n_pre, csr);
  const i64 events = csr.row_ptr[p.rows];
  const bool par = events * p.n_post > kEventSerialBelow || p.rows * p.n_post > kEventSerialBelow;
  (void)par;
  i64 tile = slab_cols(p.n_pre, sizeof(T));
  if (tile >= kBlock) tile = tile / kBlock * kBlock;  // whole register blocks
  for (i64 j0 = 0; j0 < p.n_post; j0 += tile) {
    const i64 nj = std::min<i64>(tile, p.n_post - j0);
#if defined(_OPENMP)
#pragma omp parallel for schedule(static, 32) if (par)
#endif
    for (i64 r = 0; r < p.rows; ++r) {
      T acc[kTile];
      const i64 k0 = csr.row_ptr[r], k1 = csr.row_ptr[r + 1];
      // whole register blocks first, then the rest of the tile (jr .. nj) as before
      const i64 jr = nj > 16 ? nj / kBlock * kBlock : 0;
      for (i64 jb = 0; jb < jr; jb += kBlock) event_block(csr.col, csr.val, k0, k1, wt + j0 + jb, p.n_post, acc + jb);
      for (i64 j = jr; j < nj; ++j) acc[j] = T(0);
      if (jr < nj)
        for (i64 k = k0; k < k1; ++k) {
          const i64 i = csr.col[k];
          const T v = csr.val[k];
          add_event(acc + jr, wt + i * p.n_post + j0 + jr, v, nj - jr);
        }
      T* o = out + r * p.n_post + j0;
      const T* b = bias ? bias + j0 : nullptr;
      for (i64 j = 0; j < nj; ++j) o[j] = synapse_finish(acc[j], b, j, o + j, p.accumulate);
    }
  }
}

template <typename T, typename S>
void event_post_pre(const SynapseParams& p, const S* s, const T* w, const T* bias, T* out, const std::int32_t* counts,
                    const std::int32_t* index) {
  i64 events = 0;
  for (i64 r = 0; r < p.rows; ++r) events += counts[r];
  const bool par = events * p.n_post > kEventSerialBelow;
  (void)par;
#if defined(_OPENMP)
#pragma omp parallel for schedule(static) if (par)
#endif
  for (i64 j = 0; j < p.n_post; ++j) {
    const T* SPAIC_RESTRICT wj = w + j * p.n_pre;
    for (i64 r = 0; r < p.rows; ++r) {
      const std::int32_t* idx = index + r * p.n_pre;
      const S* srow = s + r * p.n_pre;
      T acc = T(0);
      for (std::int32_t k = 0; k < counts[r]; ++k) {
        const i64 i = idx[k];
        acc += spike_value<T>(srow[i]) * wj[i];
      }
      T* o = out + r * p.n_post + j;
      *o = synapse_finish(acc, bias, j, o, p.accumulate);
    }
  }
}

template <typename T, typename S>
const T* widen(const S* s, i64 n, void* ws, std::size_t off) {
  if constexpr (std::is_same_v<T, S>) {
    (void)n;
    (void)ws;
    (void)off;
    return s;
  } else {
    T* d = at<T>(ws, off);
    parallel_for(n, n, [&](i64 i) { d[i] = spike_value<T>(s[i]); });
    return d;
  }
}

// out = s . op(W) (+ bias) (+ out): bias is written (or added) first, then the GEMM runs with beta = 1.
template <typename T>
void dense(const SynapseParams& p, const T* s, const T* w, const T* bias, T* out) {
  const i64 n = p.rows * p.n_post;
  double beta = p.accumulate ? 1.0 : 0.0;
  if (bias) {
    parallel_for(n, n, [&](i64 e) {
      const i64 j = e % p.n_post;
      out[e] = p.accumulate ? out[e] + bias[j] : bias[j];
    });
    beta = 1.0;
  }
  gemm<T>(synapse_forward_gemm(p, beta), s, w, out);
}

}  // namespace

template <typename T, typename S>
SynapseMode synapse_forward(const SynapseParams& p, const S* spikes, const T* weight, const T* bias, T* out,
                            void* workspace) {
  if (p.rows == 0 || p.n_post == 0) return p.mode == SynapseMode::Event ? SynapseMode::Event : SynapseMode::Dense;
  const SynapseWorkspace ws = synapse_forward_workspace(p, !std::is_same_v<T, S>, sizeof(T));
  SynapseMode mode = p.mode;
  const bool pre_post = p.layout == WeightLayout::PrePost;
  std::int32_t* counts = nullptr;
  std::int32_t* index = nullptr;
  if (mode != SynapseMode::Dense && !pre_post) {  // W [post, pre] walks every row's list once per post neuron
    counts = at<std::int32_t>(workspace, ws.counts);
    index = at<std::int32_t>(workspace, ws.index);
  }
  if (mode == SynapseMode::Auto) {
    const i64 n = p.rows * p.n_pre;
    const double density = pre_post ? active_fraction(spikes, n)
                           : n > 0  ? static_cast<double>(compact(p, spikes, counts, index)) / static_cast<double>(n)
                                    : 0.0;
    const double crossover = p.crossover >= 0 ? p.crossover : synapse_default_crossover(false, p.rows, pre_post);
    mode = density < crossover ? SynapseMode::Event : SynapseMode::Dense;
  } else if (mode == SynapseMode::Event && !pre_post) {
    compact(p, spikes, counts, index);
  }
  if (mode == SynapseMode::Event) {
    if (pre_post) event_pre_post<T, S>(p, spikes, weight, bias, out);
    else event_post_pre<T, S>(p, spikes, weight, bias, out, counts, index);
  } else {
    dense<T>(p, widen<T, S>(spikes, p.rows * p.n_pre, workspace, ws.spikes), weight, bias, out);
  }
  return mode;
}

namespace {

// Event-driven weight gradient: a CSR of the active inputs (one pass over the spikes), then every
// thread adds gradOut rows into its own slice of the post dimension, so no two threads write the
// same element and the result does not depend on the thread count.
template <typename T, typename S>
void grad_weight_event(const SynapseBackwardParams& p, const T* g, const S* s, T* gw) {
  const i64 R = p.rows, NP = p.n_pre, NO = p.n_post;
  if (!p.accumulate) std::fill(gw, gw + NP * NO, T(0));
  EventCsr<T> csr;
  build_csr(s, R, NP, csr);
  const i64* row_ptr = csr.row_ptr;
  const std::int32_t* col = csr.col;
  const T* val = csr.val;
  const bool pre_post = p.layout == WeightLayout::PrePost;
#if defined(_OPENMP)
#pragma omp parallel if (row_ptr[R] * NO > kSerialBelow)
#endif
  {
#if defined(_OPENMP)
    const int nt = omp_get_num_threads(), tid = omp_get_thread_num();
#else
    const int nt = 1, tid = 0;
#endif
    // Wide outputs: each thread owns a slice of the post dimension. Narrow ones (a few classes): a slice
    // of the pre dimension, every thread reading all events and keeping its own.
    const bool by_post = NO >= 64 || nt == 1;
    i64 j0 = 0, j1 = NO, i0 = 0, i1 = NP;
    if (by_post) {
      const i64 chunk = ceil_div(ceil_div(NO, nt), 16) * 16;
      j0 = std::min<i64>(NO, tid * chunk);
      j1 = std::min<i64>(NO, j0 + chunk);
    } else {
      const i64 chunk = ceil_div(NP, nt);
      i0 = std::min<i64>(NP, tid * chunk);
      i1 = std::min<i64>(NP, i0 + chunk);
    }
    // The thread's columns in slabs whose part of dW stays in L2, each slab one pass over the events.
    const i64 slab = pre_post ? slab_cols(NP, sizeof(T)) : j1 - j0;
    for (i64 c0 = j0; c0 < j1; c0 += slab) {
      const i64 c1 = std::min(j1, c0 + slab);
      for (i64 r = 0; r < R && i0 < i1; ++r) {
        const T* gr = g + r * NO;
        for (i64 k = row_ptr[r]; k < row_ptr[r + 1]; ++k) {
          const i64 i = col[k];
          if (i < i0 || i >= i1) continue;
          const T v = val[k];
          if (pre_post) {
            add_event(gw + i * NO + c0, gr + c0, v, c1 - c0);
          } else {
            for (i64 j = c0; j < c1; ++j) gw[j * NP + i] += v * gr[j];
          }
        }
      }
    }
  }
}

}  // namespace

template <typename T, typename S>
void synapse_backward(const SynapseBackwardParams& p, const T* grad_out, const S* spikes, const T* weight,
                      T* grad_weight, T* grad_spikes, T* grad_bias, void* workspace) {
  const bool post_pre = p.layout == WeightLayout::PostPre;
  bool event = p.mode == SynapseMode::Event;
  if (grad_weight && p.mode == SynapseMode::Auto) {
    const double cross = p.crossover >= 0 ? p.crossover : kBackwardEventCrossoverCpu;
    event = active_fraction(spikes, p.rows * p.n_pre) < cross;
  }
  if (grad_weight && event && p.n_pre > 0 && p.n_post > 0) {
    grad_weight_event<T, S>(p, grad_out, spikes, grad_weight);
  } else if (grad_weight && p.n_pre > 0 && p.n_post > 0) {
    const T* s = widen<T, S>(spikes, p.rows * p.n_pre, workspace, 0);
    if (post_pre) gemm<T>(synapse_grad_weight_gemm(p), grad_out, s, grad_weight);
    else gemm<T>(synapse_grad_weight_gemm(p), s, grad_out, grad_weight);
  }
  if (grad_spikes && p.rows > 0 && p.n_pre > 0) gemm<T>(synapse_grad_spikes_gemm(p), grad_out, weight, grad_spikes);
  if (grad_bias) {
    parallel_for(p.n_post, p.rows * p.n_post, [&](i64 j) {
      T acc = T(0);
      for (i64 r = 0; r < p.rows; ++r) acc += grad_out[r * p.n_post + j];
      grad_bias[j] = p.accumulate ? grad_bias[j] + acc : acc;
    });
  }
}

template <typename T>
void transpose(const T* a, T* out, i64 rows, i64 cols) {
  constexpr i64 B = 32;
  const i64 tr = ceil_div(rows, B), tc = ceil_div(cols, B);
  parallel_for(tr * tc, rows * cols, [&](i64 t) {
    const i64 r0 = (t / tc) * B, c0 = (t % tc) * B;
    const i64 r1 = std::min(rows, r0 + B), c1 = std::min(cols, c0 + B);
    for (i64 r = r0; r < r1; ++r)
      for (i64 c = c0; c < c1; ++c) out[c * rows + r] = a[r * cols + c];
  });
}

// The program executor's sparse-input shortcut for a full synapse (core/ops/synapse-full.cpp).
// Isyn[r, :] = sum over active i of s[r, i] * W^T[i, :], from a W^T copy whose rows are refreshed lazily,
// when read, from the weight rows changed since (the weight's change stamps): contiguous rows instead of
// a strided gather over W.

template <typename T>
bool transposed_gather(TransposedCache<T>& c, const T* s, i64 rows, i64 nq) {
  c.off.assign(static_cast<std::size_t>(rows) + 1, 0);
  c.idx.resize(static_cast<std::size_t>(rows * nq));
  i64 cnt = 0;
  for (i64 r = 0; r < rows; ++r) {  // branch-free compaction of the active inputs
    c.off[r] = cnt;
    const T* sr = s + r * nq;
    std::int32_t* ix = c.idx.data();
    for (i64 i = 0; i < nq; ++i) {
      ix[cnt] = static_cast<std::int32_t>(i);
      cnt += sr[i] != T(0) ? 1 : 0;
    }
  }
  c.off[rows] = cnt;
  return !(static_cast<double>(cnt) > transposed_dense_above(rows) * static_cast<double>(rows * nq));
}

template <typename T>
void transposed_forward(TransposedCache<T>& c, const T* s, const T* W, const T* b, T* o, i64 rows, i64 nq, i64 np,
                        bool accumulate, i64 all, const i64* rs, i64 now) {
  const i64 cnt = c.off[rows];
  if (c.wt.size() != static_cast<std::size_t>(nq * np)) {
    c.wt.assign(static_cast<std::size_t>(nq * np), T(0));
    c.col_stamp.assign(static_cast<std::size_t>(nq), -1);
  }
  // the latest change of any weight row: a W^T row refreshed after it is still current
  i64 newest = all;
  if (rs)
    for (i64 j = 0; j < np; ++j) newest = std::max(newest, rs[j]);
  for (i64 k = 0; k < cnt; ++k) {
    const std::int32_t i = c.idx[static_cast<std::size_t>(k)];
    i64& cs = c.col_stamp[static_cast<std::size_t>(i)];
    if (cs == now || (cs >= 0 && newest < cs)) continue;
    T* wr = c.wt.data() + static_cast<i64>(i) * np;
    if (all >= cs) {
      for (i64 j = 0; j < np; ++j) wr[j] = W[j * nq + i];
    } else {
      for (i64 j = 0; j < np; ++j)
        if (rs[j] >= cs) wr[j] = W[j * nq + i];
    }
    cs = now;
  }
  c.acc.resize(static_cast<std::size_t>(np));
  for (i64 r = 0; r < rows; ++r) {
    T* a = c.acc.data();
    for (i64 j = 0; j < np; ++j) a[j] = T(0);
    const T* sr = s + r * nq;
    for (i64 k = c.off[r]; k < c.off[r + 1]; ++k) {
      const i64 i = c.idx[static_cast<std::size_t>(k)];
      const T v = spike_value<T>(sr[i]);
      const T* wr = c.wt.data() + i * np;
      for (i64 j = 0; j < np; ++j) a[j] += v * wr[j];
    }
    T* orow = o + r * np;
    for (i64 j = 0; j < np; ++j) orow[j] = synapse_finish(a[j], b, j, orow + j, accumulate);
  }
}

SPAIC_INSTANTIATE_SYNAPSE_OPS
template bool transposed_gather<float>(TransposedCache<float>&, const float*, i64, i64);
template bool transposed_gather<double>(TransposedCache<double>&, const double*, i64, i64);
template void transposed_forward<float>(TransposedCache<float>&, const float*, const float*, const float*, float*, i64,
                                        i64, i64, bool, i64, const i64*, i64);
template void transposed_forward<double>(TransposedCache<double>&, const double*, const double*, const double*, double*,
                                         i64, i64, i64, bool, i64, const i64*, i64);

}  // namespace spaic::cpu

// cpu/elementwise.cpp - binary (with broadcasting), scalar, unary, fill and cast loops, and transpose01
// (the copy that swaps the leading two axes). The per-element maths is spaic/math/elementwise.h, shared with
// cuda/elementwise.cu.
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "cpu/parallel.h"
#include "spaic/dispatch.h"
#include "spaic/ops.h"

namespace spaic::cpu {

template <typename T>
void binary(BinaryOp op, const T* a, const T* b, T* out, i64 n, const Broadcast* bc) {
  with_binary_op(op, [&](auto OP) {
    if (!bc) {
      parallel_for(n, n, [&](i64 i) { out[i] = apply_binary<T>(OP, a[i], b[i]); });
    } else {
      // Row by row along the last axis: the offsets (divisions per axis) once per row, then a plain loop.
      const i64 len = bc->ndim > 0 ? bc->shape[bc->ndim - 1] : 1;
      const i64 sa = bc->ndim > 0 ? bc->stride_a[bc->ndim - 1] : 0, sb = bc->ndim > 0 ? bc->stride_b[bc->ndim - 1] : 0;
      parallel_for(len > 0 ? n / len : 0, n, [&](i64 r) {
        i64 oa, ob;
        broadcast_offsets(*bc, r * len, &oa, &ob);
        T* o = out + r * len;
        if (sa == 1 && sb == 1)
          for (i64 j = 0; j < len; ++j) o[j] = apply_binary<T>(OP, a[oa + j], b[ob + j]);
        else
          for (i64 j = 0; j < len; ++j) o[j] = apply_binary<T>(OP, a[oa + j * sa], b[ob + j * sb]);
      });
    }
  });
}

template <typename T>
void binary_scalar(BinaryOp op, const T* a, T s, T* out, i64 n, bool scalar_first) {
  with_binary_op(op, [&](auto OP) {
    if (scalar_first) {
      parallel_for(n, n, [&](i64 i) { out[i] = apply_binary<T>(OP, s, a[i]); });
    } else {
      parallel_for(n, n, [&](i64 i) { out[i] = apply_binary<T>(OP, a[i], s); });
    }
  });
}

template <typename T>
void unary(UnaryOp op, const T* a, T* out, i64 n) {
  with_unary_op(op, [&](auto OP) { parallel_for(n, n, [&](i64 i) { out[i] = apply_unary<T>(OP, a[i]); }); });
}

template <typename T>
void fill(T* out, T value, i64 n) {
  parallel_for(n, n, [&](i64 i) { out[i] = value; });
}

template <typename To, typename Ti>
void cast(const Ti* a, To* out, i64 n) {
  parallel_for(n, n, [&](i64 i) { out[i] = convert<To, Ti>(a[i]); });
}

// Tiles of 32 x 32 rows of `inner` elements on the thread team: a tile reads 32 runs of a and writes 32 runs
// of out, each of 32 rows, so both sides stream whatever `inner` is (1: a plain transpose).
template <typename T>
void transpose01(const T* a, T* out, i64 d0, i64 d1, i64 inner) {
  constexpr i64 kTile = 32;
  if (d0 == 0 || d1 == 0 || inner == 0) return;
  const i64 t0 = ceil_div(d0, kTile), t1 = ceil_div(d1, kTile);
  const std::size_t row = sizeof(T) * static_cast<std::size_t>(inner);
  parallel_for(t0 * t1, d0 * d1 * inner, [&](i64 t) {
    const i64 i0 = (t / t1) * kTile, j0 = (t % t1) * kTile;
    const i64 i1 = std::min(d0, i0 + kTile), j1 = std::min(d1, j0 + kTile);
    if (inner == 1) {
      for (i64 j = j0; j < j1; ++j)
        for (i64 i = i0; i < i1; ++i) out[j * d0 + i] = a[i * d1 + j];
      return;
    }
    for (i64 j = j0; j < j1; ++j)
      for (i64 i = i0; i < i1; ++i) std::memcpy(out + (j * d0 + i) * inner, a + (i * d1 + j) * inner, row);
  });
}

SPAIC_INSTANTIATE_ELEMENTWISE_OPS

}  // namespace spaic::cpu

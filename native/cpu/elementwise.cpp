// cpu/elementwise.cpp - binary (with broadcasting), scalar, unary, fill and cast loops.
// The per-element maths is spaic/math/elementwise.h, shared with cuda/elementwise.cu.
#include <cstdint>

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
      parallel_for(n, n, [&](i64 i) {
        i64 oa, ob;
        broadcast_offsets(*bc, i, &oa, &ob);
        out[i] = apply_binary<T>(OP, a[oa], b[ob]);
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

SPAIC_INSTANTIATE_ELEMENTWISE_OPS

}  // namespace spaic::cpu

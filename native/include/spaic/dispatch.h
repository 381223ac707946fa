// spaic/dispatch.h - turn a run-time choice into a compile-time one: the device (SPAIC_DISPATCH, the one
// CPU/CUDA switch of the bindings, the program ops and the rule steps) and an op code (with_binary_op /
// with_unary_op, so each loop body is specialised: no switch per element). No N-API here.
#pragma once

#include <type_traits>

#include "spaic/device.h"
#include "spaic/dtype.h"
#include "spaic/error.h"
#include "spaic/math/elementwise.h"

#if defined(SPAIC_HAVE_CUDA)
#define SPAIC_CUDA_ONLY(...) __VA_ARGS__
#else
#define SPAIC_CUDA_ONLY(...) SPAIC_FAIL(Device, "device", "CUDA is not available: built without CUDA")
#endif

// Calls spaic::cpu::F or spaic::cuda::F depending on the device, making a CUDA device current first
// (gpu::set_current caches the current device per thread: cheap on every call).
#define SPAIC_DISPATCH(dev, ...)                   \
  do {                                             \
    if ((dev).is_cpu()) {                          \
      ::spaic::cpu::__VA_ARGS__;                   \
    } else {                                       \
      ::spaic::gpu::set_current((dev).index);      \
      SPAIC_CUDA_ONLY(::spaic::cuda::__VA_ARGS__); \
    }                                              \
  } while (0)

// As SPAIC_DISPATCH, storing the call's result in `out`.
#define SPAIC_DISPATCH_TO(dev, out, ...)                 \
  do {                                                   \
    if ((dev).is_cpu()) {                                \
      out = ::spaic::cpu::__VA_ARGS__;                   \
    } else {                                             \
      ::spaic::gpu::set_current((dev).index);            \
      SPAIC_CUDA_ONLY(out = ::spaic::cuda::__VA_ARGS__); \
    }                                                    \
  } while (0)

namespace spaic {

template <typename F>
void with_binary_op(BinaryOp op, F&& f) {
#define SPAIC_CASE(X) \
  case BinaryOp::X: f(std::integral_constant<BinaryOp, BinaryOp::X>{}); return;
  switch (op) {
    SPAIC_CASE(Add)
    SPAIC_CASE(Sub)
    SPAIC_CASE(Mul)
    SPAIC_CASE(Div)
    SPAIC_CASE(Max)
    SPAIC_CASE(Min)
    SPAIC_CASE(Pow)
    SPAIC_CASE(Gt)
    SPAIC_CASE(Ge)
    SPAIC_CASE(Lt)
    SPAIC_CASE(Le)
    SPAIC_CASE(Eq)
  }
#undef SPAIC_CASE
}

template <typename F>
void with_unary_op(UnaryOp op, F&& f) {
#define SPAIC_CASE(X) \
  case UnaryOp::X: f(std::integral_constant<UnaryOp, UnaryOp::X>{}); return;
  switch (op) {
    SPAIC_CASE(Neg)
    SPAIC_CASE(Abs)
    SPAIC_CASE(Exp)
    SPAIC_CASE(Log)
    SPAIC_CASE(Sqrt)
    SPAIC_CASE(Relu)
    SPAIC_CASE(Sigmoid)
    SPAIC_CASE(Tanh)
    SPAIC_CASE(Square)
    SPAIC_CASE(Sign)
    SPAIC_CASE(Heaviside)
    SPAIC_CASE(Reciprocal)
  }
#undef SPAIC_CASE
}

}  // namespace spaic

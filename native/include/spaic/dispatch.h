// spaic/dispatch.h - turn a run-time op code into a compile-time constant, so each loop body is
// specialised (no switch per element). Used by the CPU and CUDA elementwise code alike.
#pragma once

#include <type_traits>

#include "spaic/math/elementwise.h"

namespace spaic {

template <typename F>
void with_binary_op(BinaryOp op, F&& f) {
#define SPAIC_CASE(X) \
  case BinaryOp::X: f(std::integral_constant<BinaryOp, BinaryOp::X>{}); return;
  switch (op) {
    SPAIC_CASE(Add) SPAIC_CASE(Sub) SPAIC_CASE(Mul) SPAIC_CASE(Div) SPAIC_CASE(Max) SPAIC_CASE(Min)
    SPAIC_CASE(Pow) SPAIC_CASE(Gt) SPAIC_CASE(Ge) SPAIC_CASE(Lt) SPAIC_CASE(Le) SPAIC_CASE(Eq)
  }
#undef SPAIC_CASE
}

template <typename F>
void with_unary_op(UnaryOp op, F&& f) {
#define SPAIC_CASE(X) \
  case UnaryOp::X: f(std::integral_constant<UnaryOp, UnaryOp::X>{}); return;
  switch (op) {
    SPAIC_CASE(Neg) SPAIC_CASE(Abs) SPAIC_CASE(Exp) SPAIC_CASE(Log) SPAIC_CASE(Sqrt) SPAIC_CASE(Relu)
    SPAIC_CASE(Sigmoid) SPAIC_CASE(Tanh) SPAIC_CASE(Square) SPAIC_CASE(Sign) SPAIC_CASE(Heaviside)
    SPAIC_CASE(Reciprocal)
  }
#undef SPAIC_CASE
}

}  // namespace spaic

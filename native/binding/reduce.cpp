// binding/reduce.cpp - reduce(op, a, axis, out): axis -1 reduces everything to one element;
// reduceStats(a): { nonFinite, firstNonFinite, nonZero, sum, max } of a float tensor, on its device.
#include <cstdint>

#include "binding/napi-util.h"
#include "spaic/ops.h"

namespace spaic::binding {

namespace {

Napi::Value Reduce(const Napi::CallbackInfo& info) {
  i64 c = int_arg(info, 0, "op");
  SPAIC_CHECK(c >= 0 && c <= static_cast<i64>(ReduceOp::Min), InvalidArgument, "op", "unknown reduce op code ", c);
  const Tensor& a = tensor_arg(info, 1, "a");
  i64 axis = int_arg(info, 2, "axis");
  const Tensor& out = tensor_arg(info, 3, "out");
  check_same_device(a, "a", out, "out");
  check_dtype(out, a.dtype, "out");
  ReduceParams p;
  p.op = static_cast<ReduceOp>(c);
  const i64 nd = static_cast<i64>(a.shape.size());
  if (axis < 0) {
    p.outer = 1;
    p.len = a.numel();
    p.inner = 1;
  } else {
    SPAIC_CHECK(axis < nd, InvalidArgument, "axis", "axis ", axis, " is out of range for ", nd, " dimensions");
    p.outer = 1;
    p.inner = 1;
    for (i64 d = 0; d < axis; ++d) p.outer *= a.shape[d];
    p.len = a.shape[axis];
    for (i64 d = axis + 1; d < nd; ++d) p.inner *= a.shape[d];
  }
  check_numel(out, p.outer * p.inner, "out");
  SPAIC_CHECK(p.len > 0 || p.op == ReduceOp::Sum || p.op == ReduceOp::Mean, Shape, "a",
              "max/min of an empty axis is undefined");
  switch (a.dtype) {
    case DType::F32: SPAIC_DISPATCH(a.device(), reduce<float>(p, a.ptr<float>(), out.ptr<float>())); break;
    case DType::F64: SPAIC_DISPATCH(a.device(), reduce<double>(p, a.ptr<double>(), out.ptr<double>())); break;
    case DType::I32: SPAIC_DISPATCH(a.device(), reduce<int32_t>(p, a.ptr<int32_t>(), out.ptr<int32_t>())); break;
    default: SPAIC_FAIL(InvalidArgument, "a", "uint8 tensors hold spikes; cast them before reducing");
  }
  return info.Env().Undefined();
}

Napi::Value ReduceStatsOf(const Napi::CallbackInfo& info) {
  const Tensor& a = tensor_arg(info, 0, "a");
  check_float(a, "a");
  ReduceStats st;
  if (a.dtype == DType::F32) SPAIC_DISPATCH_TO(a.device(), st, reduce_stats<float>(a.ptr<float>(), a.numel()));
  else SPAIC_DISPATCH_TO(a.device(), st, reduce_stats<double>(a.ptr<double>(), a.numel()));
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("nonFinite", Napi::Number::New(env, static_cast<double>(st.non_finite)));
  o.Set("firstNonFinite", Napi::Number::New(env, static_cast<double>(st.first_non_finite)));
  o.Set("nonZero", Napi::Number::New(env, static_cast<double>(st.non_zero)));
  o.Set("sum", Napi::Number::New(env, st.sum));
  o.Set("max", Napi::Number::New(env, st.max));
  return o;
}

}  // namespace

void register_reduce(Napi::Object exports) {
  SPAIC_EXPORT(exports, "reduce", Reduce);
  SPAIC_EXPORT(exports, "reduceStats", ReduceStatsOf);
}

}  // namespace spaic::binding

// binding/opt-step.cpp - optStep(algo, scalars, param, grad, s0, s1, s2) (sync), optStepAsync (a Promise),
// sparseAdamStep(scalars, param, values, rows, order, offsets, expAvg, expAvgSq), and the read-only
// guards optCheck / sparseAdamCheck (same arguments) that say whether a step would go non-finite.
// Which state buffer is which, per algorithm, is documented in lib/ops/opt-step.ts.
#include <cstdint>
#include <optional>

#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/opt-step.h"

namespace spaic::binding {

namespace {

const char* const kAlgoNames[kOptAlgoCount] = {"SGD",      "Adam",    "Adamax",  "ASGD",
                                               "Adadelta", "Adagrad", "RMSprop", "Rprop"};

bool flag_field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return false;
  SPAIC_CHECK(v.IsBoolean(), InvalidArgument, "scalars", "Expected a boolean for scalars.", key);
  return v.As<Napi::Boolean>().Value();
}

OptStepParams read_params(const Napi::Object& o, OptAlgo algo) {
  OptStepParams p;
  p.algo = algo;
  p.maximize = flag_field(o, "maximize");
  p.amsgrad = flag_field(o, "amsgrad");
  p.decoupled = flag_field(o, "decoupled");
  p.nesterov = flag_field(o, "nesterov");
  p.init_buffer = flag_field(o, "initBuffer");
  p.centered = flag_field(o, "centered");
  p.lr = num_field_or(o, "lr", p.lr, "scalars");
  p.weight_decay = num_field_or(o, "weightDecay", p.weight_decay, "scalars");
  p.momentum = num_field_or(o, "momentum", p.momentum, "scalars");
  p.dampening_c = num_field_or(o, "dampeningC", p.dampening_c, "scalars");
  p.beta1 = num_field_or(o, "beta1", p.beta1, "scalars");
  p.beta1_c = num_field_or(o, "beta1C", p.beta1_c, "scalars");
  p.beta2 = num_field_or(o, "beta2", p.beta2, "scalars");
  p.beta2_c = num_field_or(o, "beta2C", p.beta2_c, "scalars");
  p.eps = num_field_or(o, "eps", p.eps, "scalars");
  p.bias_c2_sqrt = num_field_or(o, "biasC2Sqrt", p.bias_c2_sqrt, "scalars");
  p.neg_step = num_field_or(o, "negStep", p.neg_step, "scalars");
  p.decay = num_field_or(o, "decay", p.decay, "scalars");
  p.neg_eta = num_field_or(o, "negEta", p.neg_eta, "scalars");
  p.mu = num_field_or(o, "mu", p.mu, "scalars");
  p.etaminus = num_field_or(o, "etaminus", p.etaminus, "scalars");
  p.etaplus = num_field_or(o, "etaplus", p.etaplus, "scalars");
  p.step_min = num_field_or(o, "stepMin", p.step_min, "scalars");
  p.step_max = num_field_or(o, "stepMax", p.step_max, "scalars");
  return p;
}

std::optional<Tensor> maybe_tensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return std::nullopt;
  return tensor_arg(info, i, name);
}

struct StepCall {
  OptStepParams p;
  Tensor param, grad;
  std::optional<Tensor> s[3];
};

// Which state buffers an algorithm needs for these flags.
void required_buffers(const OptStepParams& p, bool need[3]) {
  need[0] = need[1] = need[2] = false;
  switch (p.algo) {
    case OptAlgo::SGD: need[0] = p.momentum != 0; break;
    case OptAlgo::Adam:
      need[0] = need[1] = true;
      need[2] = p.amsgrad;
      break;
    case OptAlgo::Adamax:
    case OptAlgo::Adadelta:
    case OptAlgo::Rprop: need[0] = need[1] = true; break;
    case OptAlgo::ASGD:
    case OptAlgo::Adagrad: need[0] = true; break;
    case OptAlgo::RMSprop:
      need[0] = true;
      need[1] = p.centered;
      need[2] = p.momentum != 0;
      break;  // the kernel's test
  }
}

StepCall parse_step(const Napi::CallbackInfo& info) {
  StepCall c;
  const i64 code = int_arg(info, 0, "algo");
  SPAIC_CHECK(code >= 0 && code < kOptAlgoCount, InvalidArgument, "algo", "unknown optimizer code ", code);
  c.p = read_params(obj_arg(info, 1, "scalars"), static_cast<OptAlgo>(code));
  c.param = tensor_arg(info, 2, "param");
  c.grad = tensor_arg(info, 3, "grad");
  check_float(c.param, "param");
  check_dtype(c.grad, c.param.dtype, "grad");
  check_same_device(c.param, "param", c.grad, "grad");
  check_numel(c.grad, c.param.numel(), "grad");
  static const char* const names[3] = {"s0", "s1", "s2"};
  bool need[3];
  required_buffers(c.p, need);
  for (int k = 0; k < 3; ++k) {
    c.s[k] = maybe_tensor(info, 4 + k, names[k]);
    SPAIC_CHECK(!need[k] || c.s[k].has_value(), InvalidArgument, names[k], kAlgoNames[code],
                " with these options needs state buffer ", names[k]);
    if (!c.s[k]) continue;
    check_dtype(*c.s[k], c.param.dtype, names[k]);
    check_same_device(c.param, "param", *c.s[k], names[k]);
    check_numel(*c.s[k], c.param.numel(), names[k]);
  }
  return c;
}

template <typename T>
T* state_ptr(const std::optional<Tensor>& t) {
  return t ? t->ptr<T>() : nullptr;
}

void execute(const StepCall& c) {
  const i64 n = c.param.numel();
  if (c.param.dtype == DType::F32) {
    SPAIC_DISPATCH(c.param.device(),
                   opt_step<float>(c.p, c.param.ptr<float>(), c.grad.ptr<float>(), state_ptr<float>(c.s[0]),
                                   state_ptr<float>(c.s[1]), state_ptr<float>(c.s[2]), n));
  } else {
    SPAIC_DISPATCH(c.param.device(),
                   opt_step<double>(c.p, c.param.ptr<double>(), c.grad.ptr<double>(), state_ptr<double>(c.s[0]),
                                    state_ptr<double>(c.s[1]), state_ptr<double>(c.s[2]), n));
  }
}

// The device scratch a CUDA check reduces into (8 bytes from the caching allocator); none on the CPU.
Tensor check_scratch(const Tensor& like) {
  return like.device().is_cpu() ? Tensor{} : make_tensor(DType::U8, {8}, like.device(), false);
}

i64 check(const StepCall& c) {
  const i64 n = c.param.numel();
  const Tensor scratch = check_scratch(c.param);
  void* sp = scratch.storage ? scratch.raw() : nullptr;
  i64 first = -1;
  if (c.param.dtype == DType::F32) {
    SPAIC_DISPATCH_TO(c.param.device(), first,
                      opt_check<float>(c.p, c.param.ptr<float>(), c.grad.ptr<float>(), state_ptr<float>(c.s[0]),
                                       state_ptr<float>(c.s[1]), state_ptr<float>(c.s[2]), n, sp));
  } else {
    SPAIC_DISPATCH_TO(c.param.device(), first,
                      opt_check<double>(c.p, c.param.ptr<double>(), c.grad.ptr<double>(), state_ptr<double>(c.s[0]),
                                        state_ptr<double>(c.s[1]), state_ptr<double>(c.s[2]), n, sp));
  }
  return first;
}

// optCheck(algo, scalars, param, grad, s0, s1, s2): the index of the first element the step would
// leave non-finite, or -1. Reads only.
Napi::Value OptCheck(const Napi::CallbackInfo& info) {
  const i64 first = check(parse_step(info));
  return Napi::Number::New(info.Env(), static_cast<double>(first));
}

Napi::Value OptStep(const Napi::CallbackInfo& info) {
  execute(parse_step(info));
  return info.Env().Undefined();
}

Napi::Value OptStepAsync(const Napi::CallbackInfo& info) {
  StepCall c = parse_step(info);  // the tensor copies keep the storage alive until the job ends
  return run_async(info.Env(), [c]() {
    execute(c);
    if (c.param.device().is_cuda()) gpu::synchronize(c.param.device().index);
  });
}

struct SparseCall {
  OptStepParams p;
  const Tensor* param;
  const Tensor* values;
  const Tensor* m;
  const Tensor* v;
  SparseRows r;
};

// Reads and checks (scalars, param, values, rows, order, offsets, expAvg, expAvgSq).
SparseCall parse_sparse(const Napi::CallbackInfo& info) {
  OptStepParams p = read_params(obj_arg(info, 0, "scalars"), OptAlgo::Adam);
  const Tensor& param = tensor_arg(info, 1, "param");
  const Tensor& values = tensor_arg(info, 2, "values");
  const Tensor& rows = tensor_arg(info, 3, "rows");
  const Tensor& order = tensor_arg(info, 4, "order");
  const Tensor& offsets = tensor_arg(info, 5, "offsets");
  const Tensor& m = tensor_arg(info, 6, "expAvg");
  const Tensor& v = tensor_arg(info, 7, "expAvgSq");
  check_float(param, "param");
  SPAIC_CHECK(!param.shape.empty(), Shape, "param", "SparseAdam needs a parameter with at least one dimension");
  check_dtype(values, param.dtype, "values");
  check_dtype(m, param.dtype, "expAvg");
  check_dtype(v, param.dtype, "expAvgSq");
  check_dtype(rows, DType::I32, "rows");
  check_dtype(order, DType::I32, "order");
  check_dtype(offsets, DType::I32, "offsets");
  check_numel(m, param.numel(), "expAvg");
  check_numel(v, param.numel(), "expAvgSq");
  const Tensor* all[] = {&values, &rows, &order, &offsets, &m, &v};
  const char* names[] = {"values", "rows", "order", "offsets", "expAvg", "expAvgSq"};
  for (int k = 0; k < 6; ++k) check_same_device(param, "param", *all[k], names[k]);
  const i64 row_len = param.shape[0] == 0 ? 0 : param.numel() / param.shape[0];
  const i64 nnz = order.numel();
  SPAIC_CHECK(offsets.numel() == rows.numel() + 1, Shape, "offsets", "Expected ", rows.numel() + 1,
              " elements for offsets but received ", offsets.numel());
  check_numel(values, nnz * row_len, "values");
  // Index lists are checked on the host (they are small); the kernel then trusts them.
  SparseRows r;
  r.nu = rows.numel();
  r.row_len = row_len;
  {
    // Device index lists are copied to the host for the check (an out-of-range index would make the
    // kernel read outside the buffers).
    auto host = [](const Tensor& t) {
      if (t.device().is_cpu() || t.numel() == 0) return t;
      Tensor h = make_tensor(t.dtype, t.shape, Device{}, false);
      copy_bytes(h, t);
      return h;
    };
    const Tensor hr = host(rows), ho = host(order), hf = host(offsets);
    const std::int32_t* ro = hr.ptr<std::int32_t>();
    const std::int32_t* od = ho.ptr<std::int32_t>();
    const std::int32_t* of = hf.ptr<std::int32_t>();
    SPAIC_CHECK(r.nu == 0 || (of[0] == 0 && of[r.nu] == nnz), InvalidArgument, "offsets",
                "offsets must start at 0 and end at ", nnz);
    for (i64 j = 0; j < r.nu; ++j) {
      SPAIC_CHECK(ro[j] >= 0 && ro[j] < param.shape[0], InvalidArgument, "rows", "row index ", ro[j],
                  " is out of range [0, ", param.shape[0], ")");
      SPAIC_CHECK(of[j] < of[j + 1], InvalidArgument, "offsets", "offsets must be strictly increasing");
    }
    for (i64 k = 0; k < nnz; ++k) {
      SPAIC_CHECK(od[k] >= 0 && od[k] < nnz, InvalidArgument, "order", "order entry ", od[k], " is out of range [0, ",
                  nnz, ")");
    }
  }
  r.rows = rows.ptr<std::int32_t>();
  r.order = order.ptr<std::int32_t>();
  r.offsets = offsets.ptr<std::int32_t>();
  return SparseCall{p, &param, &values, &m, &v, r};
}

// sparseAdamStep(scalars, param, values, rows, order, offsets, expAvg, expAvgSq)
Napi::Value SparseAdamStep(const Napi::CallbackInfo& info) {
  const SparseCall c = parse_sparse(info);
  const Tensor& param = *c.param;
  if (param.dtype == DType::F32) {
    SPAIC_DISPATCH(param.device(), sparse_adam_step<float>(c.p, param.ptr<float>(), c.values->ptr<float>(), c.r,
                                                           c.m->ptr<float>(), c.v->ptr<float>()));
  } else {
    SPAIC_DISPATCH(param.device(), sparse_adam_step<double>(c.p, param.ptr<double>(), c.values->ptr<double>(), c.r,
                                                            c.m->ptr<double>(), c.v->ptr<double>()));
  }
  return info.Env().Undefined();
}

// sparseAdamCheck(same arguments): the index into param of the first element the step would leave
// non-finite, or -1. Reads only.
Napi::Value SparseAdamCheck(const Napi::CallbackInfo& info) {
  const SparseCall c = parse_sparse(info);
  const Tensor& param = *c.param;
  const Tensor scratch = check_scratch(param);
  void* sp = scratch.storage ? scratch.raw() : nullptr;
  i64 first = -1;
  if (param.dtype == DType::F32) {
    SPAIC_DISPATCH_TO(param.device(), first,
                      sparse_adam_check<float>(c.p, param.ptr<float>(), c.values->ptr<float>(), c.r, c.m->ptr<float>(),
                                               c.v->ptr<float>(), sp));
  } else {
    SPAIC_DISPATCH_TO(param.device(), first,
                      sparse_adam_check<double>(c.p, param.ptr<double>(), c.values->ptr<double>(), c.r,
                                                c.m->ptr<double>(), c.v->ptr<double>(), sp));
  }
  return Napi::Number::New(info.Env(), static_cast<double>(first));
}

}  // namespace

void register_opt_step(Napi::Object exports) {
  SPAIC_EXPORT(exports, "optStep", OptStep);
  SPAIC_EXPORT(exports, "optStepAsync", OptStepAsync);
  SPAIC_EXPORT(exports, "sparseAdamStep", SparseAdamStep);
  SPAIC_EXPORT(exports, "optCheck", OptCheck);
  SPAIC_EXPORT(exports, "sparseAdamCheck", SparseAdamCheck);
}

}  // namespace spaic::binding

// binding/neuron-step.cpp - neuronForward / neuronBackward (+ Async): argument checks, then
// spaic::cpu|cuda::neuron_* (spaic/neuron-step.h).
//
//   neuronForward(model, params, surrogate, alphaVec|null, input, spikes, spikeBits|null, savedV|null,
//                 savedMask|null, ...state)
//   neuronBackward(model, params, surrogate, alphaVec|null, gradSpikes, spikeBits, savedV|null,
//                  savedMask|null, input|null, gradInput, gradV0|null)
// params: { v_th, decay, decay_p, decay_q, v0, constant_decay, v_reset, v_rest, th_inc, decay_th, and the
// diehlAndCook integers }; surrogate: { kind, alpha, normalized } (kind -1: plain '>' threshold).
// State tensors, in order: lif/if/lifstdp_ih V; clif M, S, E; lifstdp_ex V, theta, Vth_theta;
// diehlAndCook V, refrac ([B, N] int32), thresh ([N] int32).
#include <cmath>
#include <cstdint>

#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/neuron-step.h"
#include "spaic/params/neuron-step.h"

namespace spaic::binding {

namespace {

const Tensor* opt_tensor(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return &tensor_arg(info, i, name);
}

int state_count(NeuronModel m) {
  switch (m) {
    case NeuronModel::CLIF:
    case NeuronModel::LifStdpEx:
    case NeuronModel::DiehlAndCook: return 3;
    default: return 1;
  }
}

const char* state_name(NeuronModel m, int k) {
  static const char* clif[] = {"state.M", "state.S", "state.E"};
  static const char* ex[] = {"state.V", "state.theta", "state.Vth_theta"};
  static const char* dc[] = {"state.V", "state.refrac", "state.thresh"};
  if (m == NeuronModel::CLIF) return clif[k];
  if (m == NeuronModel::LifStdpEx) return ex[k];
  if (m == NeuronModel::DiehlAndCook) return dc[k];
  return "state.V";
}

struct NeuronJob {
  NeuronParams p;
  int kind = kNoSurrogate;
  bool normalized = false;
  double alpha = 0.5;
  Tensor alpha_vec;
  bool has_alpha_vec = false;
  DType dtype = DType::F32;
  Device dev;
  // forward
  Tensor input, spikes, spike_bits, saved_v, saved_mask, state[3];
  bool has_bits = false, has_saved_v = false, has_saved_mask = false, has_input = false;
  // backward
  Tensor grad_spikes, grad_input, grad_v0;
  bool has_grad_v0 = false;
};

void parse_head(const Napi::CallbackInfo& info, NeuronJob& j) {
  const i64 m = int_arg(info, 0, "model");
  SPAIC_CHECK(m >= 0 && m < kNeuronModelCount, InvalidArgument, "model", "unknown neuron model code ", m);
  j.p.model = static_cast<NeuronModel>(m);
  read_params(obj_arg(info, 1, "params"), "params.", params::kNeuron, j.p);
  const DiehlCookParams& dc = j.p.dc;
  SPAIC_CHECK(
      dc.shift_voltage >= 0 && dc.shift_voltage < 31 && dc.shift_weight_sum_coef >= 0 && dc.shift_weight_sum_coef < 31,
      InvalidArgument, "params.shift_voltage", "shifts must lie in [0, 30]");
  Napi::Object sg = obj_arg(info, 2, "surrogate");
  const double kind = num_field(sg, "kind", "surrogate");
  SPAIC_CHECK(kind == std::floor(kind) && kind >= kNoSurrogate && kind < kSurrogateCount, InvalidArgument, "surrogate",
              "unknown surrogate code ", kind);
  j.kind = static_cast<int>(kind);
  j.alpha = num_field_or(sg, "alpha", 0.5, "surrogate.alpha");
  SPAIC_CHECK(std::isfinite(j.alpha), InvalidArgument, "surrogate.alpha",
              "Expected a finite number for alpha but received ", j.alpha);
  Napi::Value norm = sg.Get("normalized");
  j.normalized = norm.IsBoolean() && norm.As<Napi::Boolean>().Value();
  SPAIC_CHECK(
      !j.normalized || j.kind == static_cast<int>(Surrogate::STCA) || j.kind == static_cast<int>(Surrogate::STBP),
      InvalidArgument, "surrogate.normalized", "the normalised variant exists for STCA and STBP only");
}

// Checks a [steps, batch, n] tensor (shape given by `ref`) or a bit tensor of steps*words int32.
void check_like(const Tensor& t, const Tensor& ref, DType dtype, const char* name) {
  check_same_device(ref, "input", t, name);
  check_dtype(t, dtype, name);
  check_numel(t, ref.numel(), name);
}

void check_bits(const Tensor& t, const Tensor& ref, i64 steps, i64 bn, const char* name) {
  check_same_device(ref, "input", t, name);
  check_dtype(t, DType::I32, name);
  check_numel(t, steps * bit_words(bn), name);
}

void set_dims(NeuronJob& j, const Tensor& ref, const char* name) {
  SPAIC_CHECK(ref.shape.size() == 3, Shape, name, "Expected a [T, B, N] tensor for ", name, " but received shape ",
              shape_str(ref.shape));
  check_float(ref, name);
  j.p.steps = ref.shape[0];
  j.p.batch = ref.shape[1];
  j.p.n = ref.shape[2];
  j.dtype = ref.dtype;
  j.dev = ref.device();
}

void parse_alpha_vec(const Napi::CallbackInfo& info, NeuronJob& j, const Tensor& ref) {
  if (const Tensor* a = opt_tensor(info, 3, "surrogate.alpha")) {
    check_same_device(ref, "input", *a, "surrogate.alpha");
    check_dtype(*a, j.dtype, "surrogate.alpha");
    check_numel(*a, j.p.n, "surrogate.alpha");
    j.alpha_vec = *a;
    j.has_alpha_vec = true;
  }
}

bool is_bptt_model(NeuronModel m) { return m == NeuronModel::LIF || m == NeuronModel::IF || m == NeuronModel::CLIF; }

NeuronJob parse_forward(const Napi::CallbackInfo& info) {
  NeuronJob j;
  parse_head(info, j);
  j.input = tensor_arg(info, 4, "input");
  set_dims(j, j.input, "input");
  parse_alpha_vec(info, j, j.input);
  const bool dc = j.p.model == NeuronModel::DiehlAndCook;
  const i64 bn = j.p.batch * j.p.n;
  j.spikes = tensor_arg(info, 5, "spikes");
  // float spikes of the input's dtype, or uint8 (a quarter of the memory traffic for what reads them)
  check_like(j.spikes, j.input, dc ? DType::I32 : j.spikes.dtype == DType::U8 ? DType::U8 : j.dtype, "spikes");
  if (const Tensor* b = opt_tensor(info, 6, "spikeBits")) {
    check_bits(*b, j.input, j.p.steps, bn, "spikeBits");
    j.spike_bits = *b;
    j.has_bits = true;
  }
  const Tensor* sv = opt_tensor(info, 7, "savedV");
  const Tensor* sm = opt_tensor(info, 8, "savedMask");
  SPAIC_CHECK(!(sv && sm), InvalidArgument, "save", "save either the membrane or the surrogate mask, not both");
  SPAIC_CHECK(!(sv || sm) || is_bptt_model(j.p.model), InvalidArgument, "save",
              "only lif, if and clif save state for backward");
  if (sv) {
    check_like(*sv, j.input, j.dtype, "savedV");
    j.saved_v = *sv;
    j.has_saved_v = true;
  }
  if (sm) {
    SPAIC_CHECK(
        j.kind != kNoSurrogate && surrogate_is_binary(j.kind), InvalidArgument, "save",
        "the 1-bit mask needs a surrogate whose derivative is a window (STCA, RectangleGrad, GateGrad, ReLUGrad, "
        "straight_through_estimator)");
    check_bits(*sm, j.input, j.p.steps, bn, "savedMask");
    j.saved_mask = *sm;
    j.has_saved_mask = true;
  }
  const int ns = state_count(j.p.model);
  SPAIC_CHECK(info.Length() >= static_cast<size_t>(9 + ns), InvalidArgument, "state", "Expected ", ns,
              " state tensors for this model");
  for (int k = 0; k < ns; ++k) {
    const char* name = state_name(j.p.model, k);
    j.state[k] = tensor_arg(info, 9 + k, name);
    check_same_device(j.input, "input", j.state[k], name);
    if (dc) {
      check_dtype(j.state[k], DType::I32, name);
      check_numel(j.state[k], k == 2 ? j.p.n : bn, name);
    } else {
      check_dtype(j.state[k], j.dtype, name);
      check_numel(j.state[k], bn, name);
    }
  }
  return j;
}

template <typename T>
SurrogateArgs<T> surrogate_of(const NeuronJob& j) {
  SurrogateArgs<T> s;
  s.kind = j.kind;
  s.normalized = j.normalized;
  s.alpha = static_cast<T>(j.alpha);
  s.alpha_per_neuron = j.has_alpha_vec ? j.alpha_vec.ptr<T>() : nullptr;
  return s;
}

template <typename T>
void forward_typed(const NeuronJob& j) {
  NeuronState<T> st;
  NeuronForwardOut<T> out;
  switch (j.p.model) {
    case NeuronModel::CLIF:
      st.m = j.state[0].ptr<T>();
      st.s = j.state[1].ptr<T>();
      st.e = j.state[2].ptr<T>();
      break;
    case NeuronModel::LifStdpEx:
      st.v = j.state[0].ptr<T>();
      st.theta = j.state[1].ptr<T>();
      st.vth_theta = j.state[2].ptr<T>();
      break;
    case NeuronModel::DiehlAndCook:
      st.iv = j.state[0].ptr<int32_t>();
      st.refrac = j.state[1].ptr<int32_t>();
      st.thresh = j.state[2].ptr<int32_t>();
      break;
    default: st.v = j.state[0].ptr<T>(); break;
  }
  if (j.p.model == NeuronModel::DiehlAndCook) out.spikes_i32 = j.spikes.ptr<int32_t>();
  else if (j.spikes.dtype == DType::U8) out.spikes_u8 = j.spikes.ptr<uint8_t>();
  else out.spikes = j.spikes.ptr<T>();
  out.spike_bits = j.has_bits ? j.spike_bits.ptr<uint32_t>() : nullptr;
  out.saved_v = j.has_saved_v ? j.saved_v.ptr<T>() : nullptr;
  out.saved_mask = j.has_saved_mask ? j.saved_mask.ptr<uint32_t>() : nullptr;
  SPAIC_DISPATCH(j.dev, neuron_forward<T>(j.p, surrogate_of<T>(j), j.input.ptr<T>(), st, out));
}

void run_forward(const NeuronJob& j) {
  if (j.dtype == DType::F32) forward_typed<float>(j);
  else forward_typed<double>(j);
}

NeuronJob parse_backward(const Napi::CallbackInfo& info) {
  NeuronJob j;
  parse_head(info, j);
  SPAIC_CHECK(is_bptt_model(j.p.model), InvalidArgument, "model",
              "backward through time is defined for lif, if and clif only");
  SPAIC_CHECK(j.kind != kNoSurrogate, InvalidArgument, "surrogate", "backward needs a surrogate");
  j.grad_spikes = tensor_arg(info, 4, "gradSpikes");
  set_dims(j, j.grad_spikes, "gradSpikes");
  parse_alpha_vec(info, j, j.grad_spikes);
  const i64 bn = j.p.batch * j.p.n;
  j.spike_bits = tensor_arg(info, 5, "spikeBits");
  check_bits(j.spike_bits, j.grad_spikes, j.p.steps, bn, "spikeBits");
  j.has_bits = true;
  const Tensor* sv = opt_tensor(info, 6, "savedV");
  const Tensor* sm = opt_tensor(info, 7, "savedMask");
  SPAIC_CHECK((sv != nullptr) != (sm != nullptr), InvalidArgument, "saved",
              "Expected exactly one of the saved membrane and the saved surrogate mask");
  if (sv) {
    check_like(*sv, j.grad_spikes, j.dtype, "savedV");
    j.saved_v = *sv;
    j.has_saved_v = true;
  } else {
    SPAIC_CHECK(surrogate_is_binary(j.kind), InvalidArgument, "surrogate",
                "the saved 1-bit mask only serves the surrogate it was made with (a window surrogate)");
    check_bits(*sm, j.grad_spikes, j.p.steps, bn, "savedMask");
    j.saved_mask = *sm;
    j.has_saved_mask = true;
  }
  if (const Tensor* in = opt_tensor(info, 8, "input")) {
    check_like(*in, j.grad_spikes, j.dtype, "input");
    j.input = *in;
    j.has_input = true;
  }
  j.grad_input = tensor_arg(info, 9, "gradInput");
  check_like(j.grad_input, j.grad_spikes, j.dtype, "gradInput");
  if (const Tensor* g = opt_tensor(info, 10, "gradV0")) {
    SPAIC_CHECK(j.p.model == NeuronModel::CLIF, InvalidArgument, "gradV0", "only clif has the parameter V0");
    SPAIC_CHECK(j.has_input, InvalidArgument, "input", "dL/dV0 needs the forward's input current");
    check_same_device(j.grad_spikes, "gradSpikes", *g, "gradV0");
    check_dtype(*g, j.dtype, "gradV0");
    check_numel(*g, 1, "gradV0");
    j.grad_v0 = *g;
    j.has_grad_v0 = true;
  }
  return j;
}

template <typename T>
void backward_typed(const NeuronJob& j) {
  NeuronBackwardArgs<T> a;
  a.grad_spikes = j.grad_spikes.ptr<T>();
  a.spike_bits = j.spike_bits.ptr<uint32_t>();
  a.saved_v = j.has_saved_v ? j.saved_v.ptr<T>() : nullptr;
  a.saved_mask = j.has_saved_mask ? j.saved_mask.ptr<uint32_t>() : nullptr;
  a.input = j.has_input ? j.input.ptr<T>() : nullptr;
  a.grad_input = j.grad_input.ptr<T>();
  a.grad_v0 = j.has_grad_v0 ? j.grad_v0.ptr<T>() : nullptr;
  SPAIC_DISPATCH(j.dev, neuron_backward<T>(j.p, surrogate_of<T>(j), a));
}

void run_backward(const NeuronJob& j) {
  if (j.dtype == DType::F32) backward_typed<float>(j);
  else backward_typed<double>(j);
}

void finish(const NeuronJob& j) {
  if (j.dev.is_cuda()) gpu::synchronize(j.dev.index);
}

Napi::Value NeuronForward(const Napi::CallbackInfo& info) {
  run_forward(parse_forward(info));
  return info.Env().Undefined();
}

Napi::Value NeuronForwardAsync(const Napi::CallbackInfo& info) {
  NeuronJob j = parse_forward(info);
  return run_async(info.Env(), [j]() {
    run_forward(j);
    finish(j);
  });
}

Napi::Value NeuronBackward(const Napi::CallbackInfo& info) {
  run_backward(parse_backward(info));
  return info.Env().Undefined();
}

Napi::Value NeuronBackwardAsync(const Napi::CallbackInfo& info) {
  NeuronJob j = parse_backward(info);
  return run_async(info.Env(), [j]() {
    run_backward(j);
    finish(j);
  });
}

// neuronCountBits(bits): the number of set bits of an int32 tensor (the spikes a forward produced).
Napi::Value NeuronCountBits(const Napi::CallbackInfo& info) {
  const Tensor& b = tensor_arg(info, 0, "spikeBits");
  check_dtype(b, DType::I32, "spikeBits");
  int64_t c = 0;
  const Device dev = b.device();
  if (dev.is_cpu()) {
    c = cpu::count_bits(b.ptr<uint32_t>(), b.numel(), nullptr);
  } else {
    use_device(dev);
    const Tensor total = make_tensor(DType::U8, {8}, dev, false);  // from the caching allocator
    SPAIC_CUDA_ONLY(c = cuda::count_bits(b.ptr<uint32_t>(), b.numel(), total.raw()));
  }
  return Napi::Number::New(info.Env(), static_cast<double>(c));
}

}  // namespace

void register_neuron_step(Napi::Object exports) {
  SPAIC_EXPORT(exports, "neuronCountBits", NeuronCountBits);
  SPAIC_EXPORT(exports, "neuronForward", NeuronForward);
  SPAIC_EXPORT(exports, "neuronForwardAsync", NeuronForwardAsync);
  SPAIC_EXPORT(exports, "neuronBackward", NeuronBackward);
  SPAIC_EXPORT(exports, "neuronBackwardAsync", NeuronBackwardAsync);
}

}  // namespace spaic::binding

// core/ops/neuron.cpp - the neuron steps (neuron_lif, neuron_if, neuron_clif, neuron_lifstdp_ex/_ih,
// neuron_diehl_and_cook).
#include <string>
#include <utility>

#include "core/op-base.h"
#include "spaic/neuron-step.h"
#include "spaic/ops.h"
#include "spaic/params/neuron-step.h"

namespace spaic::ops {

namespace {

template <typename T>
struct NeuronOp : OpBase {
  NeuronModel model;
  NeuronParams np;
  SlotRef in, out_o, out_v, out_i, v0ref;
  std::vector<std::pair<std::string, SlotRef>> states;  // kernel order
  double v0 = 1.0;
  NeuronOp(const OpDesc& od, Program& p, NeuronModel m)
      : OpBase(od, p.device()), model(m), in(ref("Isyn")), out_o(ref("O")) {
    check_slot_dtype(p, in, p.dtype(), d, "Isyn");
    const bool dc = m == NeuronModel::DiehlAndCook;
    check_slot_dtype(p, out_o, dc ? DType::I32 : p.dtype(), d, "O");
    np.model = m;
    read_params(params::kNeuron, np);
    std::vector<const char*> names;
    switch (m) {
      case NeuronModel::CLIF: names = {"M", "S", "E"}; break;
      case NeuronModel::LifStdpEx: names = {"V", "theta", "Vth_theta"}; break;
      case NeuronModel::DiehlAndCook: names = {"V", "refrac", "thresh"}; break;
      default: names = {"V"}; break;
    }
    for (const char* nm : names) {
      SlotRef r = ref(nm);
      check_slot_dtype(p, r, dc ? DType::I32 : p.dtype(), d, nm);
      states.emplace_back(nm, r);
    }
    if (m == NeuronModel::CLIF) {
      out_v = ref("V", false);
      out_i = ref("I", false);
      v0ref = ref("V0");
    } else if (m == NeuronModel::LIF || m == NeuronModel::IF) {
      // optional: the pre-reset potential Vtemp, the value the threshold compared (a learner that reads it,
      // such as tempotron with potential 'pre_reset', adds this write)
      out_v = ref("Vtemp", false);
      if (out_v.ok()) check_slot_dtype(p, out_v, p.dtype(), d, "Vtemp");
    }
  }
  void start(Program& p) override {
    if (v0ref.ok()) v0 = host_scalar(p.read(SlotRef{v0ref.slot, false, WriteMode::None}));
    np.v0 = v0;
  }
  void step(Program& p) override {
    np.steps = 1;
    np.batch = p.batch();
    np.n = per_sample(p, out_o);
    const Tensor& x = p.read(in);
    NeuronState<T> st;
    void* ptrs[3] = {nullptr, nullptr, nullptr};
    int ns = 0;
    for (auto& [nm, r] : states) {
      SlotRef rd = r;
      rd.cur = false;
      const Tensor& prev = p.read(rd);
      const Tensor& work = p.write(r);
      dcopy(dev, work.raw(), prev.raw(), prev.bytes());
      ptrs[ns++] = work.raw();
    }
    switch (model) {
      case NeuronModel::CLIF:
        st.m = static_cast<T*>(ptrs[0]);
        st.s = static_cast<T*>(ptrs[1]);
        st.e = static_cast<T*>(ptrs[2]);
        break;
      case NeuronModel::LifStdpEx:
        st.v = static_cast<T*>(ptrs[0]);
        st.theta = static_cast<T*>(ptrs[1]);
        st.vth_theta = static_cast<T*>(ptrs[2]);
        break;
      case NeuronModel::DiehlAndCook:
        st.iv = static_cast<int32_t*>(ptrs[0]);
        st.refrac = static_cast<int32_t*>(ptrs[1]);
        st.thresh = static_cast<int32_t*>(ptrs[2]);
        break;
      default: st.v = static_cast<T*>(ptrs[0]); break;
    }
    NeuronForwardOut<T> o;
    const Tensor& spikes = p.write(out_o);
    if (model == NeuronModel::DiehlAndCook) o.spikes_i32 = spikes.ptr<int32_t>();
    else o.spikes = spikes.ptr<T>();
    if (out_v.ok()) o.saved_v = p.write(out_v).ptr<T>();
    SurrogateArgs<T> sg;
    SPAIC_DISPATCH(dev, neuron_forward<T>(np, sg, x.ptr<T>(), st, o));
    if (out_i.ok()) {
      const Tensor& iw = p.write(out_i);
      SPAIC_DISPATCH(dev,
                     binary_scalar<T>(BinaryOp::Mul, x.ptr<T>(), static_cast<T>(v0), iw.ptr<T>(), iw.numel(), true));
    }
  }
};

const OpRegistrar kRegistered[] = {
    {"neuron_lif", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<NeuronOp>(d, p, NeuronModel::LIF); }},
    {"neuron_if", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<NeuronOp>(d, p, NeuronModel::IF); }},
    {"neuron_clif", [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<NeuronOp>(d, p, NeuronModel::CLIF); }},
    {"neuron_lifstdp_ex",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<NeuronOp>(d, p, NeuronModel::LifStdpEx); }},
    {"neuron_lifstdp_ih",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<NeuronOp>(d, p, NeuronModel::LifStdpIh); }},
    {"neuron_diehl_and_cook",
     [](const OpDesc& d, Program& p) -> OpPtr { return make_typed<NeuronOp>(d, p, NeuronModel::DiehlAndCook); }},
};

}  // namespace

}  // namespace spaic::ops

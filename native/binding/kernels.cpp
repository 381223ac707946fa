// binding/kernels.cpp - registers the op families the learners use. Each family lives in its own
// binding/<stem>.cpp (the STDP family in two: its kernels and its rule steps) and adds a line here.
#include "binding/napi-util.h"

namespace spaic::binding {

void register_stdp_trace(Napi::Object exports);
void register_stdp_trace_rules(Napi::Object exports);
void register_rng(Napi::Object exports);
void register_synapse(Napi::Object exports);
void register_conv2d(Napi::Object exports);
void register_opt_step(Napi::Object exports);
void register_surrogate_spike(Napi::Object exports);
void register_neuron_step(Napi::Object exports);
void register_program(Napi::Object exports);

void register_kernels(Napi::Object exports) {
  register_stdp_trace(exports);
  register_stdp_trace_rules(exports);
  register_rng(exports);
  register_synapse(exports);
  register_conv2d(exports);
  register_opt_step(exports);
  register_surrogate_spike(exports);
  register_neuron_step(exports);
  register_program(exports);
}

}  // namespace spaic::binding

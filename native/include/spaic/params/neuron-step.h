// spaic/params/neuron-step.h - the named parameters of NeuronParams (spaic/params.h): one row a field,
// read by the binding (binding/neuron-step.cpp, params.<name>) and by the program's neuron ops
// (core/ops/neuron.cpp). The two use the same names. No N-API here.
#pragma once

#include "spaic/neuron-step.h"
#include "spaic/params.h"

namespace spaic::params {

namespace detail {
inline constexpr DiehlCookParams kDiehlCook{};
}  // namespace detail

// Not here: the model and the sizes (from the call or the op), and clif's v0, which a program reads from
// its V0 slot. The diehlAndCook integers default to DiehlCookParams' values.
inline const Row<NeuronParams> kNeuron[] = {
    {"v_th", "v_th", 1.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, v_th)},
    {"decay", "decay", 1.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, decay)},
    {"decay_p", "decay_p", 1.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, decay_p)},
    {"decay_q", "decay_q", 1.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, decay_q)},
    {nullptr, "v0", 1.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, v0)},
    {"constant_decay", "constant_decay", 0.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, constant_decay)},
    {"v_reset", "v_reset", 0.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, v_reset)},
    {"v_rest", "v_rest", 0.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, v_rest)},
    {"th_inc", "th_inc", 0.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, th_inc)},
    {"decay_th", "decay_th", 1.0, Check::Finite, SPAIC_PARAM_FIELD(NeuronParams, decay_th)},
    {"max_threshold", "max_threshold", detail::kDiehlCook.max_threshold, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.max_threshold)},
    {"dc_decay", "dc_decay", detail::kDiehlCook.decay, Check::Int32, SPAIC_PARAM_FIELD(NeuronParams, dc.decay)},
    {"shift_voltage", "shift_voltage", detail::kDiehlCook.shift_voltage, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.shift_voltage)},
    {"weight_sum_coef", "weight_sum_coef", detail::kDiehlCook.weight_sum_coef, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.weight_sum_coef)},
    {"shift_weight_sum_coef", "shift_weight_sum_coef", detail::kDiehlCook.shift_weight_sum_coef, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.shift_weight_sum_coef)},
    {"weight_sum_min", "weight_sum_min", detail::kDiehlCook.weight_sum_min, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.weight_sum_min)},
    {"weight_sum_max", "weight_sum_max", detail::kDiehlCook.weight_sum_max, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.weight_sum_max)},
    {"dc_v_reset", "dc_v_reset", detail::kDiehlCook.v_reset, Check::Int32, SPAIC_PARAM_FIELD(NeuronParams, dc.v_reset)},
    {"dc_v_rest", "dc_v_rest", detail::kDiehlCook.v_rest, Check::Int32, SPAIC_PARAM_FIELD(NeuronParams, dc.v_rest)},
    {"reset_refrac", "reset_refrac", detail::kDiehlCook.reset_refrac, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.reset_refrac)},
    {"thresh_plus", "thresh_plus", detail::kDiehlCook.thresh_plus, Check::Int32,
     SPAIC_PARAM_FIELD(NeuronParams, dc.thresh_plus)},
    {"lbound", "lbound", detail::kDiehlCook.lbound, Check::Int32, SPAIC_PARAM_FIELD(NeuronParams, dc.lbound)},
};

}  // namespace spaic::params

// spaic/params/stdp-trace.h - the named parameters of the STDP family's structs (spaic/params.h): one row a
// field, read by the binding (binding/stdp-trace-rules.cpp, JS names) and by the program ops
// (core/ops/stdp-online.cpp, core/ops/stdp-meta.cpp, core/ops/stdp-int.cpp, the ops' names). No N-API here.
#pragma once

#include <cmath>

#include "spaic/params.h"
#include "spaic/stdp-trace.h"

namespace spaic::params {

inline constexpr const char* kTraceChoices[] = {"nearest", "full", nullptr};
inline constexpr const char* kPreTermChoices[] = {"add", "subtract", nullptr};      // pre_sign +1, -1
inline constexpr const char* kPathChoices[] = {"auto", "dense", "event", nullptr};  // DwPath's order

// The dense/event choice of the weight change, for any struct with a DwPath `path` (bindings only: a
// program op chooses the path from its device).
template <class P>
constexpr Row<P> path_row() {
  return {nullptr,
          "path",
          0,
          Check::Choice,
          [](P& p, double v, bool) { p.path = static_cast<DwPath>(static_cast<int>(v)); },
          kPathChoices};
}

// OnlineParams (nearest_online_stdp, full_online_stdp). Not here: the sizes (from the tensors or slots),
// and the program op's own switches (normalise 'step' | 'run' | 'none', kernel), which set `normalise`
// and `path` per step. Without a norm the binding's step does not normalise; clamping is on when a bound
// is finite.
inline const Row<OnlineParams> kOnline[] = {
    {"trace", "trace", 0, Check::Choice,
     [](OnlineParams& p, double v, bool) { p.trace = v == 0 ? TraceKind::Nearest : TraceKind::Full; }, kTraceChoices},
    {"pre_decay", "preDecay", 1.0, Check::Finite, SPAIC_PARAM_FIELD(OnlineParams, pre_decay)},
    {"post_decay", "postDecay", 1.0, Check::Finite, SPAIC_PARAM_FIELD(OnlineParams, post_decay)},
    {"Apost", "Apost", 0.01, Check::Finite, SPAIC_PARAM_FIELD(OnlineParams, a_post)},
    {"Apre", "Apre", 1e-4, Check::Finite, SPAIC_PARAM_FIELD(OnlineParams, a_pre)},
    {"immediate", "immediate", 0, Check::Flag, SPAIC_PARAM_FIELD(OnlineParams, immediate)},
    {"w_norm", "wNorm", 78.4, Check::FiniteOrNone,
     [](OnlineParams& p, double v, bool given) {
       p.w_norm = v;
       p.normalise = given;
     }},
    {"zero_rows_nan", "zeroRowsNan", 0, Check::Flag, SPAIC_PARAM_FIELD(OnlineParams, zero_rows_nan)},
    {"lo", "lo", -INFINITY, Check::Bound,
     [](OnlineParams& p, double v, bool) {
       p.lo = v;
       p.clamp = std::isfinite(p.lo) || std::isfinite(p.hi);
     }},
    {"hi", "hi", INFINITY, Check::Bound,
     [](OnlineParams& p, double v, bool) {
       p.hi = v;
       p.clamp = std::isfinite(p.lo) || std::isfinite(p.hi);
     }},
    path_row<OnlineParams>(),
};

// The bounds' order, which no single row can check (each reader words its own error).
inline bool bounds_ordered(const OnlineParams& p) { return p.lo <= p.hi; }

// MetaParams (meta_nearest_online_stdp), defaults SPAIC's. Not here: the sizes, and `init` (SPAIC's first
// call sets w_mean from W: the binding's flag; the program op does it in its build-time hook). The soft
// bounds are exp(-0.2/gap) with gap >= 1e-4, so both must be finite.
inline const Row<MetaParams> kMeta[] = {
    {"Apost", "Apost", 0.01, Check::Finite, SPAIC_PARAM_FIELD(MetaParams, a_post)},
    {"Apre", "Apre", 1e-4, Check::Finite, SPAIC_PARAM_FIELD(MetaParams, a_pre)},
    {"pre_decay", "preDecay", std::exp(-1.0 / 30), Check::Finite, SPAIC_PARAM_FIELD(MetaParams, pre_decay)},
    {"post_decay", "postDecay", std::exp(-1.0 / 200), Check::Finite, SPAIC_PARAM_FIELD(MetaParams, post_decay)},
    {"w_min", "wMin", 0.0, Check::Finite, SPAIC_PARAM_FIELD(MetaParams, w_min)},
    {"w_max", "wMax", 1.0, Check::Finite, SPAIC_PARAM_FIELD(MetaParams, w_max)},
    {nullptr, "init", 0, Check::Flag, SPAIC_PARAM_FIELD(MetaParams, init)},
    path_row<MetaParams>(),
};

inline bool bounds_ordered(const MetaParams& p) { return p.w_min <= p.w_max; }

namespace detail {
inline constexpr IntStdpParams kIntStdp{};
inline constexpr double kI32 = 2147483647.0;
template <int IsLo>
void set_int_bound(IntStdpParams& p, double v, bool) {
  const bool finite = std::isfinite(v);
  if (IsLo) {
    p.has_lo = finite;
    p.w_min = finite ? static_cast<std::int32_t>(v) : 0;
  } else {
    p.has_hi = finite;
    p.w_max = finite ? static_cast<std::int32_t>(v) : 0;
  }
}
}  // namespace detail

// IntStdpParams (postpreintstdp, §2.2.4), SPAIC's integer constants by default. Not here: the sizes (from
// the tensors or slots). The sign of the nu0 term is the op's pre_term ('add': +1, SPAIC's code;
// 'subtract': -1) and the binding's preSign (+-1). The draws' seed and counter are read by the binding
// only: a program op takes them from the program's random stream. A bound that is absent, null or
// infinite is no bound. What no row checks alone is in int_stdp_fault.
inline const Row<IntStdpParams> kIntStdp[] = {
    {"trace_decay", "trace_decay", static_cast<double>(detail::kIntStdp.trace_decay), Check::Int32,
     SPAIC_PARAM_FIELD(IntStdpParams, trace_decay), nullptr, 0, detail::kI32},
    {"shift_spike_trace", "shift_spike_trace", detail::kIntStdp.shift_trace, Check::Int32,
     SPAIC_PARAM_FIELD(IntStdpParams, shift_trace), nullptr, 0, 31},
    {"trace_scale", "trace_scale", detail::kIntStdp.trace_scale, Check::Int32,
     SPAIC_PARAM_FIELD(IntStdpParams, trace_scale)},
    {"max_threshold", "max_threshold", static_cast<double>(detail::kIntStdp.max_threshold), Check::Int32,
     SPAIC_PARAM_FIELD(IntStdpParams, max_threshold)},
    {"shift", "shift", detail::kIntStdp.shift, Check::Int32, SPAIC_PARAM_FIELD(IntStdpParams, shift), nullptr, 0, 30},
    {"nu0", "nu0", static_cast<double>(detail::kIntStdp.nu0), Check::Int32, SPAIC_PARAM_FIELD(IntStdpParams, nu0),
     nullptr, 0, 1 << 20},
    {"nu1", "nu1", static_cast<double>(detail::kIntStdp.nu1), Check::Int32, SPAIC_PARAM_FIELD(IntStdpParams, nu1),
     nullptr, 0, 1 << 20},
    {"pre_term", nullptr, 0, Check::Choice, [](IntStdpParams& p, double v, bool) { p.pre_sign = v == 0 ? 1 : -1; },
     kPreTermChoices},
    {nullptr, "preSign", detail::kIntStdp.pre_sign, Check::Int32, SPAIC_PARAM_FIELD(IntStdpParams, pre_sign), nullptr,
     -1, 1},
    {"w_min", "w_min", -INFINITY, Check::IntBound, detail::set_int_bound<1>, nullptr, -detail::kI32, detail::kI32},
    {"w_max", "w_max", INFINITY, Check::IntBound, detail::set_int_bound<0>, nullptr, -detail::kI32, detail::kI32},
    {nullptr, "seed", 0, Check::Int32, SPAIC_PARAM_FIELD(IntStdpParams, seed), nullptr, 0, 9007199254740991.0},
    {nullptr, "counter", 0, Check::Int32, SPAIC_PARAM_FIELD(IntStdpParams, counter), nullptr, 0, 9007199254740991.0},
};

// What no single row of kIntStdp can check: the sign is +-1 and the bounds are ordered. The first value at
// fault, by its op and JS names, and what was expected; all null when there is none.
struct Fault {
  const char* key = nullptr;
  const char* js = nullptr;
  const char* expected = nullptr;
};
inline Fault int_stdp_fault(const IntStdpParams& p) {
  if (p.pre_sign == 0) return {"pre_term", "preSign", "1 or -1"};
  if (p.has_lo && p.has_hi && p.w_min > p.w_max) return {"w_max", "w_max", "a bound >= w_min"};
  return {};
}

// RstdpParams (rstdp, rstdpet): the decays exp(-dt/tau) and rstdpet's factors (d_e = exp(-dt/tau_e_trace),
// m_e = dt/tau_e, lr here is lr*dt) come computed from the rule's options. Not here: the sizes, the
// reward's shape (from the reward tensor or slot) and `eligibility_trace` (the binding: an `et` tensor
// given; the op: its rule).
inline const Row<RstdpParams> kRstdp[] = {
    {"d_plus", "dPlus", 1.0, Check::Finite, SPAIC_PARAM_FIELD(RstdpParams, d_plus)},
    {"d_minus", "dMinus", 1.0, Check::Finite, SPAIC_PARAM_FIELD(RstdpParams, d_minus)},
    {"A_plus", "A_plus", 1.0, Check::Finite, SPAIC_PARAM_FIELD(RstdpParams, a_plus)},
    {"A_minus", "A_minus", -1.0, Check::Finite, SPAIC_PARAM_FIELD(RstdpParams, a_minus)},
    {"lr", "lr", 0.1, Check::Finite, SPAIC_PARAM_FIELD(RstdpParams, lr)},
    {"d_e", "dE", 1.0, Check::Finite, SPAIC_PARAM_FIELD(RstdpParams, d_e)},
    {"m_e", "mE", 0.0, Check::Finite, SPAIC_PARAM_FIELD(RstdpParams, m_e)},
    path_row<RstdpParams>(),
};

// SwitchParams (switch_rstdp). The bounds: absent or null is no bound (the rule's options choose SPAIC's
// [0, 0.1] or [w_min, w_max] and always give them).
inline const Row<SwitchParams> kSwitch[] = {
    {"pre_decay", "preDecay", std::exp(-1.0 / 20), Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, pre_decay)},
    {"post_decay", "postDecay", std::exp(-1.0 / 20), Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, post_decay)},
    {"Apost_pos", "Apost_pos", 5e-3, Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, apost_pos)},
    {"Apost_neg", "Apost_neg", -5e-3, Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, apost_neg)},
    {"Apre_pos", "Apre_pos", -4e-3, Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, apre_pos)},
    {"Apre_neg", "Apre_neg", 4e-3, Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, apre_neg)},
    {"lo", "lo", -INFINITY, Check::Bound, SPAIC_PARAM_FIELD(SwitchParams, lo)},
    {"hi", "hi", INFINITY, Check::Bound, SPAIC_PARAM_FIELD(SwitchParams, hi)},
    {"homeo_target", "homeoTarget", 0.0, Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, homeo_target)},
    {"homeo_rate", "homeoRate", 0.0, Check::Finite, SPAIC_PARAM_FIELD(SwitchParams, homeo_rate)},
    path_row<SwitchParams>(),
};

inline bool bounds_ordered(const SwitchParams& p) { return p.lo <= p.hi; }

// BpParams (bp_rstdp, bp_rstdpet; §2.3.6), read by the program ops of core/ops/stdp-bp.cpp only (no binding
// reads them). Defaults SPAIC's bp_rstdp values; bp_rstdpet's op carries its own. Not here: the sizes and
// the reward's layout (from the slots), `et` (the op's type) and the path (from the device).
inline const Row<BpParams> kBp[] = {
    {"lr", nullptr, 0.1, Check::Finite, SPAIC_PARAM_FIELD(BpParams, lr)},
    {"hs_r", nullptr, 0.01, Check::Finite, SPAIC_PARAM_FIELD(BpParams, hs_r)},
    {"A_plus", nullptr, 1.0, Check::Finite, SPAIC_PARAM_FIELD(BpParams, a_plus)},
    {"A_minus", nullptr, -0.4, Check::Finite, SPAIC_PARAM_FIELD(BpParams, a_minus)},
    {"et_decay", nullptr, 1.0, Check::Finite, SPAIC_PARAM_FIELD(BpParams, et_decay)},
};

// The shared group trace of the bp rules: its decay beta (the op's `decay`), x <- beta*x + (1 - beta)*s.
struct BpTraceParams {
  double decay = 1.0;
};
inline const Row<BpTraceParams> kBpTrace[] = {
    {"decay", nullptr, 1.0, Check::Finite, SPAIC_PARAM_FIELD(BpTraceParams, decay)},
};

// ConvStdpParams (conv2d_stdp, conv2d_rstdp; §2.3.4, §2.3.5), read by the program op of
// core/ops/stdp-conv.cpp only. The decays exp(-dt/tau) come computed from the rule's options. Not here: the
// conv geometry and sizes (from the connection and the slots) and `reward` (the op has a reward slot).
// Clamping is on when a bound is finite.
inline const Row<ConvStdpParams> kConvStdp[] = {
    {"d_plus", nullptr, 1.0, Check::Finite, SPAIC_PARAM_FIELD(ConvStdpParams, d_plus)},
    {"d_minus", nullptr, 1.0, Check::Finite, SPAIC_PARAM_FIELD(ConvStdpParams, d_minus)},
    {"A_plus", nullptr, 1.0, Check::Finite, SPAIC_PARAM_FIELD(ConvStdpParams, a_plus)},
    {"A_minus", nullptr, -1.0, Check::Finite, SPAIC_PARAM_FIELD(ConvStdpParams, a_minus)},
    {"lr", nullptr, 0.1, Check::Finite, SPAIC_PARAM_FIELD(ConvStdpParams, lr)},
    {"immediate", nullptr, 0, Check::Flag, SPAIC_PARAM_FIELD(ConvStdpParams, immediate)},
    {"lo", nullptr, -INFINITY, Check::Bound,
     [](ConvStdpParams& p, double v, bool) {
       p.lo = v;
       p.clamp = std::isfinite(p.lo) || std::isfinite(p.hi);
     }},
    {"hi", nullptr, INFINITY, Check::Bound,
     [](ConvStdpParams& p, double v, bool) {
       p.hi = v;
       p.clamp = std::isfinite(p.lo) || std::isfinite(p.hi);
     }},
    {"lateral_inhibition", nullptr, 0, Check::Flag, SPAIC_PARAM_FIELD(ConvStdpParams, inhibit)},
    {"wta", nullptr, 0, Check::Flag, SPAIC_PARAM_FIELD(ConvStdpParams, wta)},
};

inline bool bounds_ordered(const ConvStdpParams& p) { return p.lo <= p.hi; }

}  // namespace spaic::params

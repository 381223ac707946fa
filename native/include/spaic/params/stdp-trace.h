// spaic/params/stdp-trace.h - the named parameters of the STDP family's structs (spaic/params.h): one row a
// field, read by the binding (binding/stdp-trace-rules.cpp, JS names) and by the program ops
// (core/ops/stdp-online.cpp, core/ops/stdp-meta.cpp, the ops' names). No N-API here.
#pragma once

#include <cmath>

#include "spaic/params.h"
#include "spaic/stdp-trace.h"

namespace spaic::params {

inline constexpr const char* kTraceChoices[] = {"nearest", "full", nullptr};
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

}  // namespace spaic::params

// core/op-base.h - what the program ops (core/ops/*.cpp) share: OpBase (reading an op's slots and
// numbers), small device helpers, and the registry that maps an op type name to its factory.
// Internal to native/core (spaic/program.h is the executor's public face). No N-API here.
#pragma once

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spaic/device.h"
#include "spaic/dispatch.h"
#include "spaic/error.h"
#include "spaic/params.h"
#include "spaic/program.h"
#include "spaic/math/stdp-trace.h"
#include "spaic/tensor.h"

namespace spaic::ops {

inline i64 numel_of(const std::vector<i64>& s) {
  i64 n = 1;
  for (i64 d : s) n *= d;
  return n;
}

// dst[0 .. bytes) = src[0 .. bytes), both on `dev`.
inline void dcopy(Device dev, void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0 || dst == src) return;
  if (dev.is_cpu()) std::memcpy(dst, src, bytes);
  else gpu::copy_d2d(dev.index, dst, src, bytes);
}

inline void dzero(Device dev, void* dst, std::size_t bytes) {
  if (bytes == 0) return;
  if (dev.is_cpu()) std::memset(dst, 0, bytes);
  else gpu::memset0(dev.index, dst, bytes);
}

inline double host_scalar(const Tensor& t) {
  Tensor h = make_tensor(t.dtype, {1}, Device{}, false);
  Tensor one = t;
  one.shape = {1};
  copy_bytes(h, one);
  switch (t.dtype) {
    case DType::F32: return h.ptr<float>()[0];
    case DType::F64: return h.ptr<double>()[0];
    case DType::I32: return h.ptr<std::int32_t>()[0];
    case DType::U8: return h.ptr<std::uint8_t>()[0];
  }
  return 0;
}

struct OpBase : ProgramOp {
  const OpDesc& d;
  Device dev;
  explicit OpBase(const OpDesc& od, Device dv) : d(od), dev(dv) {}
  SlotRef ref(const char* role, bool required = true) const {
    auto it = d.refs.find(role);
    if (it == d.refs.end() || !it->second.ok()) {
      SPAIC_CHECK(!required, InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, " needs a '", role, "' slot");
      return SlotRef{};
    }
    return it->second;
  }
  double num(const char* key, double fallback) const {
    auto it = d.num.find(key);
    if (it == d.num.end()) return fallback;
    return it->second;
  }
  double finite(const char* key, double fallback) const {
    double v = num(key, fallback);
    SPAIC_CHECK(std::isfinite(v), InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, ": ", key,
                " must be a finite number, got ", v);
    return v;
  }
  std::string str(const char* key, const std::string& fallback) const {
    auto it = d.str.find(key);
    return it == d.str.end() ? fallback : it->second;
  }
  // Reads a params struct through its table (spaic/params/<family>.h), by the op's names.
  template <class P, std::size_t N>
  void read_params(const params::Row<P> (&rows)[N], P& p) const;
};

// The program op's side of spaic/params.h: values from OpDesc num/str, errors naming the op's owner.
class OpParams final : public params::Source {
 public:
  explicit OpParams(const OpBase& op) : Source(false), op_(op) {}
  bool number(const char* name, params::Check, double* v) override {
    auto it = op_.d.num.find(name);
    if (it == op_.d.num.end()) return false;
    *v = it->second;
    return true;
  }
  bool flag(const char* name, bool* v) override {
    double x = 0;
    if (!number(name, params::Check::Flag, &x)) return false;
    *v = x != 0;
    return true;
  }
  bool text(const char* name, const char* const*, std::string* v) override {
    auto it = op_.d.str.find(name);
    if (it == op_.d.str.end()) return false;
    *v = it->second;
    return true;
  }
  [[noreturn]] void bad(const char* name, params::Check c, double v, double lo, double hi) override {
    const OpDesc& d = op_.d;
    if ((c == params::Check::Int32 && !params::int32_range(lo, hi)) || c == params::Check::IntBound)
      SPAIC_FAIL(InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, ": ", name, " must be an integer in [",
                 static_cast<long long>(lo), ", ", static_cast<long long>(hi), "]",
                 c == params::Check::IntBound ? " or none" : "", ", got ", v);
    const char* what = c == params::Check::Int32   ? " must be an int32, got "
                       : c == params::Check::Bound ? " must be a number or null, got "
                                                   : " must be a finite number, got ";
    SPAIC_FAIL(InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, ": ", name, what, v);
  }
  [[noreturn]] void bad_choice(const char* name, const char* const* choices, const std::string& v) override {
    SPAIC_FAIL(InvalidArgument, op_.d.owner, op_.d.owner, ": ", name, " must be ", params::choice_list(choices),
               ", got '", v, "'");
  }

 private:
  const OpBase& op_;
};

template <class P, std::size_t N>
void OpBase::read_params(const params::Row<P> (&rows)[N], P& p) const {
  OpParams src(*this);
  params::read(rows, src, p);
}

inline void check_slot_dtype(const Program& p, const SlotRef& r, DType want, const OpDesc& d, const char* role) {
  const SlotDesc& s = p.desc().slots[static_cast<std::size_t>(r.slot)];
  SPAIC_CHECK(s.dtype == want, InvalidArgument, d.owner, "op '", d.type, "' of ", d.owner, ": its ", role, " slot '",
              s.name, "' is ", dtype_name(s.dtype), ", expected ", dtype_name(want));
}

inline i64 per_sample(const Program& p, const SlotRef& r) {
  const SlotDesc& s = p.desc().slots[static_cast<std::size_t>(r.slot)];
  return numel_of(s.shape);
}

// How a reward-modulated rule applies its reward, from the reward slot (core/ops/stdp-rstdp.cpp says the
// four cases), or a ShapeError naming the op's owner. `per_post_ok`: the rule takes a reward per post neuron.
inline RewardShape reward_shape_of(const Program& p, const SlotRef& r, i64 n_post, bool per_post_ok, const OpDesc& d) {
  const SlotDesc& s = p.desc().slots[static_cast<std::size_t>(r.slot)];
  const i64 n = numel_of(s.shape);
  if (n == 1) return s.batched ? RewardShape::PerSample : RewardShape::Scalar;
  SPAIC_CHECK(per_post_ok && n == n_post, Shape, d.owner, d.owner, ": its reward '", s.name, "' holds ", n, " values",
              s.batched ? " per sample" : "", "; expected one", per_post_ok ? " or one per post neuron (" : "",
              per_post_ok ? std::to_string(n_post) : std::string(), per_post_ok ? ")" : "",
              s.batched ? " per sample" : " (or one per sample)");
  return s.batched ? RewardShape::PerSamplePost : RewardShape::PerPost;
}

// ---- the registry: each op file registers its type names with a static OpRegistrar, e.g.
//   const OpRegistrar kRegistered[] = {{"monitor", [](const OpDesc& d, Program& p) -> OpPtr { ... }}};
// The registrars run when the addon is loaded: every op file is compiled straight into the addon (no
// static library between, whose unreferenced objects a linker could drop), and the table itself is a
// function-local static, so registration does not depend on the order in which files are initialised.

using OpPtr = std::unique_ptr<ProgramOp>;
using OpFactory = OpPtr (*)(const OpDesc&, Program&);

struct OpRegistrar {
  OpRegistrar(const char* type, OpFactory make);
};

// The factory registered for `type`, or null.
OpFactory find_op(const std::string& type);
// Every registered type name, sorted, comma-separated (for the unknown-op error).
std::string op_names();

// The program's dtype picks the op's element type.
template <template <typename> class Op, typename... A>
OpPtr make_typed(const OpDesc& d, Program& p, A... a) {
  if (p.dtype() == DType::F32) return std::make_unique<Op<float>>(d, p, a...);
  return std::make_unique<Op<double>>(d, p, a...);
}

}  // namespace spaic::ops

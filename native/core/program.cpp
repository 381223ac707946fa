// core/program.cpp - the program executor (spaic/program.h): slot buffers, the per-step sequence with
// SPAIC's prev/cur/commit semantics, and the op registry. The ops themselves live in core/ops/, one file
// per family, and call the kernels of the other families through SPAIC_DISPATCH. No N-API here.
#include "spaic/program.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <utility>

#include "core/op-base.h"
#include "spaic/device.h"
#include "spaic/dispatch.h"
#include "spaic/error.h"
#include "spaic/ops.h"

namespace spaic {

namespace ops {

namespace {

std::map<std::string, OpFactory>& registry() {
  static std::map<std::string, OpFactory> r;
  return r;
}

}  // namespace

OpRegistrar::OpRegistrar(const char* type, OpFactory make) { registry()[type] = make; }

OpFactory find_op(const std::string& type) {
  auto it = registry().find(type);
  return it == registry().end() ? nullptr : it->second;
}

std::string op_names() {
  std::string s;
  for (const auto& [name, make] : registry()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

}  // namespace ops

namespace {

using ops::dzero;
using ops::numel_of;

template <typename H>
void fill_host(std::vector<unsigned char>& out, const std::vector<double>& init, i64 per, i64 reps) {
  out.resize(static_cast<std::size_t>(per * reps) * sizeof(H));
  H* h = reinterpret_cast<H*>(out.data());
  for (i64 r = 0; r < reps; ++r)
    for (i64 k = 0; k < per; ++k)
      h[r * per + k] = static_cast<H>(init.size() == 1 ? init[0] : init[static_cast<std::size_t>(k)]);
}

// Writes `init` (one fill value, or `per` values repeated `reps` times) into t.
void upload_init(const Tensor& t, const std::vector<double>& init, i64 per, i64 reps) {
  if (t.numel() == 0) return;
  std::vector<unsigned char> host;
  switch (t.dtype) {
    case DType::F32: fill_host<float>(host, init, per, reps); break;
    case DType::F64: fill_host<double>(host, init, per, reps); break;
    case DType::I32: fill_host<std::int32_t>(host, init, per, reps); break;
    case DType::U8: fill_host<std::uint8_t>(host, init, per, reps); break;
  }
  if (t.device().is_cpu()) std::memcpy(t.raw(), host.data(), host.size());
  else gpu::copy_h2d(t.device().index, t.raw(), host.data(), host.size());
}

std::unique_ptr<ProgramOp> make_op(const OpDesc& d, Program& p) {
  const ops::OpFactory make = ops::find_op(d.type);
  SPAIC_CHECK(make != nullptr, InvalidArgument, d.owner, "op type '", d.type, "' (of ", d.owner,
              ") is not supported by the program executor; supported: ", ops::op_names());
  return make(d, p);
}

}  // namespace

// ---- Program

Program::Program(const ProgramDesc& desc) : desc_(desc), rng_(desc.rng) {
  SPAIC_CHECK(desc_.dtype == DType::F32 || desc_.dtype == DType::F64, InvalidArgument, "dtype",
              "program dtype must be float32 or float64");
  SPAIC_CHECK(std::isfinite(desc_.dt) && desc_.dt > 0, InvalidArgument, "dt", "dt must be a finite number > 0, got ",
              desc_.dt);
  SPAIC_CHECK(desc_.batch >= 1, InvalidArgument, "batch", "batch must be >= 1");
  const int ns = static_cast<int>(desc_.slots.size());
  for (const SlotDesc& s : desc_.slots) {
    const i64 per = numel_of(s.shape);
    SPAIC_CHECK(s.init.size() == 1 || static_cast<i64>(s.init.size()) == per, Shape, s.name, "slot '", s.name,
                "': ", s.init.size(), " initial values for ", per, " elements");
  }
  // Slots written with set/add during the step need a working buffer.
  for (OpDesc& o : desc_.ops) {
    for (auto& [role, r] : o.refs) {
      SPAIC_CHECK(r.slot >= -1 && r.slot < ns, InvalidArgument, o.owner, "op '", o.type, "' refers to slot ", r.slot,
                  " of ", ns);
      if (r.ok() && o.phase != OpPhase::Fetch && (r.mode == WriteMode::Set || r.mode == WriteMode::Add))
        desc_.slots[static_cast<std::size_t>(r.slot)].double_buffer = true;
      if (r.ok() && r.mode != WriteMode::None) {
        const SlotKind k = desc_.slots[static_cast<std::size_t>(r.slot)].kind;
        SPAIC_CHECK(k != SlotKind::Input && k != SlotKind::Const, InvalidArgument, o.owner, "op '", o.type, "' of ",
                    o.owner, " writes the ", k == SlotKind::Input ? "input" : "constant", " slot '",
                    desc_.slots[static_cast<std::size_t>(r.slot)].name, "'");
      }
    }
  }
  rt_.resize(desc_.slots.size());
  allocate(desc_.batch);
  for (int i = 0; i < ns; ++i) reset_slot(i);
  for (const OpDesc& o : desc_.ops) ops_.push_back(make_op(o, *this));
  for (auto& op : ops_) op->build(*this);
  ++clock_;
  for (int i = 0; i < ns; ++i) mark_all(i);
  if (desc_.device.is_cuda()) gpu::synchronize(desc_.device.index);
}

Program::~Program() = default;

std::vector<i64> Program::runtime_shape(int slot) const {
  const SlotDesc& s = desc_.slots[static_cast<std::size_t>(slot)];
  std::vector<i64> shape = s.shape;
  if (s.batched) shape.insert(shape.begin(), batch_);
  return shape;
}

i64 Program::slot_numel(int slot) const { return numel_of(runtime_shape(slot)); }

void Program::allocate(i64 batch) {
  const bool first = batch_ == 0;
  batch_ = batch;
  for (std::size_t i = 0; i < desc_.slots.size(); ++i) {
    const SlotDesc& s = desc_.slots[i];
    if (!first && !s.batched) continue;
    const std::vector<i64> shape = runtime_shape(static_cast<int>(i));
    SlotRt& r = rt_[i];
    r.committed = 0;
    if (s.kind == SlotKind::Input && s.per_step) {
      r.buf[0] = Tensor{};
      continue;
    }
    r.buf[0] = make_tensor(s.dtype, shape, desc_.device, true);
    r.buf[1] = s.double_buffer ? make_tensor(s.dtype, shape, desc_.device, true) : Tensor{};
    if (!first) reset_slot(static_cast<int>(i));
  }
}

void Program::reset_slot(int i) {
  const SlotDesc& s = desc_.slots[static_cast<std::size_t>(i)];
  SlotRt& r = rt_[static_cast<std::size_t>(i)];
  if (s.kind == SlotKind::Input) return;
  r.all_stamp = clock_;
  const Tensor& t = r.buf[r.committed];
  if (s.init.size() == 1) {  // a fill: no host buffer
    const double v = s.init[0];
    const i64 n = t.numel();
    if (n == 0) return;
    if (v == 0.0 && !std::signbit(v)) {
      dzero(desc_.device, t.raw(), t.bytes());
      return;
    }
    switch (t.dtype) {
      case DType::F32: SPAIC_DISPATCH(desc_.device, fill<float>(t.ptr<float>(), static_cast<float>(v), n)); break;
      case DType::F64: SPAIC_DISPATCH(desc_.device, fill<double>(t.ptr<double>(), v, n)); break;
      case DType::I32:
        SPAIC_DISPATCH(desc_.device, fill<std::int32_t>(t.ptr<std::int32_t>(), static_cast<std::int32_t>(v), n));
        break;
      case DType::U8:
        SPAIC_DISPATCH(desc_.device, fill<std::uint8_t>(t.ptr<std::uint8_t>(), static_cast<std::uint8_t>(v), n));
        break;
    }
    return;
  }
  const i64 per = numel_of(s.shape);
  upload_init(t, s.init, per, t.numel() / (per > 0 ? per : 1));
}

const Tensor& Program::committed(int slot) const {
  const SlotRt& r = rt_[static_cast<std::size_t>(slot)];
  if (r.have_input) return r.input;
  return r.buf[r.committed];
}

void Program::assign(int slot, const Tensor& src) {
  const Tensor& dst = committed(slot);
  SPAIC_CHECK(desc_.slots[static_cast<std::size_t>(slot)].kind != SlotKind::Input, InvalidArgument, "name", "slot '",
              desc_.slots[static_cast<std::size_t>(slot)].name, "' is an input: pass it to run()");
  SPAIC_CHECK(src.dtype == dst.dtype, InvalidArgument, "value", "Expected ", dtype_name(dst.dtype), " data for slot '",
              desc_.slots[static_cast<std::size_t>(slot)].name, "' but received ", dtype_name(src.dtype));
  SPAIC_CHECK(src.numel() == dst.numel(), Shape, "value", "Expected ", dst.numel(), " elements for slot '",
              desc_.slots[static_cast<std::size_t>(slot)].name, "' but received ", src.numel());
  copy_bytes(dst, src);
  ++clock_;
  mark_all(slot);
}

bool Program::has_record(int op) const {
  return op >= 0 && op < static_cast<int>(ops_.size()) && ops_[static_cast<std::size_t>(op)]->has_record();
}

Tensor Program::recorded(int op) const {
  SPAIC_CHECK(has_record(op), State, "name", "this monitor has recorded nothing yet: run the program first");
  return ops_[static_cast<std::size_t>(op)]->record();
}

const Tensor& Program::read(const SlotRef& r) const {
  const SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  if (s.have_input) return s.input;
  if (r.cur && s.written && s.buf[1 - s.committed].storage) return s.buf[1 - s.committed];
  return s.buf[s.committed];
}

const Tensor& Program::write_rows(const SlotRef& r) {
  SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  SPAIC_CHECK(r.mode == WriteMode::Update, Internal, "program", "write_rows is for in-place updates");
  return s.buf[s.committed];
}

void Program::mark_row(int slot, i64 row, i64 rows) {
  SlotRt& s = rt_[static_cast<std::size_t>(slot)];
  if (static_cast<i64>(s.row_stamp.size()) != rows) s.row_stamp.assign(static_cast<std::size_t>(rows), clock_);
  s.row_stamp[static_cast<std::size_t>(row)] = clock_;
}

const i64* Program::row_stamps(int slot, i64 rows) {
  SlotRt& s = rt_[static_cast<std::size_t>(slot)];
  if (static_cast<i64>(s.row_stamp.size()) != rows) s.row_stamp.assign(static_cast<std::size_t>(rows), clock_);
  return s.row_stamp.data();
}

const Tensor& Program::write(const SlotRef& r) {
  SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  s.all_stamp = clock_;
  if (r.mode == WriteMode::Update || !s.buf[1 - s.committed].storage) return s.buf[s.committed];
  s.written = true;
  return s.buf[1 - s.committed];
}

bool Program::accumulate(const SlotRef& r) const {
  const SlotRt& s = rt_[static_cast<std::size_t>(r.slot)];
  return r.mode != WriteMode::Update && s.written;
}

const Tensor& Program::input_data(int slot) const {
  const SlotRt& s = rt_[static_cast<std::size_t>(slot)];
  SPAIC_CHECK(s.have_input || s.buf[0].storage, InvalidArgument, desc_.slots[static_cast<std::size_t>(slot)].name,
              "input '", desc_.slots[static_cast<std::size_t>(slot)].name, "' was not given to run()");
  return s.have_input ? s.input : s.buf[0];
}

RngState Program::take_rng(std::uint64_t words) {
  RngState s = rng_;
  rng_.offset += words;
  return s;
}

void Program::start_run(const RunArgs& a) {
  SPAIC_CHECK(a.steps >= 1, InvalidArgument, "runtime", "a run needs at least one step, got ", a.steps);
  SPAIC_CHECK(a.batch >= 1, InvalidArgument, "inputs", "batch must be >= 1");
  SPAIC_CHECK(a.skip.empty() || a.skip.size() == ops_.size(), InvalidArgument, "skip", "one skip flag per op");
  for (const RunInput& in : a.inputs) {
    SPAIC_CHECK(in.slot >= 0 && in.slot < static_cast<int>(rt_.size()), InvalidArgument, "inputs",
                "unknown input slot ", in.slot);
    const SlotDesc& s = desc_.slots[static_cast<std::size_t>(in.slot)];
    SPAIC_CHECK(s.kind == SlotKind::Input, InvalidArgument, s.name, "slot '", s.name, "' is not an input");
    SPAIC_CHECK(in.data.device() == desc_.device, Device, s.name, "input '", s.name, "' is on ",
                in.data.device().name(), ", the program on ", desc_.device.name());
    SPAIC_CHECK(in.data.dtype == s.dtype, InvalidArgument, s.name, "input '", s.name, "' must be ",
                dtype_name(s.dtype));
    i64 want = numel_of(s.shape) * (s.batched ? a.batch : 1);
    if (s.per_step) {
      SPAIC_CHECK(in.data.shape.size() >= 2 && in.data.shape[1] >= a.steps, Shape, s.name, "input '", s.name,
                  "' needs [B, T >= ", a.steps, ", ...] frames");
      want *= in.data.shape[1];
    }
    SPAIC_CHECK(in.data.numel() == want, Shape, s.name, "input '", s.name, "' holds ", in.data.numel(),
                " values, expected ", want);
  }
  ++clock_;
  if (a.batch != batch_) allocate(a.batch);
  for (std::size_t i = 0; i < rt_.size(); ++i) {
    SlotRt& r = rt_[i];
    r.written = false;
    r.have_input = false;
    r.input = Tensor{};
    const SlotDesc& s = desc_.slots[i];
    if (s.kind == SlotKind::State) reset_slot(static_cast<int>(i));
    if (s.kind == SlotKind::Param && (s.has_lo || s.has_hi)) {
      r.all_stamp = clock_;
      const Tensor& t = r.buf[r.committed];
      if (desc_.dtype == DType::F32 && s.dtype == DType::F32) {
        if (s.has_lo)
          SPAIC_DISPATCH(desc_.device, binary_scalar<float>(BinaryOp::Max, t.ptr<float>(), static_cast<float>(s.lo),
                                                            t.ptr<float>(), t.numel(), false));
        if (s.has_hi)
          SPAIC_DISPATCH(desc_.device, binary_scalar<float>(BinaryOp::Min, t.ptr<float>(), static_cast<float>(s.hi),
                                                            t.ptr<float>(), t.numel(), false));
      } else if (s.dtype == DType::F64) {
        if (s.has_lo)
          SPAIC_DISPATCH(desc_.device, binary_scalar<double>(BinaryOp::Max, t.ptr<double>(), s.lo, t.ptr<double>(),
                                                             t.numel(), false));
        if (s.has_hi)
          SPAIC_DISPATCH(desc_.device, binary_scalar<double>(BinaryOp::Min, t.ptr<double>(), s.hi, t.ptr<double>(),
                                                             t.numel(), false));
      } else if (s.dtype == DType::I32) {  // an integer weight (postpreintstdp): the integers within the bounds
        using i32 = std::int32_t;
        const double lim = std::numeric_limits<i32>::max();
        const auto to_i32 = [&](double v) { return static_cast<i32>(std::fmin(std::fmax(v, -lim), lim)); };
        if (s.has_lo)
          SPAIC_DISPATCH(desc_.device, binary_scalar<i32>(BinaryOp::Max, t.ptr<i32>(), to_i32(std::ceil(s.lo)),
                                                          t.ptr<i32>(), t.numel(), false));
        if (s.has_hi)
          SPAIC_DISPATCH(desc_.device, binary_scalar<i32>(BinaryOp::Min, t.ptr<i32>(), to_i32(std::floor(s.hi)),
                                                          t.ptr<i32>(), t.numel(), false));
      }
    }
  }
  for (const RunInput& in : a.inputs) {
    SlotRt& r = rt_[static_cast<std::size_t>(in.slot)];
    r.input = in.data;
    r.have_input = true;
  }
  for (std::size_t i = 0; i < rt_.size(); ++i) {
    const SlotDesc& s = desc_.slots[i];
    if (s.kind == SlotKind::Input && s.per_step && !rt_[i].have_input) {
      // only an error when an op reads it
      for (const OpDesc& o : desc_.ops)
        for (auto& [role, r] : o.refs)
          SPAIC_CHECK(r.slot != static_cast<int>(i) ||
                          (!a.skip.empty() && a.skip[static_cast<std::size_t>(&o - desc_.ops.data())]),
                      InvalidArgument, s.name, "input '", s.name, "' was not given to run()");
    }
  }
  steps_ = a.steps;
  step_ = 0;
}

int Program::planned_host_syncs_per_step(bool cuda) const {
  int n = 0;
  for (const auto& op : ops_) n += op->host_syncs_per_step(cuda);
  return n;
}

void Program::run(const RunArgs& a) {
  start_run(a);
  const std::size_t nops = ops_.size();
  std::size_t first_fetch = nops;
  for (std::size_t i = 0; i < nops; ++i)
    if (desc_.ops[i].phase == OpPhase::Fetch) {
      first_fetch = i;
      break;
    }
  auto skipped = [&](std::size_t i) { return !a.skip.empty() && a.skip[i]; };
  for (std::size_t i = 0; i < nops; ++i)
    if (!skipped(i)) ops_[i]->start(*this);
  const gpu::Counters before = gpu::counters();
  for (i64 t = 0; t < a.steps; ++t) {
    step_ = t;
    ++clock_;
    for (std::size_t i = 0; i < first_fetch; ++i)
      if (!skipped(i)) ops_[i]->step(*this);
    for (SlotRt& r : rt_) {
      if (r.written) {
        r.committed = 1 - r.committed;
        r.written = false;
      }
    }
    for (std::size_t i = first_fetch; i < nops; ++i)
      if (!skipped(i)) ops_[i]->step(*this);
  }
  const gpu::Counters after = gpu::counters();
  const double steps = a.steps > 0 ? static_cast<double>(a.steps) : 1.0;
  stats_.launches_per_step = static_cast<double>(after.launches - before.launches) / steps;
  stats_.host_syncs_per_step = static_cast<double>(after.host_syncs - before.host_syncs) / steps;
  for (std::size_t i = 0; i < nops; ++i)
    if (!skipped(i)) ops_[i]->finish(*this);
  // inputs are bound for one run only
  for (SlotRt& r : rt_) {
    r.have_input = false;
    r.input = Tensor{};
  }
  if (desc_.device.is_cuda()) gpu::synchronize(desc_.device.index);
}

}  // namespace spaic

// binding/program.cpp - the program executor (spaic/program.h) behind a handle:
//
//   programCreate(desc, device) -> handle        desc: { dtype, dt, batch, seedLo, seedHi, offset,
//                                                        slots: [{ name, shape, batched, dtype, kind, init, lo, hi,
//                                                        perStep }], ops:   [{ type, owner, phase, refs: { role: [slot,
//                                                        cur, mode] },
//                                                                  num: { k: number }, str: { k: string } }] }
//   programRun(handle, steps, batch, inputs: [[slot, tensor], ...], skip: boolean[]) -> Promise<void>
//   programRead(handle, slot) -> tensor (a copy)      programWrite(handle, slot, tensor)
//   programRecord(handle, op) -> tensor               programRng(handle) -> [seedLo, seedHi, offset]
//   programDispose(handle)
// A run executes every step in one pool-thread job; while it runs, every other call on the handle
// throws a StateError (nothing is shared with a job in flight).
#include <atomic>
#include <cmath>
#include <memory>

#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/program.h"

namespace spaic::binding {

namespace {

struct Holder {
  std::shared_ptr<Program> prog;
  std::shared_ptr<std::atomic<bool>> busy = std::make_shared<std::atomic<bool>>(false);
};

// Every handle programCreate returns carries this tag, so an External made elsewhere is refused, not read.
constexpr napi_type_tag kProgramTag = {0x73706169635f7072ULL, 0x6f6772616d5f7631ULL};

Holder& holder_arg(const Napi::CallbackInfo& info, size_t i) {
  SPAIC_CHECK(
      i < info.Length() && info[i].IsExternal() && info[i].As<Napi::External<Holder>>().CheckTypeTag(&kProgramTag),
      InvalidArgument, "program", "Expected a program handle");
  return *info[i].As<Napi::External<Holder>>().Data();
}

Program& live(Holder& h) {
  SPAIC_CHECK(h.prog != nullptr, State, "program", "the program was used after dispose()");
  SPAIC_CHECK(!h.busy->load(), State, "program", "the program is running: await run() first");
  return *h.prog;
}

int slot_arg(const Napi::CallbackInfo& info, size_t i, const Program& p) {
  const i64 s = int_arg(info, i, "slot");
  SPAIC_CHECK(s >= 0 && s < static_cast<i64>(p.desc().slots.size()), InvalidArgument, "name", "unknown slot index ", s);
  return static_cast<int>(s);
}

double field_num(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Value v = o.Get(key);
  SPAIC_CHECK(v.IsNumber(), InvalidArgument, where, "Expected a number for ", where, ".", key);
  return v.As<Napi::Number>().DoubleValue();
}

bool field_bool(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

std::string field_str(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Value v = o.Get(key);
  SPAIC_CHECK(v.IsString(), InvalidArgument, where, "Expected a string for ", where, ".", key);
  return v.As<Napi::String>().Utf8Value();
}

Napi::Array field_arr(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Value v = o.Get(key);
  SPAIC_CHECK(v.IsArray(), InvalidArgument, where, "Expected an array for ", where, ".", key);
  return v.As<Napi::Array>();
}

// An array element that must be an integer in [lo, hi]; `what` names it in the error (param `param`).
i64 int_elem(const Napi::Value& v, double lo, double hi, const std::string& param, const std::string& what) {
  SPAIC_CHECK(v.IsNumber(), InvalidArgument, param, "Expected an integer for ", what);
  const double d = v.As<Napi::Number>().DoubleValue();
  SPAIC_CHECK(d == std::floor(d) && d >= lo && d <= hi, InvalidArgument, param, "Expected an integer in [", lo, ", ",
              hi, "] for ", what, " but received ", d);
  return static_cast<i64>(d);
}

DType dtype_code(double c, const std::string& where) {
  SPAIC_CHECK(c == std::floor(c) && c >= 0 && c <= 3, InvalidArgument, where, "unknown dtype code ", c);
  return static_cast<DType>(static_cast<int>(c));
}

SlotDesc parse_slot(const Napi::Object& o, size_t i) {
  const std::string where = "slots[" + std::to_string(i) + "]";
  SlotDesc s;
  s.name = field_str(o, "name", where);
  Napi::Array shape = field_arr(o, "shape", where);
  for (uint32_t k = 0; k < shape.Length(); ++k) {
    Napi::Value d = shape.Get(k);
    SPAIC_CHECK(d.IsNumber(), InvalidArgument, s.name, "slot '", s.name, "': shape must hold integers");
    const double v = d.As<Napi::Number>().DoubleValue();
    SPAIC_CHECK(v >= 0 && v == std::floor(v), Shape, s.name, "slot '", s.name, "': bad dimension ", v);
    s.shape.push_back(static_cast<i64>(v));
  }
  s.batched = field_bool(o, "batched");
  s.dtype = dtype_code(field_num(o, "dtype", where), s.name);
  const double kind = field_num(o, "kind", where);
  SPAIC_CHECK(kind == std::floor(kind) && kind >= 0 && kind <= 4, InvalidArgument, s.name, "unknown slot kind ", kind);
  s.kind = static_cast<SlotKind>(static_cast<int>(kind));
  Napi::Value init = o.Get("init");
  SPAIC_CHECK(init.IsTypedArray() && init.As<Napi::TypedArray>().TypedArrayType() == napi_float64_array,
              InvalidArgument, s.name, "slot '", s.name, "': init must be a Float64Array");
  Napi::Float64Array f = init.As<Napi::Float64Array>();
  s.init.assign(f.Data(), f.Data() + f.ElementLength());
  Napi::Value lo = o.Get("lo"), hi = o.Get("hi");
  if (lo.IsNumber()) {
    s.has_lo = true;
    s.lo = lo.As<Napi::Number>().DoubleValue();
  }
  if (hi.IsNumber()) {
    s.has_hi = true;
    s.hi = hi.As<Napi::Number>().DoubleValue();
  }
  s.per_step = field_bool(o, "perStep");
  return s;
}

OpDesc parse_op(const Napi::Object& o, size_t i, size_t nslots) {
  const std::string where = "ops[" + std::to_string(i) + "]";
  OpDesc d;
  d.type = field_str(o, "type", where);
  d.owner = field_str(o, "owner", where);
  const double ph = field_num(o, "phase", where);
  SPAIC_CHECK(ph == 0 || ph == 1 || ph == 2, InvalidArgument, d.owner, "unknown op phase ", ph);
  d.phase = static_cast<OpPhase>(static_cast<int>(ph));
  Napi::Value refs = o.Get("refs");
  SPAIC_CHECK(refs.IsObject(), InvalidArgument, d.owner, where, ".refs must be an object");
  Napi::Object ro = refs.As<Napi::Object>();
  Napi::Array keys = ro.GetPropertyNames();
  for (uint32_t k = 0; k < keys.Length(); ++k) {
    const std::string role = keys.Get(k).As<Napi::String>().Utf8Value();
    Napi::Value v = ro.Get(role);
    SPAIC_CHECK(v.IsArray() && v.As<Napi::Array>().Length() == 3, InvalidArgument, d.owner, where, ".refs.", role,
                " must be [slot, cur, mode]");
    Napi::Array a = v.As<Napi::Array>();
    SlotRef r;
    SPAIC_CHECK(nslots > 0, InvalidArgument, d.owner, where, ".refs.", role, ": the program has no slots");
    r.slot = static_cast<int>(
        int_elem(a.Get(0u), 0, static_cast<double>(nslots) - 1, d.owner, where + ".refs." + role + "[0] (slot index)"));
    r.cur = a.Get(1u).ToBoolean().Value();
    r.mode = static_cast<WriteMode>(
        static_cast<int>(int_elem(a.Get(2u), -1, 2, d.owner, where + ".refs." + role + "[2] (mode)")));
    d.refs[role] = r;
  }
  Napi::Value num = o.Get("num");
  if (num.IsObject()) {
    Napi::Object no = num.As<Napi::Object>();
    Napi::Array nk = no.GetPropertyNames();
    for (uint32_t k = 0; k < nk.Length(); ++k) {
      const std::string key = nk.Get(k).As<Napi::String>().Utf8Value();
      Napi::Value v = no.Get(key);
      SPAIC_CHECK(v.IsNumber(), InvalidArgument, d.owner, where, ".num.", key, " must be a number");
      d.num[key] = v.As<Napi::Number>().DoubleValue();
    }
  }
  Napi::Value str = o.Get("str");
  if (str.IsObject()) {
    Napi::Object so = str.As<Napi::Object>();
    Napi::Array sk = so.GetPropertyNames();
    for (uint32_t k = 0; k < sk.Length(); ++k) {
      const std::string key = sk.Get(k).As<Napi::String>().Utf8Value();
      Napi::Value v = so.Get(key);
      SPAIC_CHECK(v.IsString(), InvalidArgument, d.owner, where, ".str.", key, " must be a string");
      d.str[key] = v.As<Napi::String>().Utf8Value();
    }
  }
  return d;
}

Napi::Value ProgramCreate(const Napi::CallbackInfo& info) {
  Napi::Object o = obj_arg(info, 0, "spec");
  ProgramDesc d;
  d.device = Device{static_cast<int>(int_arg(info, 1, "device"))};
  if (d.device.is_cuda()) {
    gpu::Info gi = gpu::probe();
    SPAIC_CHECK(gi.compiled && d.device.index < gi.device_count, Device, "device", "cuda:", d.device.index,
                " is not available", gi.message.empty() ? "" : ": " + gi.message);
  }
  d.dtype = dtype_code(field_num(o, "dtype", "spec"), "dtype");
  d.dt = field_num(o, "dt", "spec");
  d.batch = int_elem(o.Get("batch"), 1, 2147483647.0, "batch", "spec.batch");
  const double lo = static_cast<double>(int_elem(o.Get("seedLo"), 0, 4294967295.0, "seed", "spec.seedLo"));
  const double hi = static_cast<double>(int_elem(o.Get("seedHi"), 0, 4294967295.0, "seed", "spec.seedHi"));
  const double off = static_cast<double>(int_elem(o.Get("offset"), 0, 9.0e15, "offset", "spec.offset"));
  d.rng.seed = (static_cast<std::uint64_t>(hi) << 32) | static_cast<std::uint64_t>(lo);
  d.rng.offset = static_cast<std::uint64_t>(off);
  Napi::Array slots = field_arr(o, "slots", "spec");
  for (uint32_t i = 0; i < slots.Length(); ++i) {
    Napi::Value v = slots.Get(i);
    SPAIC_CHECK(v.IsObject(), InvalidArgument, "slots", "slots[", i, "] must be an object");
    d.slots.push_back(parse_slot(v.As<Napi::Object>(), i));
  }
  Napi::Array ops = field_arr(o, "ops", "spec");
  for (uint32_t i = 0; i < ops.Length(); ++i) {
    Napi::Value v = ops.Get(i);
    SPAIC_CHECK(v.IsObject(), InvalidArgument, "ops", "ops[", i, "] must be an object");
    d.ops.push_back(parse_op(v.As<Napi::Object>(), i, d.slots.size()));
  }
  auto* h = new Holder();
  try {
    h->prog = std::make_shared<Program>(d);
  } catch (...) {
    delete h;
    throw;
  }
  Napi::External<Holder> ext = Napi::External<Holder>::New(info.Env(), h, [](Napi::Env, Holder* p) { delete p; });
  ext.TypeTag(&kProgramTag);
  return ext;
}

Napi::Value ProgramRun(const Napi::CallbackInfo& info) {
  Holder& h = holder_arg(info, 0);
  std::shared_ptr<Program> prog = h.prog;
  Program& p = live(h);
  RunArgs a;
  a.steps = int_arg(info, 1, "steps");
  a.batch = int_arg(info, 2, "batch");
  SPAIC_CHECK(a.steps >= 1, InvalidArgument, "runtime", "a run needs at least one step");
  SPAIC_CHECK(a.batch >= 1, InvalidArgument, "inputs", "batch must be >= 1");
  SPAIC_CHECK(info.Length() > 3 && info[3].IsArray(), InvalidArgument, "slots",
              "Expected an array of input slot indices for slots (programRun(handle, steps, batch, slots, skip, "
              "...tensors))");
  SPAIC_CHECK(info.Length() > 4 && info[4].IsArray(), InvalidArgument, "skip",
              "Expected an array of skip flags, one per op, for skip");
  Napi::Array slots = info[3].As<Napi::Array>();
  Napi::Array skip = info[4].As<Napi::Array>();
  SPAIC_CHECK(info.Length() == 5 + slots.Length(), InvalidArgument, "inputs", "Expected one tensor per input slot (",
              slots.Length(), ") but received ", info.Length() - 5);
  const double nslots = static_cast<double>(p.desc().slots.size());
  for (uint32_t i = 0; i < slots.Length(); ++i) {
    RunInput ri;
    ri.slot = static_cast<int>(int_elem(slots.Get(i), 0, nslots - 1, "slots", "slots[" + std::to_string(i) + "]"));
    ri.data = tensor_arg(info, 5 + i, p.desc().slots[static_cast<std::size_t>(ri.slot)].name.c_str());
    a.inputs.push_back(ri);
  }
  if (skip.Length() > 0) {
    SPAIC_CHECK(skip.Length() == p.desc().ops.size(), InvalidArgument, "skip", "one skip flag per op");
    for (uint32_t i = 0; i < skip.Length(); ++i) a.skip.push_back(skip.Get(i).ToBoolean().Value());
  }
  std::shared_ptr<std::atomic<bool>> busy = h.busy;
  busy->store(true);
  return run_async(info.Env(), [prog, a, busy]() {
    struct Done {
      std::atomic<bool>* b;
      ~Done() { b->store(false); }
    } done{busy.get()};
    prog->run(a);
  });
}

Napi::Value ProgramRead(const Napi::CallbackInfo& info) {
  Program& p = live(holder_arg(info, 0));
  const Tensor& src = p.committed(slot_arg(info, 1, p));
  SPAIC_CHECK(src.storage != nullptr, State, "name", "this input holds no data outside a run");
  Tensor out = make_tensor(src.dtype, src.shape, src.device(), false);
  copy_bytes(out, src);
  return wrap_tensor(info.Env(), out);
}

Napi::Value ProgramWrite(const Napi::CallbackInfo& info) {
  Program& p = live(holder_arg(info, 0));
  const int slot = slot_arg(info, 1, p);
  const Tensor& src = tensor_arg(info, 2, "value");
  SPAIC_CHECK(src.device() == p.device(), Device, "value", "Expected a tensor on ", p.device().name(),
              " but received one on ", src.device().name());
  p.assign(slot, src);
  if (p.device().is_cuda()) gpu::synchronize(p.device().index);
  return info.Env().Undefined();
}

Napi::Value ProgramRecord(const Napi::CallbackInfo& info) {
  Program& p = live(holder_arg(info, 0));
  const i64 op = int_arg(info, 1, "op");
  SPAIC_CHECK(op >= 0 && op < static_cast<i64>(p.desc().ops.size()), InvalidArgument, "name", "unknown op index ", op);
  return wrap_tensor(info.Env(), p.recorded(static_cast<int>(op)));
}

Napi::Value ProgramShape(const Napi::CallbackInfo& info) {
  Program& p = live(holder_arg(info, 0));
  const std::vector<i64> s = p.runtime_shape(slot_arg(info, 1, p));
  Napi::Array a = Napi::Array::New(info.Env(), s.size());
  for (std::size_t i = 0; i < s.size(); ++i)
    a.Set(static_cast<uint32_t>(i), Napi::Number::New(info.Env(), static_cast<double>(s[i])));
  return a;
}

Napi::Value ProgramRng(const Napi::CallbackInfo& info) {
  Program& p = live(holder_arg(info, 0));
  const RngState s = p.rng();
  Napi::Array a = Napi::Array::New(info.Env(), 3);
  a.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(s.seed & 0xffffffffu)));
  a.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(s.seed >> 32)));
  a.Set(2u, Napi::Number::New(info.Env(), static_cast<double>(s.offset)));
  return a;
}

// programStats(h): { launchesPerStep, hostSyncsPerStep } of the last run's step loop (CUDA counters; 0
// on the CPU) and plannedHostSyncsPerStep: what the ops would read back per step on a CUDA device.
Napi::Value ProgramStats(const Napi::CallbackInfo& info) {
  Program& p = live(holder_arg(info, 0));
  const Program::StepStats s = p.last_step_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("launchesPerStep", s.launches_per_step);
  o.Set("hostSyncsPerStep", s.host_syncs_per_step);
  o.Set("plannedHostSyncsPerStep", p.planned_host_syncs_per_step(true));
  return o;
}

Napi::Value ProgramDispose(const Napi::CallbackInfo& info) {
  Holder& h = holder_arg(info, 0);
  SPAIC_CHECK(!h.busy->load(), State, "program", "the program is running: await run() before dispose()");
  h.prog.reset();
  return info.Env().Undefined();
}

}  // namespace

void register_program(Napi::Object exports) {
  SPAIC_EXPORT(exports, "programCreate", ProgramCreate);
  SPAIC_EXPORT(exports, "programRun", ProgramRun);
  SPAIC_EXPORT(exports, "programRead", ProgramRead);
  SPAIC_EXPORT(exports, "programWrite", ProgramWrite);
  SPAIC_EXPORT(exports, "programRecord", ProgramRecord);
  SPAIC_EXPORT(exports, "programShape", ProgramShape);
  SPAIC_EXPORT(exports, "programRng", ProgramRng);
  SPAIC_EXPORT(exports, "programDispose", ProgramDispose);
  SPAIC_EXPORT(exports, "programStats", ProgramStats);
}

}  // namespace spaic::binding

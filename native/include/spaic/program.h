// spaic/program.h - the step-by-step program executor (ALGORITHMS.md §3.1-3.3) and its small kernels.
//
// A Program is a compiled network (lib/network ProgramSpec, lowered in lib/executors/step.ts to a slot
// table and an op list) that lives on one device. `run` executes every time step of a run in native
// code, in the spec's op order, with SPAIC's semantics:
//   - a read at 'prev' sees the committed value (the previous step's, or, for a fetch op, this step's);
//     a read at 'cur' sees the value written earlier in this step;
//   - writes 'set' / 'add' go to the slot's working buffer (a second buffer, for slots written that way),
//     'update' modifies the committed value in place (weights, learner state, decoder accumulators);
//   - at the end of the graph phase the working buffers of the slots written in this step are committed
//     (a buffer swap), then the fetch ops (decoders, monitors) read the committed values.
// At run start (§3.1) state slots are reset to their initial value, 'stay' slots keep theirs, params are
// clamped when the slot carries bounds, and the run's inputs are bound.
//
// The executor (native/core/program.cpp) and its ops (native/core/ops/, one file per op family, registered
// by type name) only sequence kernels of the other families (neuron steps, full and conv synapses, encoders,
// STDP, reward nodes) and the few below; they never include N-API. Two CPU-only shortcuts keep
// SPAIC's per-step semantics cheap for small batches: the online STDP rules run cpu::online_step_sparse
// (spaic/stdp-trace.h), and a full synapse with sparse input reads a W^T copy whose rows are refreshed
// lazily from the weight's change stamps (Program::mark_row / stamp_all), so learner updates are always seen.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spaic/common.h"
#include "spaic/rng.h"
#include "spaic/tensor.h"

namespace spaic {

// ---- kernels of the stem (cpu/program.cpp, cuda/program.cu; maths in spaic/math/program.h)
//   gather_step:      out[b, i] = src[(b*steps + t)*n + i]        (frame t of a [B, T, n] input)
//   first_spike:      first[k] = step where first[k] < 0 and s[k] > 0
//   first_spike_done: first[k] = steps where first[k] < 0 (never fired)
#define SPAIC_DECLARE_PROGRAM_OPS                                             \
  template <typename T>                                                       \
  void gather_step(const T* src, T* out, i64 batch, i64 steps, i64 n, i64 t); \
  template <typename T>                                                       \
  void first_spike(const T* s, T* first, i64 n, T step);                      \
  template <typename T>                                                       \
  void first_spike_done(T* first, i64 n, T steps);

// The explicit instantiations, for one element type (cpu/program.cpp and cuda/program.cu expand it).
#define SPAIC_INSTANTIATE_PROGRAM_OPS(T)                          \
  template void gather_step<T>(const T*, T*, i64, i64, i64, i64); \
  template void first_spike<T>(const T*, T*, i64, T);             \
  template void first_spike_done<T>(T*, i64, T);

namespace cpu {
SPAIC_DECLARE_PROGRAM_OPS
}  // namespace cpu
namespace cuda {
SPAIC_DECLARE_PROGRAM_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_PROGRAM_OPS

// ---- the executor

enum class SlotKind : int { Param = 0, State = 1, Stay = 2, Input = 3, Const = 4 };
enum class WriteMode : int { None = -1, Set = 0, Add = 1, Update = 2 };
enum class OpPhase : int { Push = 0, Graph = 1, Fetch = 2 };

struct SlotDesc {
  std::string name;
  std::vector<i64> shape;  // one sample's shape (batched) or the whole shape
  bool batched = false;
  DType dtype = DType::F32;
  SlotKind kind = SlotKind::State;
  std::vector<double> init;  // one value: a fill; else numel values
  bool has_lo = false, has_hi = false;
  double lo = 0, hi = 0;       // params: clamp at run start
  bool per_step = false;       // inputs given as [B, T, ...shape]
  bool double_buffer = false;  // written with set/add during the step (needs a working buffer)
};

// One slot an op refers to, by role: where a read looks (cur) and how a write lands (mode).
struct SlotRef {
  int slot = -1;
  bool cur = false;
  WriteMode mode = WriteMode::None;
  bool ok() const { return slot >= 0; }
};

struct OpDesc {
  std::string type;
  std::string owner;
  OpPhase phase = OpPhase::Graph;
  std::map<std::string, SlotRef> refs;
  std::map<std::string, double> num;
  std::map<std::string, std::string> str;
};

struct ProgramDesc {
  Device device;
  DType dtype = DType::F32;  // float slots
  double dt = 0.1;
  i64 batch = 1;
  RngState rng;
  std::vector<SlotDesc> slots;
  std::vector<OpDesc> ops;
};

struct RunInput {
  int slot = -1;
  Tensor data;  // [B, ...shape] or, per-step inputs, [B, T, ...shape]; the slot's dtype and device
};

struct RunArgs {
  i64 steps = 0;
  i64 batch = 0;
  std::vector<RunInput> inputs;
  std::vector<bool> skip;  // per op: skip it this run (a deactivated learner's ops)
};

class ProgramOp;

class Program {
 public:
  // Validates the description, allocates every slot, builds the ops (unknown op type -> InvalidArgument
  // naming it) and runs their build-time hooks (SPAIC's dry-run effect on the weights).
  explicit Program(const ProgramDesc& desc);
  ~Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // Runs args.steps steps (all of them) on the calling thread.
  void run(const RunArgs& args);

  // Committed value of a slot (shares its storage: copy before keeping it across runs).
  const Tensor& committed(int slot) const;
  // Copies `src` (same dtype, device and element count) into the committed value of a slot.
  void assign(int slot, const Tensor& src);
  // What monitor op `op` recorded in the last run: [T, ...slot shape].
  Tensor recorded(int op) const;
  bool has_record(int op) const;

  const ProgramDesc& desc() const { return desc_; }
  Device device() const { return desc_.device; }
  DType dtype() const { return desc_.dtype; }
  i64 batch() const { return batch_; }
  i64 steps_run() const { return steps_; }
  RngState rng() const { return rng_; }
  void set_rng(RngState s) { rng_ = s; }

  // What the step loop of the last run cost on the device: kernel launches and host syncs per step
  // (measured by the CUDA counters; 0 on the CPU), and the host syncs per step the ops plan on a CUDA
  // device (known from the ops alone, so the CPU build checks the design: it must be 0).
  struct StepStats {
    double launches_per_step = 0;
    double host_syncs_per_step = 0;
  };
  StepStats last_step_stats() const { return stats_; }
  int planned_host_syncs_per_step(bool cuda) const;

  // ---- for the ops
  std::vector<i64> runtime_shape(int slot) const;
  i64 slot_numel(int slot) const;
  // The buffer a read sees (cur: the working buffer once written this step, else the committed one).
  const Tensor& read(const SlotRef& r) const;
  // The buffer a set/add write goes to (marks the slot written this step); update: the committed buffer.
  const Tensor& write(const SlotRef& r);
  // Whether a set/add write must overwrite (first writer this step) or accumulate.
  bool accumulate(const SlotRef& r) const;
  const Tensor& input_data(int slot) const;
  // Change stamps, for ops that keep a derived copy of a slot (the synapse's W^T): every write() marks
  // the whole slot changed at the current clock; an op that knows which rows it changed uses
  // write_rows() and marks them with mark_row(). Compare stamps with >= against the clock of the copy.
  i64 clock() const { return clock_; }
  const Tensor& write_rows(const SlotRef& r);
  void mark_row(int slot, i64 row, i64 rows);
  i64 stamp_all(int slot) const { return rt_[static_cast<std::size_t>(slot)].all_stamp; }
  const i64* row_stamps(int slot, i64 rows);
  i64 step() const { return step_; }
  i64 steps() const { return steps_; }
  double dt() const { return desc_.dt; }
  RngState take_rng(std::uint64_t words);

 private:
  struct SlotRt {
    Tensor buf[2];
    int committed = 0;
    bool written = false;
    bool have_input = false;
    Tensor input;
    i64 all_stamp = 0;
    std::vector<i64> row_stamp;
  };
  void mark_all(int slot) { rt_[static_cast<std::size_t>(slot)].all_stamp = clock_; }
  void allocate(i64 batch);
  void reset_slot(int i);
  void start_run(const RunArgs& args);

  ProgramDesc desc_;
  std::vector<SlotRt> rt_;
  std::vector<std::unique_ptr<ProgramOp>> ops_;
  i64 batch_ = 0;
  i64 step_ = 0;
  i64 steps_ = 0;
  i64 clock_ = 1;
  RngState rng_;
  StepStats stats_;
};

// Base of the executor's ops (core/ops/*.cpp). Each op keeps its own scratch.
class ProgramOp {
 public:
  virtual ~ProgramOp() = default;
  virtual void build(Program&) {}   // once, after allocation (the dry-run hooks)
  virtual void start(Program&) {}   // at every run start, after the slots are reset
  virtual void step(Program&) = 0;  // once per step
  virtual void finish(Program&) {}  // after the last step
  virtual bool has_record() const { return false; }
  virtual Tensor record() const { return Tensor{}; }
  // Device-to-host reads the op's step() makes on a CUDA device (`cuda`) or on the CPU. The step loop
  // is designed for none: paths are chosen without reading counts back.
  virtual int host_syncs_per_step(bool /*cuda*/) const { return 0; }
};

}  // namespace spaic

// binding/gemm.cpp - gemm(a, b, c, transA, transB, alpha, beta, path) sync, and gemmAsync (a Promise).
// `path` is 'auto' (the CPU's narrow-product path, or BLAS when compiled in, else built-in), 'builtin' or 'blas'
// (CPU only).
#include "binding/napi-util.h"
#include "spaic/device.h"
#include "spaic/ops.h"

namespace spaic::binding {

namespace {

struct GemmCall {
  Tensor a, b, c;
  GemmParams p;
  bool builtin = false;
  bool blas = false;
};

GemmCall parse(const Napi::CallbackInfo& info) {
  GemmCall g;
  g.a = tensor_arg(info, 0, "a");
  g.b = tensor_arg(info, 1, "b");
  g.c = tensor_arg(info, 2, "c");
  g.p.trans_a = bool_arg(info, 3, "transA");
  g.p.trans_b = bool_arg(info, 4, "transB");
  g.p.alpha = num_arg(info, 5, "alpha");
  g.p.beta = num_arg(info, 6, "beta");
  std::string path = info.Length() > 7 && info[7].IsString() ? str_arg(info, 7, "path") : "auto";
  SPAIC_CHECK(path == "auto" || path == "builtin" || path == "blas", InvalidArgument, "path",
              "Expected 'auto', 'builtin' or 'blas' for path but received '", path, "'");
  check_float(g.a, "a");
  check_dtype(g.b, g.a.dtype, "b");
  check_dtype(g.c, g.a.dtype, "c");
  check_same_device(g.a, "a", g.b, "b");
  check_same_device(g.a, "a", g.c, "c");
  SPAIC_CHECK(g.a.shape.size() == 2, Shape, "a", "Expected a 2-D tensor for a but received shape ",
              shape_str(g.a.shape));
  SPAIC_CHECK(g.b.shape.size() == 2, Shape, "b", "Expected a 2-D tensor for b but received shape ",
              shape_str(g.b.shape));
  SPAIC_CHECK(g.c.shape.size() == 2, Shape, "c", "Expected a 2-D tensor for c but received shape ",
              shape_str(g.c.shape));
  const i64 m = g.p.trans_a ? g.a.shape[1] : g.a.shape[0];
  const i64 k = g.p.trans_a ? g.a.shape[0] : g.a.shape[1];
  const i64 kb = g.p.trans_b ? g.b.shape[1] : g.b.shape[0];
  const i64 n = g.p.trans_b ? g.b.shape[0] : g.b.shape[1];
  SPAIC_CHECK(k == kb, Shape, "b", "inner dimensions differ: op(a) is [", m, ", ", k, "] and op(b) is [", kb, ", ", n,
              "]");
  SPAIC_CHECK(g.c.shape[0] == m && g.c.shape[1] == n, Shape, "c", "Expected shape [", m, ", ", n,
              "] for c but received ", shape_str(g.c.shape));
  g.p.m = m;
  g.p.n = n;
  g.p.k = k;
  g.p.lda = g.a.shape[1];
  g.p.ldb = g.b.shape[1];
  g.p.ldc = n;
  if (path == "blas") {
    SPAIC_CHECK(cpu::have_blas(), InvalidArgument, "path", "this addon was built without BLAS");
    SPAIC_CHECK(g.a.device().is_cpu(), InvalidArgument, "path", "path 'blas' is for CPU tensors");
  }
  g.builtin = path == "builtin";
  g.blas = path == "blas";
  return g;
}

void execute(const GemmCall& g) {
  const Device dev = g.a.device();
  if (g.a.dtype == DType::F32) {
    if (dev.is_cpu() && g.builtin) cpu::gemm_builtin<float>(g.p, g.a.ptr<float>(), g.b.ptr<float>(), g.c.ptr<float>());
    else if (dev.is_cpu() && g.blas) cpu::gemm_blas<float>(g.p, g.a.ptr<float>(), g.b.ptr<float>(), g.c.ptr<float>());
    else SPAIC_DISPATCH(dev, gemm<float>(g.p, g.a.ptr<float>(), g.b.ptr<float>(), g.c.ptr<float>()));
  } else {
    if (dev.is_cpu() && g.builtin)
      cpu::gemm_builtin<double>(g.p, g.a.ptr<double>(), g.b.ptr<double>(), g.c.ptr<double>());
    else if (dev.is_cpu() && g.blas)
      cpu::gemm_blas<double>(g.p, g.a.ptr<double>(), g.b.ptr<double>(), g.c.ptr<double>());
    else SPAIC_DISPATCH(dev, gemm<double>(g.p, g.a.ptr<double>(), g.b.ptr<double>(), g.c.ptr<double>()));
  }
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  execute(parse(info));
  return info.Env().Undefined();
}

Napi::Value GemmAsync(const Napi::CallbackInfo& info) {
  GemmCall g = parse(info);  // copies of the tensors keep the storage alive until the job ends
  return run_async(info.Env(), [g]() {
    execute(g);
    if (g.a.device().is_cuda()) gpu::synchronize(g.a.device().index);
  });
}

}  // namespace

void register_gemm(Napi::Object exports) {
  SPAIC_EXPORT(exports, "gemm", Gemm);
  SPAIC_EXPORT(exports, "gemmAsync", GemmAsync);
}

}  // namespace spaic::binding

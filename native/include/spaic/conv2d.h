// spaic/conv2d.h - kernel API of conv2d (forward, input/weight/bias gradients) and of the 2-D max pool
// that SPAIC's ['conv', 'maxpool'] synapse puts after it (ALGORITHMS.md 3.5). im2col + GEMM on both
// backends; the index maths is spaic/math/conv2d.h.
//
// `col` is caller-owned scratch of `conv2d_workspace_elems(p)` elements of T on the kernel's device
// (each backend sizes its own: the CPU batches several images per GEMM, CUDA goes one image at a time).
#pragma once

#include <cstdint>

#include "spaic/common.h"
#include "spaic/math/conv2d.h"
#include "spaic/ops.h"

namespace spaic {

// The per-group GEMMs of im2col, the same on both devices; `cols` is the column count of the images the
// GEMM covers at once (the CPU's image group, one image on CUDA):
//   forward      y_g [Og, cols] (beta)= w_g [Og, Kg] . col_g [Kg, cols]
//   grad weight  gw_g [Og, Kg] (beta)= gy_g [Og, cols] . col_g^T [cols, Kg]
//   grad input   col_g [Kg, cols] = w_g^T [Kg, Og] . gy_g [Og, cols]
inline GemmParams conv_forward_gemm(const Conv2dParams& p, i64 cols, double beta) {
  GemmParams g;
  g.m = conv_group_out(p);
  g.n = cols;
  g.k = conv_group_rows(p);
  g.lda = g.k;
  g.ldb = cols;
  g.ldc = cols;
  g.beta = beta;
  return g;
}

inline GemmParams conv_grad_weight_gemm(const Conv2dParams& p, i64 cols, double beta) {
  GemmParams g;
  g.trans_b = true;
  g.m = conv_group_out(p);
  g.n = conv_group_rows(p);
  g.k = cols;
  g.lda = cols;
  g.ldb = cols;
  g.ldc = g.n;
  g.beta = beta;
  return g;
}

inline GemmParams conv_grad_input_gemm(const Conv2dParams& p, i64 cols) {
  GemmParams g;
  g.trans_a = true;
  g.m = conv_group_rows(p);
  g.n = cols;
  g.k = conv_group_out(p);
  g.lda = g.m;
  g.ldb = cols;
  g.ldc = cols;
  return g;
}

#define SPAIC_DECLARE_CONV2D_OPS                                                                            \
  i64 conv2d_workspace_elems(const Conv2dParams& p);                                                        \
  /* col [N, C_in*kh*kw, H_out*W_out]: each image's im2col matrix (torch's unfold), padding read as 0 */    \
  template <typename T>                                                                                     \
  void conv2d_im2col(const Conv2dParams& p, const T* x, T* col);                                            \
  /* y [N, C_out, H_out, W_out] = conv(x, w) (+ bias) */                                                    \
  template <typename T>                                                                                     \
  void conv2d_forward(const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y, T* col);          \
  /* gx = dL/dx, gw = dL/dw, gb = dL/dbias from gy = dL/dy; each may be null. accumulate: add into them. */ \
  template <typename T>                                                                                     \
  void conv2d_backward(const Conv2dParams& p, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb,     \
                       bool accumulate, T* col);                                                            \
  /* y, argmax [planes, h_out, w_out]; argmax is the flat index in the input plane. */                      \
  template <typename T>                                                                                     \
  void maxpool2d_forward(const Pool2dParams& p, const T* x, T* y, std::int32_t* argmax);                    \
  /* gx [planes, h_in, w_in] = gy routed to each window's argmax (0 elsewhere). */                          \
  template <typename T>                                                                                     \
  void maxpool2d_backward(const Pool2dParams& p, const T* gy, const std::int32_t* argmax, T* gx);

// The explicit instantiations, for one element type (cpu/conv2d.cpp and cuda/conv2d.cu expand it).
#define SPAIC_INSTANTIATE_CONV2D_OPS(T)                                                                      \
  template void conv2d_im2col<T>(const Conv2dParams&, const T*, T*);                                         \
  template void conv2d_forward<T>(const Conv2dParams&, const T*, const T*, const T*, T*, T*);                \
  template void conv2d_backward<T>(const Conv2dParams&, const T*, const T*, const T*, T*, T*, T*, bool, T*); \
  template void maxpool2d_forward<T>(const Pool2dParams&, const T*, T*, std::int32_t*);                      \
  template void maxpool2d_backward<T>(const Pool2dParams&, const T*, const std::int32_t*, T*);

namespace cpu {
SPAIC_DECLARE_CONV2D_OPS
}  // namespace cpu

namespace cuda {
SPAIC_DECLARE_CONV2D_OPS
}  // namespace cuda

#undef SPAIC_DECLARE_CONV2D_OPS

}  // namespace spaic

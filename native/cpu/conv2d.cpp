// cpu/conv2d.cpp - conv2d by im2col + GEMM, one image at a time (the GEMM is the parallel part), and the
// non-overlapping max pool. Index maths: spaic/math/conv2d.h, shared with cuda/conv2d.cu.
#include <cstdint>

#include "cpu/parallel.h"
#include "spaic/conv2d.h"
#include "spaic/ops.h"

namespace spaic::cpu {

namespace {

template <typename T>
void im2col(const Conv2dParams& p, const T* xn, T* col) {
  const i64 rows = conv_col_rows(p), cols = conv_col_cols(p);
  SPAIC_OMP_FOR(rows * cols)
  for (i64 q = 0; q < rows; ++q) {
    T* dst = col + q * cols;
    for (i64 o = 0; o < cols; ++o) dst[o] = im2col_value(p, xn, q, o);
  }
}

}  // namespace

template <typename T>
void conv2d_forward(const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y, T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p);
  const i64 x_img = p.c_in * p.h_in * p.w_in, y_img = p.c_out * HW;
  for (i64 n = 0; n < p.batch; ++n) {
    T* yn = y + n * y_img;
    if (bias) {
      SPAIC_OMP_FOR(y_img)
      for (i64 e = 0; e < y_img; ++e) yn[e] = bias[e / HW];
    }
    if (K == 0) {
      if (!bias) fill<T>(yn, T(0), y_img);
      continue;
    }
    im2col(p, x + n * x_img, col);
    GemmParams g;
    g.m = p.c_out;
    g.n = HW;
    g.k = K;
    g.lda = K;
    g.ldb = HW;
    g.ldc = HW;
    g.beta = bias ? 1.0 : 0.0;
    gemm<T>(g, w, col, yn);
  }
}

template <typename T>
void conv2d_backward(const Conv2dParams& p, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb, bool accumulate,
                     T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p);
  const i64 x_img = p.c_in * p.h_in * p.w_in, y_img = p.c_out * HW;
  if (gw && !accumulate) fill<T>(gw, T(0), p.c_out * K);
  for (i64 n = 0; n < p.batch; ++n) {
    const T* gyn = gy + n * y_img;
    if (gw && K > 0 && HW > 0) {  // gw [C_out, K] += gy_n [C_out, HW] . col^T [HW, K]
      im2col(p, x + n * x_img, col);
      GemmParams g;
      g.trans_b = true;
      g.m = p.c_out;
      g.n = K;
      g.k = HW;
      g.lda = HW;
      g.ldb = HW;
      g.ldc = K;
      g.beta = 1.0;
      gemm<T>(g, gyn, col, gw);
    }
    if (gx) {  // col [K, HW] = w^T [K, C_out] . gy_n [C_out, HW], then col2im
      T* gxn = gx + n * x_img;
      if (K > 0 && HW > 0) {
        GemmParams g;
        g.trans_a = true;
        g.m = K;
        g.n = HW;
        g.k = p.c_out;
        g.lda = K;
        g.ldb = HW;
        g.ldc = HW;
        gemm<T>(g, w, gyn, col);
      }
      SPAIC_OMP_FOR(x_img * p.kh * p.kw)
      for (i64 e = 0; e < x_img; ++e) {
        const i64 wi = e % p.w_in, h = (e / p.w_in) % p.h_in, c = e / (p.w_in * p.h_in);
        const T v = HW > 0 ? col2im_value(p, col, c, h, wi) : T(0);
        gxn[e] = accumulate ? gxn[e] + v : v;
      }
    }
  }
  if (gb) {
    SPAIC_OMP_FOR(p.batch * y_img)
    for (i64 c = 0; c < p.c_out; ++c) {
      T acc = T(0);
      for (i64 n = 0; n < p.batch; ++n) {
        const T* g = gy + n * y_img + c * HW;
        for (i64 o = 0; o < HW; ++o) acc += g[o];
      }
      gb[c] = accumulate ? gb[c] + acc : acc;
    }
  }
}

template <typename T>
void maxpool2d_forward(const Pool2dParams& p, const T* x, T* y, std::int32_t* argmax) {
  const i64 per = p.h_out * p.w_out;
  SPAIC_OMP_FOR(p.planes * per * p.k * p.k)
  for (i64 e = 0; e < p.planes * per; ++e) {
    const i64 pl = e / per, o = e % per;
    y[e] = pool_window_max(p, x + pl * p.h_in * p.w_in, o / p.w_out, o % p.w_out, argmax + e);
  }
}

template <typename T>
void maxpool2d_backward(const Pool2dParams& p, const T* gy, const std::int32_t* argmax, T* gx) {
  const i64 per_in = p.h_in * p.w_in, per_out = p.h_out * p.w_out;
  SPAIC_OMP_FOR(p.planes * per_in)
  for (i64 e = 0; e < p.planes * per_in; ++e) {
    const i64 pl = e / per_in, i = e % per_in;
    gx[e] = pool_grad_value(p, gy + pl * per_out, argmax + pl * per_out, i / p.w_in, i % p.w_in);
  }
}

#define SPAIC_INSTANTIATE(T)                                                                                 \
  template void conv2d_forward<T>(const Conv2dParams&, const T*, const T*, const T*, T*, T*);                \
  template void conv2d_backward<T>(const Conv2dParams&, const T*, const T*, const T*, T*, T*, T*, bool, T*); \
  template void maxpool2d_forward<T>(const Pool2dParams&, const T*, T*, std::int32_t*);                      \
  template void maxpool2d_backward<T>(const Pool2dParams&, const T*, const std::int32_t*, T*);
SPAIC_INSTANTIATE(float)
SPAIC_INSTANTIATE(double)
#undef SPAIC_INSTANTIATE

}  // namespace spaic::cpu

// cuda/conv2d.cu - CUDA twin of cpu/conv2d.cpp: im2col / col2im / pool kernels around the tiled GEMM,
// one image at a time on the default stream (so the one `col` buffer is reused in order).
#include <cstdint>

#include "cuda/common.cuh"
#include "spaic/conv2d.h"
#include "spaic/ops.h"

namespace spaic::cuda {

namespace {

template <typename T>
__global__ void im2col_kernel(Conv2dParams p, const T* xn, T* col) {
  const i64 cols = conv_col_cols(p);
  SPAIC_GRID_STRIDE(e, conv_col_rows(p) * cols) col[e] = im2col_value(p, xn, e / cols, e % cols);
}

template <typename T>
__global__ void col2im_kernel(Conv2dParams p, const T* col, T* gxn, bool accumulate, bool empty) {
  SPAIC_GRID_STRIDE(e, p.c_in * p.h_in * p.w_in) {
    const i64 wi = e % p.w_in, h = (e / p.w_in) % p.h_in, c = e / (p.w_in * p.h_in);
    const T v = empty ? T(0) : col2im_value(p, col, conv_col_cols(p), c, h, wi);
    gxn[e] = accumulate ? gxn[e] + v : v;
  }
}

template <typename T>
__global__ void bias_fill_kernel(const T* bias, T* yn, i64 n, i64 hw) {
  SPAIC_GRID_STRIDE(e, n) yn[e] = bias[e / hw];
}

template <typename T>
__global__ void conv_grad_bias_kernel(Conv2dParams p, const T* gy, T* gb, bool accumulate) {
  // One block per output channel; fixed-order tree reduction over (n, hw).
  __shared__ T sh[kBlock];
  const i64 HW = conv_col_cols(p), y_img = p.c_out * HW;
  for (i64 c = blockIdx.x; c < p.c_out; c += gridDim.x) {
    T acc = T(0);
    for (i64 e = threadIdx.x; e < p.batch * HW; e += blockDim.x) acc += gy[(e / HW) * y_img + c * HW + e % HW];
    sh[threadIdx.x] = acc;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
      if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
      __syncthreads();
    }
    if (threadIdx.x == 0) gb[c] = accumulate ? gb[c] + sh[0] : sh[0];
    __syncthreads();
  }
}

template <typename T>
__global__ void pool_fwd_kernel(Pool2dParams p, const T* x, T* y, std::int32_t* argmax) {
  const i64 per = p.h_out * p.w_out;
  SPAIC_GRID_STRIDE(e, p.planes * per) {
    const i64 pl = e / per, o = e % per;
    y[e] = pool_window_max(p, x + pl * p.h_in * p.w_in, o / p.w_out, o % p.w_out, argmax + e);
  }
}

template <typename T>
__global__ void pool_bwd_kernel(Pool2dParams p, const T* gy, const std::int32_t* argmax, T* gx) {
  const i64 per_in = p.h_in * p.w_in, per_out = p.h_out * p.w_out;
  SPAIC_GRID_STRIDE(e, p.planes * per_in) {
    const i64 pl = e / per_in, i = e % per_in;
    gx[e] = pool_grad_value(p, gy + pl * per_out, argmax + pl * per_out, i / p.w_in, i % p.w_in);
  }
}

template <typename T>
void im2col(const Conv2dParams& p, const T* xn, T* col) {
  const i64 n = conv_col_rows(p) * conv_col_cols(p);
  if (n == 0) return;
  im2col_kernel<T><<<grid_for(n), kBlock>>>(p, xn, col);
  SPAIC_CUDA_LAUNCHED();
}

}  // namespace

// One image at a time: the columns of one image.
i64 conv2d_workspace_elems(const Conv2dParams& p) { return conv_col_rows(p) * conv_col_cols(p); }

template <typename T>
void conv2d_forward(const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y, T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p);
  const i64 x_img = p.c_in * p.h_in * p.w_in, y_img = p.c_out * HW;
  if (y_img == 0) return;
  for (i64 n = 0; n < p.batch; ++n) {
    T* yn = y + n * y_img;
    if (bias) {
      bias_fill_kernel<T><<<grid_for(y_img), kBlock>>>(bias, yn, y_img, HW);
      SPAIC_CUDA_LAUNCHED();
    }
    if (K == 0) {
      if (!bias) fill<T>(yn, T(0), y_img);
      continue;
    }
    im2col(p, x + n * x_img, col);
    const i64 Kg = conv_group_rows(p), Og = conv_group_out(p);
    for (i64 gr = 0; gr < p.groups; ++gr) {  // y rows of group gr = w_gr [Og, Kg] . col rows of group gr
      GemmParams g;
      g.m = Og;
      g.n = HW;
      g.k = Kg;
      g.lda = Kg;
      g.ldb = HW;
      g.ldc = HW;
      g.beta = bias ? 1.0 : 0.0;
      gemm<T>(g, w + gr * Og * Kg, col + gr * Kg * HW, yn + gr * Og * HW);
    }
  }
}

template <typename T>
void conv2d_backward(const Conv2dParams& p, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb, bool accumulate,
                     T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p);
  const i64 x_img = p.c_in * p.h_in * p.w_in, y_img = p.c_out * HW;
  const i64 Kg = conv_group_rows(p), Og = conv_group_out(p);
  if (gw && !accumulate) fill<T>(gw, T(0), p.c_out * Kg);
  for (i64 n = 0; n < p.batch; ++n) {
    const T* gyn = gy + n * y_img;
    if (gw && K > 0 && HW > 0) {  // per group: gw_g [Og, Kg] += gy_g [Og, HW] . col_g^T [HW, Kg]
      im2col(p, x + n * x_img, col);
      for (i64 gr = 0; gr < p.groups; ++gr) {
        GemmParams g;
        g.trans_b = true;
        g.m = Og;
        g.n = Kg;
        g.k = HW;
        g.lda = HW;
        g.ldb = HW;
        g.ldc = Kg;
        g.beta = 1.0;
        gemm<T>(g, gyn + gr * Og * HW, col + gr * Kg * HW, gw + gr * Og * Kg);
      }
    }
    if (gx && x_img > 0) {
      const bool empty = K == 0 || HW == 0;
      if (!empty) {  // per group: col_g [Kg, HW] = w_g^T [Kg, Og] . gy_g [Og, HW]
        for (i64 gr = 0; gr < p.groups; ++gr) {
          GemmParams g;
          g.trans_a = true;
          g.m = Kg;
          g.n = HW;
          g.k = Og;
          g.lda = Kg;
          g.ldb = HW;
          g.ldc = HW;
          gemm<T>(g, w + gr * Og * Kg, gyn + gr * Og * HW, col + gr * Kg * HW);
        }
      }
      col2im_kernel<T><<<grid_for(x_img), kBlock>>>(p, col, gx + n * x_img, accumulate, empty);
      SPAIC_CUDA_LAUNCHED();
    }
  }
  if (gb && p.c_out > 0) {
    conv_grad_bias_kernel<T><<<static_cast<unsigned>(p.c_out < 65535 ? p.c_out : 65535), kBlock>>>(p, gy, gb, accumulate);
    SPAIC_CUDA_LAUNCHED();
  }
}

template <typename T>
void maxpool2d_forward(const Pool2dParams& p, const T* x, T* y, std::int32_t* argmax) {
  const i64 n = p.planes * p.h_out * p.w_out;
  if (n == 0) return;
  pool_fwd_kernel<T><<<grid_for(n), kBlock>>>(p, x, y, argmax);
  SPAIC_CUDA_LAUNCHED();
}

template <typename T>
void maxpool2d_backward(const Pool2dParams& p, const T* gy, const std::int32_t* argmax, T* gx) {
  const i64 n = p.planes * p.h_in * p.w_in;
  if (n == 0) return;
  pool_bwd_kernel<T><<<grid_for(n), kBlock>>>(p, gy, argmax, gx);
  SPAIC_CUDA_LAUNCHED();
}

#define SPAIC_INSTANTIATE(T)                                                                                 \
  template void conv2d_forward<T>(const Conv2dParams&, const T*, const T*, const T*, T*, T*);                \
  template void conv2d_backward<T>(const Conv2dParams&, const T*, const T*, const T*, T*, T*, T*, bool, T*); \
  template void maxpool2d_forward<T>(const Pool2dParams&, const T*, T*, std::int32_t*);                      \
  template void maxpool2d_backward<T>(const Pool2dParams&, const T*, const std::int32_t*, T*);
SPAIC_INSTANTIATE(float)
SPAIC_INSTANTIATE(double)
#undef SPAIC_INSTANTIATE

}  // namespace spaic::cuda

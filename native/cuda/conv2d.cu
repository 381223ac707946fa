// cuda/conv2d.cu - CUDA twin of cpu/conv2d.cpp: im2col / col2im / pool kernels around the tiled GEMM.
// Images go in chunks (as many as fit a fixed column budget): one im2col launch, one strided-batched
// GEMM per group and one col2im launch per chunk, not per image, on the default stream (so the chunk's
// `col` buffer is reused in order). The weight gradient is summed over the chunk's images from per-image
// partials in ascending image order, the order the one-image-at-a-time code added them in.
#include <cstdint>

#include "cuda/common.cuh"
#include "cuda/gemm.cuh"
#include "spaic/conv2d.h"
#include "spaic/ops.h"

namespace spaic::cuda {

namespace {

// col[i] [K, HW] = the columns of image i of the chunk (xs points at the chunk's first image).
template <typename T>
__global__ void im2col_kernel(Conv2dParams p, const T* xs, T* col, i64 images) {
  const i64 cols = conv_col_cols(p), per = conv_col_rows(p) * cols, x_img = p.c_in * p.h_in * p.w_in;
  SPAIC_GRID_STRIDE(e, images * per) {
    const i64 i = e / per, r = e % per;
    col[e] = im2col_value(p, xs + i * x_img, r / cols, r % cols);
  }
}

template <typename T>
__global__ void col2im_kernel(Conv2dParams p, const T* col, T* gxs, bool accumulate, bool empty, i64 images) {
  const i64 x_img = p.c_in * p.h_in * p.w_in, per = conv_col_rows(p) * conv_col_cols(p);
  SPAIC_GRID_STRIDE(e, images * x_img) {
    const i64 i = e / x_img, r = e % x_img;
    const i64 wi = r % p.w_in, h = (r / p.w_in) % p.h_in, c = r / (p.w_in * p.h_in);
    const T v = empty ? T(0) : col2im_value(p, col + i * per, conv_col_cols(p), c, h, wi);
    gxs[e] = accumulate ? gxs[e] + v : v;
  }
}

// gw[e] += partial[0][e] + partial[1][e] + ... in ascending image order (deterministic).
template <typename T>
__global__ void sum_partials_kernel(const T* partial, i64 n, i64 images, T* gw) {
  SPAIC_GRID_STRIDE(e, n) {
    T acc = gw[e];
    for (i64 i = 0; i < images; ++i) acc = acc + partial[i * n + e];
    gw[e] = acc;
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
void im2col(const Conv2dParams& p, const T* xs, T* col, i64 images) {
  const i64 n = images * conv_col_rows(p) * conv_col_cols(p);
  if (n == 0) return;
  im2col_kernel<T><<<grid_for(n), kBlock>>>(p, xs, col, images);
  SPAIC_CUDA_LAUNCHED();
}

// Elements of columns per chunk: the budget for the images processed together.
constexpr i64 kColBudget = i64(1) << 24;

// Images per chunk: as many as the column budget holds (at least one, at most the batch).
i64 chunk_images(const Conv2dParams& p) {
  const i64 per = conv_col_rows(p) * conv_col_cols(p);
  i64 nb = per > 0 ? kColBudget / per : p.batch;
  if (nb < 1) nb = 1;
  return nb < p.batch ? nb : (p.batch > 0 ? p.batch : 1);
}

}  // namespace

// Image by image: col[n, q, o], the layout of torch's unfold (the chunks' layout, over the whole batch).
template <typename T>
void conv2d_im2col(const Conv2dParams& p, const T* x, T* col) {
  im2col(p, x, col, p.batch);
}

// A chunk of images: their columns, then the per-image weight-gradient partials.
i64 conv2d_workspace_elems(const Conv2dParams& p) {
  const i64 nb = chunk_images(p);
  return nb * (conv_col_rows(p) * conv_col_cols(p) + p.c_out * conv_group_rows(p));
}

template <typename T>
void conv2d_forward(const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y, T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p);
  const i64 x_img = p.c_in * p.h_in * p.w_in, y_img = p.c_out * HW;
  if (y_img == 0 || p.batch == 0) return;
  const i64 Kg = conv_group_rows(p), Og = conv_group_out(p), nb = chunk_images(p);
  for (i64 n0 = 0; n0 < p.batch; n0 += nb) {
    const i64 m = p.batch - n0 < nb ? p.batch - n0 : nb;
    T* ys = y + n0 * y_img;
    if (bias) {
      bias_fill_kernel<T><<<grid_for(m * y_img), kBlock>>>(bias, ys, m * y_img, HW);
      SPAIC_CUDA_LAUNCHED();
    }
    if (K == 0) {
      if (!bias) fill<T>(ys, T(0), m * y_img);
      continue;
    }
    im2col(p, x + n0 * x_img, col, m);
    const GemmParams g = conv_forward_gemm(p, HW, bias ? 1.0 : 0.0);
    for (i64 gr = 0; gr < p.groups; ++gr)  // y rows of group gr = w_gr [Og, Kg] . col rows of group gr
      gemm_batched<T>(g, w + gr * Og * Kg, 0, col + gr * Kg * HW, K * HW, ys + gr * Og * HW, y_img, m);
  }
}

template <typename T>
void conv2d_backward(const Conv2dParams& p, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb, bool accumulate,
                     T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p);
  const i64 x_img = p.c_in * p.h_in * p.w_in, y_img = p.c_out * HW;
  const i64 Kg = conv_group_rows(p), Og = conv_group_out(p), nb = chunk_images(p);
  const i64 nw = p.c_out * Kg;
  T* partial = col + nb * K * HW;  // [nb, C_out, Kg]
  if (gw && !accumulate) fill<T>(gw, T(0), nw);
  for (i64 n0 = 0; n0 < p.batch; n0 += nb) {
    const i64 m = p.batch - n0 < nb ? p.batch - n0 : nb;
    const T* gys = gy + n0 * y_img;
    if (gw && K > 0 && HW > 0) {  // per image and group: partial [Og, Kg] = gy_g [Og, HW] . col_g^T [HW, Kg]
      im2col(p, x + n0 * x_img, col, m);
      const GemmParams g = conv_grad_weight_gemm(p, HW, 0.0);
      for (i64 gr = 0; gr < p.groups; ++gr)
        gemm_batched<T>(g, gys + gr * Og * HW, y_img, col + gr * Kg * HW, K * HW, partial + gr * Og * Kg, nw, m);
      sum_partials_kernel<T><<<grid_for(nw), kBlock>>>(partial, nw, m, gw);
      SPAIC_CUDA_LAUNCHED();
    }
    if (gx && x_img > 0) {
      const bool empty = K == 0 || HW == 0;
      if (!empty) {  // per image and group: col_g [Kg, HW] = w_g^T [Kg, Og] . gy_g [Og, HW]
        const GemmParams g = conv_grad_input_gemm(p, HW);
        for (i64 gr = 0; gr < p.groups; ++gr)
          gemm_batched<T>(g, w + gr * Og * Kg, 0, gys + gr * Og * HW, y_img, col + gr * Kg * HW, K * HW, m);
      }
      col2im_kernel<T><<<grid_for(m * x_img), kBlock>>>(p, col, gx + n0 * x_img, accumulate, empty, m);
      SPAIC_CUDA_LAUNCHED();
    }
  }
  if (gb && p.c_out > 0) {
    conv_grad_bias_kernel<T>
        <<<static_cast<unsigned>(p.c_out < 65535 ? p.c_out : 65535), kBlock>>>(p, gy, gb, accumulate);
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

SPAIC_INSTANTIATE_CONV2D_OPS(float)
SPAIC_INSTANTIATE_CONV2D_OPS(double)

}  // namespace spaic::cuda

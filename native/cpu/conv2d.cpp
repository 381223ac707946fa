// cpu/conv2d.cpp - conv2d by im2col + GEMM, and the non-overlapping max pool. Index maths:
// spaic/math/conv2d.h, shared with cuda/conv2d.cu.
//
// Images go in groups: the group's columns sit side by side in one [K, nb*HW] matrix, so one GEMM
// covers nb images (a single-image GEMM is too small to keep the cores busy: conv1 of an MNIST net is
// [32 x 9] . [9 x 784]). The product lands as [C_out, nb*HW] and is scattered to NCHW with the bias.
#include <algorithm>
#include <cstdint>

#include "cpu/parallel.h"
#include "spaic/conv2d.h"
#include "spaic/ops.h"

namespace spaic::cpu {

namespace {

constexpr i64 kGroupElems = i64(1) << 21;  // cap on the scratch of one group (8 MiB of float)

i64 group_size(const Conv2dParams& p) {
  const i64 per = (conv_col_rows(p) + p.c_out) * conv_col_cols(p);
  if (per == 0) return std::max<i64>(p.batch, 1);
  return std::max<i64>(1, std::min<i64>(p.batch, kGroupElems / per));
}

// The outputs o in [*lo, *hi) of one axis whose input o*stride + off lies in [0, n): the padding's
// outputs fall outside, so the loops over the range need no test per element.
inline void valid_outputs(i64 off, i64 stride, i64 n, i64 n_out, i64* lo, i64* hi) {
  *lo = off >= 0 ? 0 : std::min(n_out, (-off + stride - 1) / stride);
  *hi = n - 1 - off < 0 ? 0 : std::min(n_out, (n - 1 - off) / stride + 1);
  if (*hi < *lo) *hi = *lo;
}

// Row q of one image's im2col matrix (HW values) into dst; xn is the image [C_in, H, W]. The values of
// im2col_source (spaic/math/conv2d.h), an output row at a time: zeros where the window reads padding.
template <typename T>
void im2col_row(const Conv2dParams& p, const T* xn, i64 q, T* dst) {
  const i64 kj = q % p.kw, ki = (q / p.kw) % p.kh, c = q / (p.kw * p.kh);
  const T* plane = xn + c * p.h_in * p.w_in;
  const i64 off_w = kj * p.dil_w - p.pad_w;
  i64 lo, hi;
  valid_outputs(off_w, p.stride_w, p.w_in, p.w_out, &lo, &hi);
  for (i64 oh = 0; oh < p.h_out; ++oh) {
    T* d = dst + oh * p.w_out;
    const i64 h = oh * p.stride_h - p.pad_h + ki * p.dil_h;
    if (h < 0 || h >= p.h_in) {
      std::fill(d, d + p.w_out, T(0));
      continue;
    }
    const T* src = plane + h * p.w_in;  // the input of output ow is src[ow * stride + off_w]
    std::fill(d, d + lo, T(0));
    if (p.stride_w == 1)
      for (i64 ow = lo; ow < hi; ++ow) d[ow] = src[ow + off_w];
    else
      for (i64 ow = lo; ow < hi; ++ow) d[ow] = src[ow * p.stride_w + off_w];
    std::fill(d + hi, d + p.w_out, T(0));
  }
}

// Planes up to this many elements take the scatter col2im below (its accumulator lives on the stack).
constexpr i64 kScatterPlane = 4096;

// The input gradient of one plane (channel c of one image) into acc [H, W], zeroed by the caller: every col
// entry is added to the pixel it read, kernel row ki then column kj outermost, so each pixel sums its terms
// in col2im_value's order from the same zero, and gets the same value bit for bit, while the inner loop
// runs along contiguous rows.
template <typename T>
void col2im_plane(const Conv2dParams& p, const T* col, i64 ld, i64 c, T* SPAIC_RESTRICT acc) {
  for (i64 ki = 0; ki < p.kh; ++ki) {
    for (i64 kj = 0; kj < p.kw; ++kj) {
      const T* SPAIC_RESTRICT row = col + ((c * p.kh + ki) * p.kw + kj) * ld;
      const i64 off_w = kj * p.dil_w - p.pad_w;
      i64 lo, hi;
      valid_outputs(off_w, p.stride_w, p.w_in, p.w_out, &lo, &hi);
      for (i64 oh = 0; oh < p.h_out; ++oh) {
        const i64 h = oh * p.stride_h - p.pad_h + ki * p.dil_h;
        if (h < 0 || h >= p.h_in) continue;
        T* a = acc + h * p.w_in;
        const T* r = row + oh * p.w_out;
        if (p.stride_w == 1)
          for (i64 ow = lo; ow < hi; ++ow) a[ow + off_w] += r[ow];
        else
          for (i64 ow = lo; ow < hi; ++ow) a[ow * p.stride_w + off_w] += r[ow];
      }
    }
  }
}

// col[q, g*HW + o] for images n0 .. n0+nb-1: one (image, q) row segment per task.
template <typename T>
void im2col_group(const Conv2dParams& p, const T* x, i64 n0, i64 nb, T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p), ld = nb * HW;
  const i64 x_img = p.c_in * p.h_in * p.w_in;
  parallel_for(nb * K, K * ld, [&](i64 task) {
    const i64 g = task / K, q = task % K;
    im2col_row(p, x + (n0 + g) * x_img, q, col + q * ld + g * HW);
  });
}

}  // namespace

// Image by image: col[n, q, o], the layout of torch's unfold.
template <typename T>
void conv2d_im2col(const Conv2dParams& p, const T* x, T* col) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p), x_img = p.c_in * p.h_in * p.w_in;
  parallel_for(p.batch * K, p.batch * K * HW, [&](i64 task) {
    const i64 n = task / K, q = task % K;
    im2col_row(p, x + n * x_img, q, col + task * HW);
  });
}

namespace {}  // namespace

i64 conv2d_workspace_elems(const Conv2dParams& p) {
  return group_size(p) * (conv_col_rows(p) + p.c_out) * conv_col_cols(p);
}

template <typename T>
void conv2d_forward(const Conv2dParams& p, const T* x, const T* w, const T* bias, T* y, T* ws) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p), G = group_size(p);
  const i64 y_img = p.c_out * HW;
  for (i64 n0 = 0; n0 < p.batch; n0 += G) {
    const i64 nb = std::min(G, p.batch - n0), ld = nb * HW;
    T* col = ws;
    T* prod = ws + K * ld;  // [C_out, nb*HW]
    if (K > 0 && ld > 0) {
      im2col_group(p, x, n0, nb, col);
      const i64 Kg = conv_group_rows(p), Og = conv_group_out(p);
      const GemmParams g = conv_forward_gemm(p, ld, 0.0);
      for (i64 gr = 0; gr < p.groups; ++gr)  // prod rows of group gr = w_gr [Og, Kg] . col rows of group gr
        gemm<T>(g, w + gr * Og * Kg, col + gr * Kg * ld, prod + gr * Og * ld);
    }
    parallel_for(nb * p.c_out, nb * y_img, [&](i64 plane) {
      const i64 gi = plane / p.c_out, c = plane % p.c_out;
      const T* src = prod + c * ld + gi * HW;
      T* dst = y + (n0 + gi) * y_img + c * HW;
      const T b = bias ? bias[c] : T(0);
      for (i64 o = 0; o < HW; ++o) {
        const T v = K > 0 ? src[o] : T(0);
        dst[o] = bias ? v + b : v;
      }
    });
  }
}

template <typename T>
void conv2d_backward(const Conv2dParams& p, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb, bool accumulate,
                     T* ws) {
  const i64 K = conv_col_rows(p), HW = conv_col_cols(p), G = group_size(p);
  const i64 x_img = p.c_in * p.h_in * p.w_in, y_img = p.c_out * HW;
  if (gw && !accumulate) fill<T>(gw, T(0), p.c_out * conv_group_rows(p));
  for (i64 n0 = 0; n0 < p.batch && (gw || gx); n0 += G) {
    const i64 nb = std::min(G, p.batch - n0), ld = nb * HW;
    T* col = ws;
    T* gyg = ws + K * ld;  // the group's gy as [C_out, nb*HW]
    parallel_for(nb * p.c_out, nb * y_img, [&](i64 plane) {
      const i64 gi = plane / p.c_out, c = plane % p.c_out;
      const T* src = gy + (n0 + gi) * y_img + c * HW;
      T* dst = gyg + c * ld + gi * HW;
      for (i64 o = 0; o < HW; ++o) dst[o] = src[o];
    });
    const i64 Kg = conv_group_rows(p), Og = conv_group_out(p);
    if (gw && K > 0 && ld > 0) {  // per group: gw_g [Og, Kg] += gy_g [Og, nb*HW] . col_g^T [nb*HW, Kg]
      im2col_group(p, x, n0, nb, col);
      const GemmParams g = conv_grad_weight_gemm(p, ld, 1.0);
      for (i64 gr = 0; gr < p.groups; ++gr) gemm<T>(g, gyg + gr * Og * ld, col + gr * Kg * ld, gw + gr * Og * Kg);
    }
    if (gx) {  // per group: col_g [Kg, nb*HW] = w_g^T [Kg, Og] . gy_g [Og, nb*HW], then col2im per image
      const bool empty = K == 0 || ld == 0;
      if (!empty) {
        const GemmParams g = conv_grad_input_gemm(p, ld);
        for (i64 gr = 0; gr < p.groups; ++gr) gemm<T>(g, w + gr * Og * Kg, gyg + gr * Og * ld, col + gr * Kg * ld);
      }
      parallel_for(nb * p.c_in, nb * x_img * p.kh * p.kw, [&](i64 plane) {
        const i64 gi = plane / p.c_in, c = plane % p.c_in;
        T* dst = gx + (n0 + gi) * x_img + c * p.h_in * p.w_in;
        const i64 per = p.h_in * p.w_in;
        if (!empty && per <= kScatterPlane) {
          T acc[kScatterPlane];
          std::fill(acc, acc + per, T(0));
          col2im_plane(p, col + gi * HW, ld, c, acc);
          if (accumulate)
            for (i64 e = 0; e < per; ++e) dst[e] = dst[e] + acc[e];
          else std::copy(acc, acc + per, dst);
          return;
        }
        for (i64 h = 0; h < p.h_in; ++h) {
          for (i64 wi = 0; wi < p.w_in; ++wi) {
            const T v = empty ? T(0) : col2im_value(p, col + gi * HW, ld, c, h, wi);
            T* d = dst + h * p.w_in + wi;
            *d = accumulate ? *d + v : v;
          }
        }
      });
    }
  }
  if (gb) {
    parallel_for(p.c_out, p.batch * y_img, [&](i64 c) {
      T acc = T(0);
      for (i64 n = 0; n < p.batch; ++n) {
        const T* g = gy + n * y_img + c * HW;
        for (i64 o = 0; o < HW; ++o) acc += g[o];
      }
      gb[c] = accumulate ? gb[c] + acc : acc;
    });
  }
}

template <typename T>
void maxpool2d_forward(const Pool2dParams& p, const T* x, T* y, std::int32_t* argmax) {
  const i64 per = p.h_out * p.w_out;
  parallel_for(p.planes, p.planes * per * p.k * p.k, [&](i64 pl) {
    const T* plane = x + pl * p.h_in * p.w_in;
    for (i64 oh = 0; oh < p.h_out; ++oh)
      for (i64 ow = 0; ow < p.w_out; ++ow) {
        const i64 e = pl * per + oh * p.w_out + ow;
        y[e] = pool_window_max(p, plane, oh, ow, argmax + e);
      }
  });
}

// The windows do not overlap, so each plane is zeroed and every window's gradient written to its argmax
// (a scatter: no per-element division, unlike the gather of pool_grad_value that CUDA's threads use).
template <typename T>
void maxpool2d_backward(const Pool2dParams& p, const T* gy, const std::int32_t* argmax, T* gx) {
  const i64 per_in = p.h_in * p.w_in, per_out = p.h_out * p.w_out;
  parallel_for(p.planes, p.planes * per_in, [&](i64 pl) {
    const T* g = gy + pl * per_out;
    const std::int32_t* a = argmax + pl * per_out;
    T* dst = gx + pl * per_in;
    std::fill(dst, dst + per_in, T(0));
    for (i64 oh = 0; oh < p.h_out; ++oh) {
      for (i64 ow = 0; ow < p.w_out; ++ow) {
        const i64 o = oh * p.w_out + ow;
        const i64 d = i64(a[o]) - (oh * p.k * p.w_in + ow * p.k);  // offset from the window's corner
        // only an argmax inside its own window routes (as the gather: any other value routes nowhere)
        for (i64 i = 0; i < p.k; ++i) {
          if (d >= i * p.w_in && d < i * p.w_in + p.k) {
            dst[a[o]] = g[o];
            break;
          }
        }
      }
    }
  });
}

SPAIC_INSTANTIATE_CONV2D_OPS(float)
SPAIC_INSTANTIATE_CONV2D_OPS(double)

}  // namespace spaic::cpu

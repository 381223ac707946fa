// spaic/math/conv2d.h - index maths of conv2d (im2col / col2im) and of the max-pool window, shared by
// cpu/conv2d.cpp and cuda/conv2d.cu. Layout NCHW, weight [C_out, C_in/groups, kh, kw].
//
// Groups: input channels [g*C_in/G, (g+1)*C_in/G) feed output channels [g*C_out/G, (g+1)*C_out/G). The
// im2col matrix of an image has C_in*kh*kw rows whose channel-major order puts each group's rows in one
// contiguous block of conv_group_rows(p) rows, so group g is one GEMM of weight rows
// [g*C_out/G, (g+1)*C_out/G) (each conv_group_rows(p) long) with that block.
#pragma once

#include <cstdint>

#include "spaic/common.h"

namespace spaic {

struct Conv2dParams {
  i64 batch = 0, c_in = 0, h_in = 0, w_in = 0, c_out = 0, kh = 1, kw = 1;
  i64 stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1;
  i64 h_out = 0, w_out = 0;
  i64 groups = 1;  // divides c_in and c_out
};

// Non-overlapping max pool (kernel == stride, padding 0: SPAIC's ['conv', 'maxpool'] uses 2).
struct Pool2dParams {
  i64 planes = 0, h_in = 0, w_in = 0, k = 2;
  i64 h_out = 0, w_out = 0;
};

// floor((in + 2*pad - dil*(k-1) - 1) / stride) + 1; <= 0 when the kernel does not fit.
SPAIC_HD i64 conv_out_size(i64 in, i64 k, i64 stride, i64 pad, i64 dil) {
  const i64 span = in + 2 * pad - dil * (k - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

SPAIC_HD i64 conv_col_rows(const Conv2dParams& p) { return p.c_in * p.kh * p.kw; }
SPAIC_HD i64 conv_col_cols(const Conv2dParams& p) { return p.h_out * p.w_out; }
// Rows of one group's block of the im2col matrix (= the weight's row length), and its output channels.
SPAIC_HD i64 conv_group_rows(const Conv2dParams& p) { return conv_col_rows(p) / p.groups; }
SPAIC_HD i64 conv_group_out(const Conv2dParams& p) { return p.c_out / p.groups; }

// Input pixel (h, w) that kernel tap (ki, kj) reads for output (oh, ow); false when it is padding.
SPAIC_HD bool im2col_source(const Conv2dParams& p, i64 ki, i64 kj, i64 oh, i64 ow, i64* h, i64* w) {
  *h = oh * p.stride_h - p.pad_h + ki * p.dil_h;
  *w = ow * p.stride_w - p.pad_w + kj * p.dil_w;
  return *h >= 0 && *h < p.h_in && *w >= 0 && *w < p.w_in;
}

// col[q, o] of one image x_n [C_in, H, W]: q = (c*kh + ki)*kw + kj, o = oh*w_out + ow.
template <typename T>
SPAIC_HD T im2col_value(const Conv2dParams& p, const T* xn, i64 q, i64 o) {
  const i64 kj = q % p.kw, ki = (q / p.kw) % p.kh, c = q / (p.kw * p.kh);
  i64 h, w;
  if (!im2col_source(p, ki, kj, o / p.w_out, o % p.w_out, &h, &w)) return T(0);
  return xn[(c * p.h_in + h) * p.w_in + w];
}

// Input gradient of x_n[c, h, w]: the sum of the col entries that read it, ki then kj ascending.
// `col` points at the image's first column; `ld` is the distance between col rows.
template <typename T>
SPAIC_HD T col2im_value(const Conv2dParams& p, const T* col, i64 ld, i64 c, i64 h, i64 w) {
  T acc = T(0);
  for (i64 ki = 0; ki < p.kh; ++ki) {
    const i64 hn = h + p.pad_h - ki * p.dil_h;
    if (hn < 0) continue;
    i64 oh = hn;
    if (p.stride_h != 1) {  // skip the divisions in the common stride-1 case
      if (hn % p.stride_h != 0) continue;
      oh = hn / p.stride_h;
    }
    if (oh >= p.h_out) continue;
    for (i64 kj = 0; kj < p.kw; ++kj) {
      const i64 wn = w + p.pad_w - kj * p.dil_w;
      if (wn < 0) continue;
      i64 ow = wn;
      if (p.stride_w != 1) {
        if (wn % p.stride_w != 0) continue;
        ow = wn / p.stride_w;
      }
      if (ow >= p.w_out) continue;
      acc += col[((c * p.kh + ki) * p.kw + kj) * ld + oh * p.w_out + ow];
    }
  }
  return acc;
}

// Max over the window of output (oh, ow) of one plane, PyTorch's rule: the first maximum in row-major
// window order wins, and a NaN wins over any number (the last NaN, as PyTorch's `v > max || isnan(v)`). `*arg` is the
// flat index h*w_in + w in the plane.
template <typename T>
SPAIC_HD T pool_window_max(const Pool2dParams& p, const T* plane, i64 oh, i64 ow, std::int32_t* arg) {
  const i64 h0 = oh * p.k, w0 = ow * p.k;
  T best = plane[h0 * p.w_in + w0];
  std::int32_t a = static_cast<std::int32_t>(h0 * p.w_in + w0);
  for (i64 i = 0; i < p.k; ++i) {
    for (i64 j = 0; j < p.k; ++j) {
      const i64 idx = (h0 + i) * p.w_in + w0 + j;
      const T v = plane[idx];
      if (v > best || v != v) {
        best = v;
        a = static_cast<std::int32_t>(idx);
      }
    }
  }
  *arg = a;
  return best;
}

// Gradient routed back to plane element (h, w): the window's gradient if this element was its argmax.
template <typename T>
SPAIC_HD T pool_grad_value(const Pool2dParams& p, const T* gy_plane, const std::int32_t* arg_plane, i64 h, i64 w) {
  const i64 oh = h / p.k, ow = w / p.k;
  if (oh >= p.h_out || ow >= p.w_out) return T(0);
  const i64 o = oh * p.w_out + ow;
  return arg_plane[o] == static_cast<std::int32_t>(h * p.w_in + w) ? gy_plane[o] : T(0);
}

}  // namespace spaic

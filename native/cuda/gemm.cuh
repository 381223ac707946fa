// cuda/gemm.cuh - the strided-batched form of the CUDA GEMM, for kernels that run one product per image
// (conv2d): C_z = alpha*op(A_z)*op(B_z) + beta*C_z for z < count, with X_z = X + z*sX (a stride of 0
// shares one operand). One launch for the whole batch instead of one per image.
#pragma once

#include "spaic/ops.h"

namespace spaic::cuda {

template <typename T>
void gemm_batched(const GemmParams& p, const T* a, i64 sa, const T* b, i64 sb, T* c, i64 sc, i64 count);

}  // namespace spaic::cuda

// 1×1 convolution kernel in AVX-512 with the epilogue fused (see Sources/PareKernels/Conv2D.swift).
#ifndef PARE_POINTWISE_H
#define PARE_POINTWISE_H
#include <stddef.h>

/// Floats `pare_pointwise_pack` writes for an M × C weight.
size_t pare_pointwise_packed_count(int m, int c);

/// Reorders weights w[m][c] for `pare_pointwise_forward`: blocks of eight output channels, each
/// as [c][8], then the remaining channels as [c].
void pare_pointwise_pack(int m, int c, const float *w, float *packed);

/// y[o·plane + p] = clamp(Σ_i W[o][i] · x[i·plane + p] + bias[o] + residual[o·plane + p]) for
/// output channels o in [first, end) and columns p in [column_begin, column_end): one image of a
/// 1×1 stride-1 convolution, `plane` pixels per channel. `bias` and `residual` may be null. The
/// clamp sets lanes ≤ lo to lo and lanes > hi to hi. `first` must be a multiple of 8 and `end`
/// one too or m (the packing's blocks). Available where `pare_taps_available` says so.
void pare_pointwise_forward(int m, int c, const float *packed, const float *x, size_t plane, float *y,
                            const float *bias, const float *residual, float lo, float hi, int first, int end,
                            int column_begin, int column_end);
#endif

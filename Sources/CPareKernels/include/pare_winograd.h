// Fused F(2×2, 3×3) Winograd convolution of one image on AVX2 + FMA (see
// Sources/PareKernels/WinogradTaps.swift for when it runs and why).
#ifndef PARE_WINOGRAD_H
#define PARE_WINOGRAD_H
#include <stddef.h>
#include "pare_taps.h"

/// Floats `pare_winograd2_pack` writes for an M × C × 3 × 3 weight: 16 transformed positions.
size_t pare_winograd2_packed_count(int m, int c);

/// U = G·g·Gᵀ for every (output, input) channel pair of w[m][c][3][3], laid out per transformed
/// position ξ (16 of them) as `pare_taps_pack` lays out a one-tap weight: blocks of four output
/// channels as [c][4], then the remaining channels as [c].
void pare_winograd2_pack(int m, int c, const float *w, float *u);

/// Floats of scratch one thread needs for `pare_winograd2_forward_avx2` on C → M channels of
/// H × W images: one zero-padded channel plane, the image's transform and the products.
size_t pare_winograd2_scratch_count(int m, int c, int h, int w);

/// One image x[c][h][w] convolved with the 3×3 weights packed in `u` (stride 1, padding 1 on
/// every side, so the output is h × w too), each output finished as `pare_taps_output` says
/// (bias, residual, clamp; `row_width` is not used). `fresh`: the scratch holds no earlier image
/// of this shape (its borders are cleared first; later images overwrite only the interior).
void pare_winograd2_forward_avx2(int m, int c, int h, int w, const float *u, const float *x, float *scratch, int fresh,
                                 const pare_taps_output *out);

/// Floats of scratch one thread needs for `pare_winograd2_weight_gradient_avx2` with `chunk`
/// images transformed at a time.
size_t pare_winograd2_gradient_scratch_count(int m, int c, int h, int w, int chunk);

/// dw[m][c][3][3] = the weight gradient of a 3×3, stride-1, padding-1 convolution summed over
/// `images` consecutive images x[n][c][h][w] and their output gradients dy[n][m][h][w]
/// (overwritten, not added to), transforming `chunk` images at a time.
void pare_winograd2_weight_gradient_avx2(int m, int c, int h, int w, int images, const float *x, const float *dy,
                                         int chunk, float *scratch, float *dw);
#endif

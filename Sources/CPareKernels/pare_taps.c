// Register-blocked AVX-512 kernels for stride-1 convolutions on zero-padded images.
//
// Why not OpenBLAS: a shifted-tap convolution is kH·kW GEMMs only C deep (C = 8–64 channels in
// CIFAR ResNets). OpenBLAS packs both operands for every such call and re-reads the product
// once per tap; here all taps and channels accumulate in registers and the weights are packed
// once per layer. Measured on this machine (one thread, 16 channels at 32×32): 117 GFLOP/s, the
// core's FMA peak, against OpenBLAS's 81 with its Haswell kernel and 101 with its AVX-512 one.
//
// The functions are compiled for AVX-512F only (target attributes), so the rest of the build
// keeps the baseline instruction set; `pare_taps_isa` checks the CPU before any call
// (pare_taps_avx2.c has the same kernels for CPUs with AVX2 and FMA only).
#include "pare_taps.h"
#include "pare_simd.h"
#include "pare_taps_view.h"

int pare_taps_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
}

size_t pare_taps_packed_count(int m, int c, int taps) { return (size_t)m * (size_t)c * (size_t)taps; }

void pare_taps_pack(int m, int c, int taps, const float *w, float *packed) {
    int blocked = m / 4 * 4;
    for (int o0 = 0; o0 < blocked; o0 += 4)
        for (int i = 0; i < c; i++)
            for (int t = 0; t < taps; t++)
                for (int a = 0; a < 4; a++) *packed++ = w[((size_t)(o0 + a) * c + i) * taps + t];
    for (int o = blocked; o < m; o++)
        for (int i = 0; i < c; i++)
            for (int t = 0; t < taps; t++) *packed++ = w[((size_t)o * c + i) * taps + t];
}


// Lanes of the 16 sum columns from one whose pixel x is `x` (0 ≤ x < row_width) that are
// output pixels: column x + l lies in the row's pixels while (x + l) mod row_width < out_width.
// Set as runs of out_width lanes, one per output row the 16 lanes touch.
PARE_INLINE __mmask16 pixel_lanes(int x, int row_width, int out_width) {
    unsigned lanes = 0;
    for (int start = x < out_width ? -x : row_width - x; start < 16; start += row_width) {
        int first = start < 0 ? 0 : start, end = start + out_width < 16 ? start + out_width : 16;
        if (end > first) lanes |= ((1u << (end - first)) - 1) << first;
    }
    return (__mmask16)lanes;
}

// Stores one vector of sums for output channel `a` straight into the NCHW output at pixel
// index `at`: the pixel lanes packed together (they are consecutive pixels there), then
// finished as Sources/PareKernels/Epilogue.swift does (`pare_finish`).
PARE_INLINE void store_pixels(const pare_taps_output *out, int a, size_t at, __mmask16 lanes, __m512 sum) {
    int count = __builtin_popcount((unsigned)lanes);
    if (count == 0) return;
    at += (size_t)a * out->out_plane;
    __mmask16 head = count == 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
    __m512 v = pare_finish(_mm512_maskz_compress_ps(lanes, sum), _mm512_set1_ps(out->bias ? out->bias[a] : 0.0f),
                           out->residual ? out->residual + at : 0, head, _mm512_set1_ps(out->lo), _mm512_set1_ps(out->hi));
    _mm512_mask_storeu_ps(out->y + at, head, v);
}

// CB output channels × PB vectors of 16 columns from `p0`; lanes past `columns` are masked off
// (loads read zero, stores skip them), and the sums go straight to the output's pixels. CB and PB
// are constants at every call and the loops are unrolled, so the accumulators live in registers
// (CB·PB ≤ 24 of the 32; PB ≤ 6); without the pragmas clang kept them in a stack array once
// the store became a loop of `store_pixels` calls, at 40% of the speed.
PARE_INLINE void forward_block(const int cb, const int pb, int c, int taps, const int *offsets, const float *w,
                               const float *padded, size_t plane, const pare_taps_output *out, int columns, int p0) {
    __m512 acc[4][6];
    __mmask16 mask[6];
#pragma GCC unroll 6
    for (int b = 0; b < pb; b++) mask[b] = first_lanes(columns - p0 - 16 * b);
#pragma GCC unroll 4
    for (int a = 0; a < cb; a++)
#pragma GCC unroll 6
        for (int b = 0; b < pb; b++) acc[a][b] = _mm512_setzero_ps();
    for (int i = 0; i < c; i++) {
        const float *row = padded + (size_t)i * plane + p0;
        for (int t = 0; t < taps; t++) {
            __m512 x[6];
#pragma GCC unroll 6
            for (int b = 0; b < pb; b++) x[b] = _mm512_maskz_loadu_ps(mask[b], row + offsets[t] + 16 * b);
#pragma GCC unroll 4
            for (int a = 0; a < cb; a++) {
                __m512 weight = _mm512_set1_ps(w[a]);
#pragma GCC unroll 6
                for (int b = 0; b < pb; b++) acc[a][b] = _mm512_fmadd_ps(weight, x[b], acc[a][b]);
            }
            w += cb;
        }
    }
    // One division per block; the row and pixel of each next vector by stepping.
    int width = out->row_width, row = p0 / width, x = p0 % width;
#pragma GCC unroll 6
    for (int b = 0; b < pb; b++) {
        __mmask16 lanes = pixel_lanes(x, width, out->out_width) & mask[b];
        size_t at = (size_t)row * (size_t)out->out_width + (size_t)(x < out->out_width ? x : out->out_width);
#pragma GCC unroll 4
        for (int a = 0; a < cb; a++) store_pixels(out, a, at, lanes, acc[a][b]);
        for (x += 16; x >= width; x -= width) row++;
    }
}

// One row block across all columns: 64 at a time while more than 96 are left, then the rest
// in one block of as many vectors as cover it (up to six), so that short rows — 80 columns for
// an 8×8 image on the padded width — are not left to a block with too few sums to hide the
// FMA latency.
PARE_INLINE void forward_row(const int cb, int c, int taps, const int *offsets, const float *w, const float *padded,
                             size_t plane, const pare_taps_output *out, int columns) {
    int p0 = 0;
    for (; columns - p0 > 96; p0 += 64) forward_block(cb, 4, c, taps, offsets, w, padded, plane, out, columns, p0);
    switch ((columns - p0 + 15) / 16) {
    case 6: forward_block(cb, 6, c, taps, offsets, w, padded, plane, out, columns, p0); break;
    case 5: forward_block(cb, 5, c, taps, offsets, w, padded, plane, out, columns, p0); break;
    case 4: forward_block(cb, 4, c, taps, offsets, w, padded, plane, out, columns, p0); break;
    case 3: forward_block(cb, 3, c, taps, offsets, w, padded, plane, out, columns, p0); break;
    case 2: forward_block(cb, 2, c, taps, offsets, w, padded, plane, out, columns, p0); break;
    case 1: forward_block(cb, 1, c, taps, offsets, w, padded, plane, out, columns, p0); break;
    default: break;
    }
}

PARE_AVX512 void pare_taps_forward(int m, int c, int taps, const int *offsets, const float *packed,
                                   const float *padded, size_t plane, int columns, const pare_taps_output *out) {
    int blocked = m / 4 * 4;
    size_t per_channel = (size_t)c * taps;
    for (int o0 = 0; o0 < blocked; o0 += 4) {
        pare_taps_output view = pare_taps_channel_view(out, o0);
        forward_row(4, c, taps, offsets, packed + (size_t)o0 * per_channel, padded, plane, &view, columns);
    }
    for (int o = blocked; o < m; o++) {
        pare_taps_output view = pare_taps_channel_view(out, o);
        forward_row(1, c, taps, offsets, packed + (size_t)o * per_channel, padded, plane, &view, columns);
    }
}

// OB output channels (1 or 2) against one input channel, all nine taps: 9·OB accumulators of
// 16 partial sums each, reduced once after every image and pixel has been added.
PARE_INLINE void gradient_block(const int ob, int m, int c, int o, int i, const int *offsets, int images,
                                const float *grad, size_t grad_image, const float *padded, size_t plane,
                                size_t padded_image, int columns, float *sums, int accumulate) {
    __m512 acc[2][9];
    for (int a = 0; a < ob; a++)
        for (int t = 0; t < 9; t++) acc[a][t] = _mm512_setzero_ps();
    for (int n = 0; n < images; n++) {
        const float *g = grad + (size_t)n * grad_image + (size_t)o * columns;
        const float *x = padded + (size_t)n * padded_image + (size_t)i * plane;
        for (int p = 0; p < columns; p += 16) {
            __mmask16 mask = first_lanes(columns - p);
            __m512 d[2];
            for (int a = 0; a < ob; a++) d[a] = _mm512_maskz_loadu_ps(mask, g + (size_t)a * columns + p);
            for (int t = 0; t < 9; t++) {
                __m512 v = _mm512_maskz_loadu_ps(mask, x + offsets[t] + p);
                for (int a = 0; a < ob; a++) acc[a][t] = _mm512_fmadd_ps(d[a], v, acc[a][t]);
            }
        }
    }
    for (int a = 0; a < ob; a++)
        for (int t = 0; t < 9; t++) {
            float *sum = sums + ((size_t)t * m + o + a) * c + i;
            *sum = (accumulate ? *sum : 0.0f) + _mm512_reduce_add_ps(acc[a][t]);
        }
}

PARE_AVX512 void pare_taps_weight_gradient(int m, int c, const int offsets[9], int images, const float *grad,
                                           size_t grad_image, const float *padded, size_t plane, size_t padded_image,
                                           int columns, float *sums, int accumulate) {
    int paired = m / 2 * 2;
    for (int o = 0; o < paired; o += 2)
        for (int i = 0; i < c; i++)
            gradient_block(2, m, c, o, i, offsets, images, grad, grad_image, padded, plane, padded_image, columns, sums,
                           accumulate);
    if (paired < m)
        for (int i = 0; i < c; i++)
            gradient_block(1, m, c, paired, i, offsets, images, grad, grad_image, padded, plane, padded_image, columns, sums,
                           accumulate);
}

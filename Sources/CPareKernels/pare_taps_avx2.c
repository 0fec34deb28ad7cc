// The shifted-tap kernels of pare_taps.c for CPUs with AVX2 and FMA but no AVX-512 (AMD Zen 1–3,
// Intel before Skylake-SP): same arithmetic, same results' layout, 8-lane vectors and 16
// registers instead of 16 lanes and 32.
//
// Why: on such a CPU the alternative is one OpenBLAS GEMM per tap, C deep, which spends a fifth
// of a CIFAR ResNet's training step packing operands and re-reading the product once per tap
// (measured on a 2-core Zen 1: 64% of the step in sgemm_kernel, 13% in its copies).
//
// AVX2 has no compressing store, so the sums skip the padded width's unused columns by a permute
// and a whole-vector store whose extra lanes later stores overwrite (see `store_sums`): the
// output must not overlap the residual or anything else the kernel reads.
#include "pare_taps_view.h"
#include <immintrin.h>

#define PARE_AVX2 __attribute__((target("avx2,fma")))
#define AVX2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))

// Sources/PareKernels/Epilogue.swift in scalar form: ((sum + bias) + residual), then values ≤ lo
// become lo and values > hi become hi (NaN passes).
static inline float finish_one(float v, float bias, const float *residual, float lo, float hi) {
    v += bias;
    if (residual) v += *residual;
    if (v <= lo) v = lo;
    if (v > hi) v = hi;
    return v;
}

// The same on eight lanes, with the same comparisons (ordered, so NaN lanes keep their value).
AVX2_INLINE __m256 finish_vector(__m256 v, float bias, const float *residual, float lo, float hi) {
    v = _mm256_add_ps(v, _mm256_set1_ps(bias));
    if (residual) v = _mm256_add_ps(v, _mm256_loadu_ps(residual));
    __m256 l = _mm256_set1_ps(lo), h = _mm256_set1_ps(hi);
    v = _mm256_blendv_ps(v, l, _mm256_cmp_ps(v, l, _CMP_LE_OQ));
    return _mm256_blendv_ps(v, h, _mm256_cmp_ps(v, h, _CMP_GT_OQ));
}

// Stores sum column x.. x + 7 of output row `row` for output channel `a` (lanes at or past `valid`
// are not columns of the product). Of the lanes, those whose padded-width column is below
// out_width are output pixels, consecutive in the NCHW output from `at`. When the rest (the
// unused columns) form one run, a permute closes the gap and all eight lanes are stored: the
// lanes past the pixels land on pixels that a later store of this channel writes (stores go in
// pixel order), so only a vector near the end of the plane, or one crossing two runs (rows
// narrower than the vector), goes a lane at a time.
AVX2_INLINE void store_sums(const pare_taps_output *out, int a, int row, int x, int valid, __m256 sum) {
    int width = out->row_width, ow = out->out_width;
    float bias = out->bias ? out->bias[a] : 0.0f;
    size_t plane = (size_t)a * out->out_plane, at = (size_t)row * (size_t)ow + (size_t)(x < ow ? x : ow);
    if (valid >= 8 && at + 8 <= out->out_plane) {
        int head = x < ow ? ow - x : 0;             // pixel lanes before the first unused one
        int gap = x < ow ? width - ow : width - x;  // unused lanes after them
        if (head >= 8 || head + gap + ow >= 8) {
            if (head < 8) {
                __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
                __m256i from = _mm256_add_epi32(lane, _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32(head - 1)),
                                                                       _mm256_set1_epi32(gap)));
                sum = _mm256_permutevar8x32_ps(sum, from);
            }
            _mm256_storeu_ps(out->y + plane + at,
                             finish_vector(sum, bias, out->residual ? out->residual + plane + at : 0, out->lo, out->hi));
            return;
        }
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, sum);
    for (int l = 0; l < valid && l < 8; l++) {
        if (x < ow) {
            size_t pixel = plane + (size_t)row * (size_t)ow + (size_t)x;
            out->y[pixel] = finish_one(lanes[l], bias, out->residual ? out->residual + pixel : 0, out->lo, out->hi);
        }
        if (++x == width) { x = 0; row++; }
    }
}

// CB output channels × PB vectors of 8 columns from `p0` (CB·PB ≤ 8 accumulators, enough to
// cover the FMA latency on Zen 1; with 12 clang spilled one to the stack). The last vector may
// reach up to 7 columns past `columns`: its extra lanes read the caller's slack (see
// pare_taps.h) and are never stored.
AVX2_INLINE void forward_block(const int cb, const int pb, int c, int taps, const int *offsets, const float *w,
                               const float *padded, size_t plane, const pare_taps_output *out, int columns, int p0) {
    __m256 acc[4][2];
#pragma GCC unroll 4
    for (int a = 0; a < cb; a++)
#pragma GCC unroll 2
        for (int b = 0; b < pb; b++) acc[a][b] = _mm256_setzero_ps();
    for (int i = 0; i < c; i++) {
        const float *row = padded + (size_t)i * plane + p0;
        for (int t = 0; t < taps; t++) {
            __m256 x[2];
#pragma GCC unroll 2
            for (int b = 0; b < pb; b++) x[b] = _mm256_loadu_ps(row + offsets[t] + 8 * b);
#pragma GCC unroll 4
            for (int a = 0; a < cb; a++) {
                __m256 weight = _mm256_broadcast_ss(w + a);
#pragma GCC unroll 2
                for (int b = 0; b < pb; b++) acc[a][b] = _mm256_fmadd_ps(weight, x[b], acc[a][b]);
            }
            w += cb;
        }
    }
    int width = out->row_width, row = p0 / width, x = p0 % width;
#pragma GCC unroll 2
    for (int b = 0; b < pb; b++) {
        int valid = columns - p0 - 8 * b;
#pragma GCC unroll 4
        for (int a = 0; a < cb; a++) store_sums(out, a, row, x, valid, acc[a][b]);
        for (x += 8; x >= width; x -= width) row++;
    }
}

// One row block across all columns, 16 at a time, the last block covering what is left.
AVX2_INLINE void forward_row(const int cb, int c, int taps, const int *offsets, const float *w, const float *padded,
                             size_t plane, const pare_taps_output *out, int columns) {
    int p0 = 0;
    for (; columns - p0 > 8; p0 += 16) forward_block(cb, 2, c, taps, offsets, w, padded, plane, out, columns, p0);
    if (p0 < columns) forward_block(cb, 1, c, taps, offsets, w, padded, plane, out, columns, p0);
}

PARE_AVX2 void pare_taps_forward_avx2(int m, int c, int taps, const int *offsets, const float *packed,
                                      const float *padded, size_t plane, int columns, const pare_taps_output *out) {
    int blocked = m / 4 * 4;
    size_t per_channel = (size_t)c * taps;
    for (int o0 = 0; o0 < m; o0 += o0 < blocked ? 4 : 1) {
        pare_taps_output view = pare_taps_channel_view(out, o0);
        const float *w = packed + (size_t)o0 * per_channel;
        if (o0 < blocked) forward_row(4, c, taps, offsets, w, padded, plane, &view, columns);
        else forward_row(1, c, taps, offsets, w, padded, plane, &view, columns);
    }
}

AVX2_INLINE float lane_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// OB output channels (1–3) against one input channel and one kernel row (three taps): 3·OB
// accumulators, with OB gradient vectors held and one input vector streamed per tap. Rows of
// `grad` are `grad_row` apart, a multiple of 8 with zeros past `columns`, so every load is a
// whole vector: the input's extra lanes meet zero gradients (masked loads would cost 40% of the
// kernel's speed on 7×7 maps on Zen 1).
AVX2_INLINE void gradient_block(const int ob, int m, int c, int o, int i, int ky, const int *offsets, int images,
                                const float *grad, size_t grad_image, size_t grad_row, const float *padded, size_t plane,
                                size_t padded_image, int columns, float *sums, int accumulate) {
    __m256 acc[3][3];
#pragma GCC unroll 3
    for (int a = 0; a < ob; a++)
#pragma GCC unroll 3
        for (int t = 0; t < 3; t++) acc[a][t] = _mm256_setzero_ps();
    const int *tap = offsets + 3 * ky;
    for (int n = 0; n < images; n++) {
        const float *g = grad + (size_t)n * grad_image + (size_t)o * grad_row;
        const float *x = padded + (size_t)n * padded_image + (size_t)i * plane;
        for (int p = 0; p < columns; p += 8) {
            __m256 d[3];
#pragma GCC unroll 3
            for (int a = 0; a < ob; a++) d[a] = _mm256_loadu_ps(g + (size_t)a * grad_row + p);
#pragma GCC unroll 3
            for (int t = 0; t < 3; t++) {
                __m256 v = _mm256_loadu_ps(x + tap[t] + p);
#pragma GCC unroll 3
                for (int a = 0; a < ob; a++) acc[a][t] = _mm256_fmadd_ps(d[a], v, acc[a][t]);
            }
        }
    }
    for (int a = 0; a < ob; a++)
        for (int t = 0; t < 3; t++) {
            float *sum = sums + ((size_t)(3 * ky + t) * m + o + a) * c + i;
            *sum = (accumulate ? *sum : 0.0f) + lane_sum(acc[a][t]);
        }
}

PARE_AVX2 void pare_taps_weight_gradient_avx2(int m, int c, const int offsets[9], int images, const float *grad,
                                              size_t grad_image, size_t grad_row, const float *padded, size_t plane,
                                              size_t padded_image, int columns, float *sums, int accumulate) {
    for (int o = 0; o < m; o += 3)
        for (int i = 0; i < c; i++)
            for (int ky = 0; ky < 3; ky++) {
                switch (m - o) {
                case 1: gradient_block(1, m, c, o, i, ky, offsets, images, grad, grad_image, grad_row, padded, plane,
                                       padded_image, columns, sums, accumulate); break;
                case 2: gradient_block(2, m, c, o, i, ky, offsets, images, grad, grad_image, grad_row, padded, plane,
                                       padded_image, columns, sums, accumulate); break;
                default: gradient_block(3, m, c, o, i, ky, offsets, images, grad, grad_image, grad_row, padded, plane,
                                        padded_image, columns, sums, accumulate); break;
                }
            }
}

// F(2×2, 3×3) Winograd convolution of one image with everything in cache, on AVX2 + FMA.
//
// Why: the shifted-tap kernel already runs a CIFAR ResNet's 3×3 convs at about 85% of a Zen 1
// core's FMA peak, so only fewer multiplications can make them faster. Winograd's F(2×2, 3×3)
// needs 16 per 2×2 outputs and channel pair instead of 36. The unfused form (Winograd.swift:
// transforms over the whole batch, OpenBLAS GEMMs in between) loses that gain to memory traffic
// and GEMM calls only 16–64 deep; here one image's transform (16 × C × tiles floats, at most
// ~200 KB for ResNet shapes) stays in L2 between the three stages.
//
// Lanes are eight neighbouring tiles of a tile row. Tiles are numbered row by row (tile
// (ty, tx) is column ty·tw + tx of the transformed matrices), and a tile row narrower than
// eight writes its extra lanes over the next row's first tiles, which that row then overwrites:
// the products' columns are dense, so a 7×7 map's 16 tiles make 16 GEMM columns, not 32.
#include "pare_winograd.h"
#include "pare_winograd_parts.h"
#include <math.h>
#include <string.h>

size_t pare_winograd2_packed_count(int m, int c) { return (size_t)16 * m * c; }

size_t pare_winograd2_scratch_count(int m, int c, int h, int w) {
    w2_layout l = w2_layout_of(m, c, h, w);
    return l.padded + l.transform + (size_t)16 * m * l.stride;
}

// G·(g0, g1, g2) with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] (as Winograd.filter1D's F2).
static void filter_column(float g0, float g1, float g2, float out[4]) {
    out[0] = g0;
    out[1] = (g0 + g1 + g2) * 0.5f;
    out[2] = (g0 - g1 + g2) * 0.5f;
    out[3] = g2;
}

void pare_winograd2_pack(int m, int c, const float *w, float *u) {
    int blocked = m / 4 * 4;
    size_t per_position = (size_t)m * c;
    for (int o = 0; o < m; o++)
        for (int i = 0; i < c; i++) {
            const float *g = w + ((size_t)o * c + i) * 9;
            float columns[3][4], row[4];
            for (int k = 0; k < 3; k++) filter_column(g[k], g[3 + k], g[6 + k], columns[k]);
            size_t at = o < blocked ? (size_t)(o / 4 * 4) * c + (size_t)i * 4 + (size_t)(o % 4) : (size_t)o * c + i;
            for (int r = 0; r < 4; r++) {
                filter_column(columns[0][r], columns[1][r], columns[2][r], row);
                for (int k = 0; k < 4; k++) u[(size_t)(4 * r + k) * per_position + at] = row[k];
            }
        }
}

// Products of CB output channels × PB vectors of columns from p0, for one position: the taps
// kernel's register block with one tap (8 accumulators).
W2_INLINE void product_block(const int cb, const int pb, int c, const float *u, const float *v, size_t stride, float *out,
                             int p0) {
    __m256 acc[4][2];
#pragma GCC unroll 4
    for (int a = 0; a < cb; a++)
#pragma GCC unroll 2
        for (int b = 0; b < pb; b++) acc[a][b] = _mm256_setzero_ps();
    for (int i = 0; i < c; i++) {
        const float *row = v + (size_t)i * stride + p0;
        __m256 x[2];
#pragma GCC unroll 2
        for (int b = 0; b < pb; b++) x[b] = _mm256_loadu_ps(row + 8 * b);
#pragma GCC unroll 4
        for (int a = 0; a < cb; a++) {
            __m256 weight = _mm256_broadcast_ss(u + a);
#pragma GCC unroll 2
            for (int b = 0; b < pb; b++) acc[a][b] = _mm256_fmadd_ps(weight, x[b], acc[a][b]);
        }
        u += cb;
    }
#pragma GCC unroll 4
    for (int a = 0; a < cb; a++)
#pragma GCC unroll 2
        for (int b = 0; b < pb; b++) _mm256_storeu_ps(out + (size_t)a * stride + p0 + 8 * b, acc[a][b]);
}

// M_ξ[M × tiles] = U_ξ[M × C] · V_ξ[C × tiles] for one position.
W2_STAGE void position_products(int m, int c, const float *u, const float *v, size_t stride, int columns, float *out) {
    int blocked = m / 4 * 4;
    for (int o0 = 0; o0 < m; o0 += o0 < blocked ? 4 : 1) {
        const float *w = u + (size_t)o0 * c;
        float *rows = out + (size_t)o0 * stride;
        int p0 = 0;
        if (o0 < blocked) {
            for (; columns - p0 > 8; p0 += 16) product_block(4, 2, c, w, v, stride, rows, p0);
            if (p0 < columns) product_block(4, 1, c, w, v, stride, rows, p0);
        } else {
            for (; columns - p0 > 8; p0 += 16) product_block(1, 2, c, w, v, stride, rows, p0);
            if (p0 < columns) product_block(1, 1, c, w, v, stride, rows, p0);
        }
    }
}

// Output pixels `count` (≤ 8) from y[at] finished as Epilogue.swift does: ((sum + bias) +
// residual), lanes ≤ lo set to lo and > hi to hi (ordered compares: NaN passes).
W2_INLINE void store_pixels(const pare_taps_output *out, size_t at, float bias, int count, __m256 sum) {
    if (count <= 0) return;
    __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256 v = out->bias ? _mm256_add_ps(sum, _mm256_set1_ps(bias)) : sum;
    if (out->residual)
        v = _mm256_add_ps(v, count >= 8 ? _mm256_loadu_ps(out->residual + at) : _mm256_maskload_ps(out->residual + at, mask));
    if (out->lo != -INFINITY) {
        __m256 lo = _mm256_set1_ps(out->lo);
        v = _mm256_blendv_ps(v, lo, _mm256_cmp_ps(v, lo, _CMP_LE_OQ));
    }
    if (out->hi != INFINITY) {
        __m256 hi = _mm256_set1_ps(out->hi);
        v = _mm256_blendv_ps(v, hi, _mm256_cmp_ps(v, hi, _CMP_GT_OQ));
    }
    if (count >= 8) _mm256_storeu_ps(out->y + at, v);
    else _mm256_maskstore_ps(out->y + at, mask, v);
}

// Y = Aᵀ·M·A for output channel o of every tile, Aᵀ = [1 1 1 0; 0 1 −1 −1], the two output
// values of a tile row interleaved back into pixel order.
W2_STAGE void output_transform(const w2_layout *l, int m, int o, int h, int w, const float *products,
                                const pare_taps_output *out) {
    size_t position = (size_t)m * l->stride;
    const float *channel = products + (size_t)o * l->stride;
    float bias = out->bias ? out->bias[o] : 0.0f;
    size_t plane = (size_t)o * out->out_plane;
    for (int ty = 0; ty < l->th; ty++)
        for (int tx0 = 0; tx0 < l->tw; tx0 += 8) {
            const float *at = channel + (size_t)ty * l->tw + tx0;
            __m256 s[2][4];
            for (int k = 0; k < 4; k++) {
                __m256 m0 = _mm256_loadu_ps(at + (size_t)k * position), m1 = _mm256_loadu_ps(at + (size_t)(4 + k) * position);
                __m256 m2 = _mm256_loadu_ps(at + (size_t)(8 + k) * position), m3 = _mm256_loadu_ps(at + (size_t)(12 + k) * position);
                s[0][k] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
                s[1][k] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
            }
            int columns = w - 2 * tx0;
            for (int r = 0; r < 2 && 2 * ty + r < h; r++) {
                __m256 left = _mm256_add_ps(_mm256_add_ps(s[r][0], s[r][1]), s[r][2]);
                __m256 right = _mm256_sub_ps(_mm256_sub_ps(s[r][1], s[r][2]), s[r][3]);
                __m256 lo = _mm256_unpacklo_ps(left, right), hi = _mm256_unpackhi_ps(left, right);
                size_t pixel = plane + (size_t)(2 * ty + r) * w + 2 * tx0;
                store_pixels(out, pixel, bias, columns < 8 ? columns : 8, _mm256_permute2f128_ps(lo, hi, 0x20));
                store_pixels(out, pixel + 8, bias, columns - 8 < 8 ? columns - 8 : 8, _mm256_permute2f128_ps(lo, hi, 0x31));
            }
        }
}

W2_TARGET void pare_winograd2_forward_avx2(int m, int c, int h, int w, const float *u, const float *x, float *scratch,
                                           int fresh, const pare_taps_output *out) {
    w2_layout l = w2_layout_of(m, c, h, w);
    float *padded = scratch, *v = padded + l.padded, *products = v + l.transform;
    // Zero once: the borders stay zero, the transform's and products' unused columns finite.
    if (fresh) memset(scratch, 0, pare_winograd2_scratch_count(m, c, h, w) * sizeof(float));
    // One plane serves every channel: each is transformed right after it is copied in.
    for (int ch = 0; ch < c; ch++) {
        copy_split(&l, h, w, x + (size_t)ch * h * w, padded);
        input_transform(&l, padded, v + (size_t)ch * l.stride, (size_t)c * l.stride);
    }
    int columns = round8(l.tiles);
    for (int xi = 0; xi < 16; xi++)
        position_products(m, c, u + (size_t)xi * m * c, v + (size_t)xi * c * l.stride, (size_t)l.stride, columns,
                          products + (size_t)xi * m * l.stride);
    for (int o = 0; o < m; o++) output_transform(&l, m, o, h, w, products, out);
}

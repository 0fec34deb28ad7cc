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
#include <immintrin.h>
#include <math.h>
#include <string.h>

#define W2_TARGET __attribute__((target("avx2,fma")))
#define W2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))
// The three stages stay separate functions: each runs once per image and channel block, so the
// call costs nothing measurable, and a profile then shows where an image's time goes.
#define W2_STAGE static __attribute__((noinline, target("avx2,fma")))

static int round8(int n) { return (n + 7) / 8 * 8; }

// The scratch's parts for C → M channels of H × W images.
typedef struct {
    int th, tw, tiles;        // tile rows, tiles per row, tiles
    int stride;               // floats per row of the transform and of the products (≥ tiles + 7)
    int prows, half;          // the padded image's rows, and floats per row of each column parity
    size_t padded, transform; // floats of the padded image and of the transform (products follow)
} w2_layout;

static w2_layout w2_layout_of(int m, int c, int h, int w) {
    w2_layout l;
    l.th = (h + 1) / 2;
    l.tw = (w + 1) / 2;
    l.tiles = l.th * l.tw;
    l.stride = round8(l.tiles) + 8;
    l.prows = 2 * l.th + 2;
    // A block of eight tiles at tx0 reads padded columns 2·tx0 … 2·tx0 + 17: values tx0 …
    // tx0 + 8 of each parity.
    l.half = round8(l.tw) + 1;
    l.padded = (size_t)c * l.prows * 2 * l.half;
    l.transform = (size_t)16 * c * l.stride;
    (void)m;
    return l;
}

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

// Values 0, 2, 4, … 14 (even) or 1, 3, … 15 (odd) of the sixteen in lo, hi.
W2_INLINE __m256 even_lanes(__m256 lo, __m256 hi) {
    __m256 v = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));  // 0 2 8 10 | 4 6 12 14
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}
W2_INLINE __m256 odd_lanes(__m256 lo, __m256 hi) {
    __m256 v = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Channel `ch` of the image into its zero-padded plane, each padded row split by column parity
// (even columns, then odd ones, `half` floats each) so that the input transform's windows are
// plain loads: padded column p is input column p − 1, so input column 2k goes to odd[k] and
// 2k + 1 to even[k + 1]. Borders are never written (they stay zero).
W2_INLINE void copy_split(const w2_layout *l, int h, int w, const float *src, float *plane) {
    for (int iy = 0; iy < h; iy++) {
        const float *line = src + (size_t)iy * w;
        float *even = plane + (size_t)(iy + 1) * 2 * l->half, *odd = even + l->half;
        int x = 0;
        for (; x + 16 <= w; x += 16) {
            __m256 a = _mm256_loadu_ps(line + x), b = _mm256_loadu_ps(line + x + 8);
            _mm256_storeu_ps(odd + x / 2, even_lanes(a, b));
            _mm256_storeu_ps(even + x / 2 + 1, odd_lanes(a, b));
        }
        for (; x < w; x++) {
            if (x % 2 == 0) odd[x / 2] = line[x];
            else even[x / 2 + 1] = line[x];
        }
    }
}

// V = Bᵀ·d·B for channel `ch`, every tile: d's 4×4 window of tile (ty, tx) is padded rows
// 2ty … 2ty + 3, columns 2tx … 2tx + 3 (even[tx], odd[tx], even[tx + 1], odd[tx + 1]);
// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
W2_STAGE void input_transform(const w2_layout *l, int c, int ch, const float *padded, float *v) {
    const float *plane = padded + (size_t)ch * l->prows * 2 * l->half;
    size_t position = (size_t)c * l->stride;
    float *channel = v + (size_t)ch * l->stride;
    for (int ty = 0; ty < l->th; ty++)
        for (int tx0 = 0; tx0 < l->tw; tx0 += 8) {
            __m256 d[4][4];
            for (int r = 0; r < 4; r++) {
                const float *even = plane + (size_t)(2 * ty + r) * 2 * l->half + tx0, *odd = even + l->half;
                d[r][0] = _mm256_loadu_ps(even);
                d[r][1] = _mm256_loadu_ps(odd);
                d[r][2] = _mm256_loadu_ps(even + 1);
                d[r][3] = _mm256_loadu_ps(odd + 1);
            }
            __m256 t[4][4];
            for (int k = 0; k < 4; k++) {
                t[0][k] = _mm256_sub_ps(d[0][k], d[2][k]);
                t[1][k] = _mm256_add_ps(d[1][k], d[2][k]);
                t[2][k] = _mm256_sub_ps(d[2][k], d[1][k]);
                t[3][k] = _mm256_sub_ps(d[1][k], d[3][k]);
            }
            float *at = channel + (size_t)ty * l->tw + tx0;
            for (int r = 0; r < 4; r++) {
                _mm256_storeu_ps(at + (size_t)(4 * r + 0) * position, _mm256_sub_ps(t[r][0], t[r][2]));
                _mm256_storeu_ps(at + (size_t)(4 * r + 1) * position, _mm256_add_ps(t[r][1], t[r][2]));
                _mm256_storeu_ps(at + (size_t)(4 * r + 2) * position, _mm256_sub_ps(t[r][2], t[r][1]));
                _mm256_storeu_ps(at + (size_t)(4 * r + 3) * position, _mm256_sub_ps(t[r][1], t[r][3]));
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
    for (int ch = 0; ch < c; ch++) {
        copy_split(&l, h, w, x + (size_t)ch * h * w, padded + (size_t)ch * l.prows * 2 * l.half);
        input_transform(&l, c, ch, padded, v);
    }
    int columns = round8(l.tiles);
    for (int xi = 0; xi < 16; xi++)
        position_products(m, c, u + (size_t)xi * m * c, v + (size_t)xi * c * l.stride, (size_t)l.stride, columns,
                          products + (size_t)xi * m * l.stride);
    for (int o = 0; o < m; o++) output_transform(&l, m, o, h, w, products, out);
}

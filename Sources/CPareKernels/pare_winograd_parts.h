// Parts of the fused F(2×2, 3×3) Winograd kernels shared by the forward pass
// (pare_winograd_avx2.c) and the weight gradient (pare_winograd_gradient_avx2.c): the scratch
// layout, the zero-padded image split by column parity, and the input transform V = Bᵀ·d·B.
#ifndef PARE_WINOGRAD_PARTS_H
#define PARE_WINOGRAD_PARTS_H
#include <immintrin.h>
#include <stddef.h>

#define W2_TARGET __attribute__((target("avx2,fma")))
#define W2_INLINE static inline __attribute__((always_inline, target("avx2,fma")))
// The three stages stay separate functions: each runs once per image and channel block, so the
// call costs nothing measurable, and a profile then shows where an image's time goes.
#define W2_STAGE static __attribute__((noinline, target("avx2,fma")))

static inline int round8(int n) { return (n + 7) / 8 * 8; }

// The scratch's parts for C → M channels of H × W images.
typedef struct {
    int th, tw, tiles;        // tile rows, tiles per row, tiles
    int stride;               // floats per row of the transform and of the products (≥ tiles + 7)
    int prows, half;          // the padded image's rows, and floats per row of each column parity
    size_t padded, transform; // floats of one padded channel plane and of the transform (products follow)
} w2_layout;

static inline w2_layout w2_layout_of(int m, int c, int h, int w) {
    w2_layout l;
    l.th = (h + 1) / 2;
    l.tw = (w + 1) / 2;
    l.tiles = l.th * l.tw;
    l.stride = round8(l.tiles) + 8;
    l.prows = 2 * l.th + 2;
    // A block of eight tiles at tx0 reads padded columns 2·tx0 … 2·tx0 + 17: values tx0 …
    // tx0 + 8 of each parity.
    l.half = round8(l.tw) + 1;
    l.padded = (size_t)l.prows * 2 * l.half;
    l.transform = (size_t)16 * c * l.stride;
    (void)m;
    return l;
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

// V = Bᵀ·d·B of one padded plane, every tile, into `channel` (positions `position` floats apart): d's 4×4 window of tile (ty, tx) is padded rows
// 2ty … 2ty + 3, columns 2tx … 2tx + 3 (even[tx], odd[tx], even[tx + 1], odd[tx + 1]);
// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
W2_STAGE void input_transform(const w2_layout *l, const float *plane, float *channel, size_t position) {
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
#endif

// Weight gradient of a 3×3, stride-1, padding-1 convolution by F(2×2, 3×3) Winograd, on AVX2 + FMA.
//
// The forward pass computes each 2×2 output tile as Y_t = Aᵀ[(G·g·Gᵀ) ⊙ V_t]A with
// V_t = Bᵀ·d_t·B, so the chain rule gives dL/dg = Gᵀ[Σ_t (A·dY_t·Aᵀ) ⊙ V_t]G: for each of the 16
// transformed positions an M × C sum over tiles and images, then one 4×4 → 3×3 transform per
// channel pair at the very end. That is 16 multiplications per tile and channel pair where the
// tap kernel's direct sums need 36. V is the forward pass's input transform, recomputed here
// rather than kept from the forward pass (it is four times the size of the layer's input).
//
// The tiles of a chunk of images lie side by side in each row (image s from column s·span,
// span = tiles rounded up to a vector), so the sums over tiles are long dot products whose
// register sums are reduced once per chunk. Columns past an image's tiles hold zeros in the dY
// transform (they come from the zero border), so the finite values V has there add nothing.
#include "pare_winograd.h"
#include "pare_winograd_parts.h"
#include <string.h>

typedef struct {
    w2_layout l;
    int span;               // columns per image in a row of V or P
    size_t row;             // floats per row: a chunk of images and the last tile row's spill
    size_t v, p;            // floats of V (16 × C rows) and of P (16 × M rows)
} w2g_layout;

static w2g_layout w2g_layout_of(int m, int c, int h, int w, int chunk) {
    w2g_layout g;
    g.l = w2_layout_of(m, c, h, w);
    g.span = round8(g.l.tiles);
    g.row = (size_t)chunk * g.span + 8;
    g.v = (size_t)16 * c * g.row;
    g.p = (size_t)16 * m * g.row;
    return g;
}

size_t pare_winograd2_gradient_scratch_count(int m, int c, int h, int w, int chunk) {
    w2g_layout g = w2g_layout_of(m, c, h, w, chunk);
    return g.l.padded + g.v + g.p + (size_t)16 * m * c;
}

// P = A·dY_t·Aᵀ of one output channel's gradient, copied into the split plane like an input
// (dY row y is padded row y + 1; its column 2tx is odd[tx], 2tx + 1 is even[tx + 1]), every
// tile; A = [1 0; 1 1; 1 −1; 0 −1], so a pair (a, b) becomes (a, a + b, a − b, −b).
W2_STAGE void gradient_transform(const w2_layout *l, const float *plane, float *channel, size_t position) {
    const __m256 zero = _mm256_setzero_ps();
    for (int ty = 0; ty < l->th; ty++)
        for (int tx0 = 0; tx0 < l->tw; tx0 += 8) {
            __m256 e[2][4];
            for (int r = 0; r < 2; r++) {
                const float *even = plane + (size_t)(2 * ty + 1 + r) * 2 * l->half, *odd = even + l->half;
                __m256 a = _mm256_loadu_ps(odd + tx0), b = _mm256_loadu_ps(even + tx0 + 1);
                e[r][0] = a;
                e[r][1] = _mm256_add_ps(a, b);
                e[r][2] = _mm256_sub_ps(a, b);
                e[r][3] = _mm256_sub_ps(zero, b);
            }
            float *at = channel + (size_t)ty * l->tw + tx0;
            for (int k = 0; k < 4; k++) {
                _mm256_storeu_ps(at + (size_t)k * position, e[0][k]);
                _mm256_storeu_ps(at + (size_t)(4 + k) * position, _mm256_add_ps(e[0][k], e[1][k]));
                _mm256_storeu_ps(at + (size_t)(8 + k) * position, _mm256_sub_ps(e[0][k], e[1][k]));
                _mm256_storeu_ps(at + (size_t)(12 + k) * position, _mm256_sub_ps(zero, e[1][k]));
            }
        }
}

// acc[a][b] += Σ_t p[a][t]·v[b][t] for MB output × CB input channels (rows `row` apart, acc's
// rows `c` apart): 12 accumulators, each reduced across its lanes once at the end.
W2_INLINE void gradient_block(const int mb, const int cb, const float *p, const float *v, size_t row, int length, float *acc,
                              int c) {
    __m256 s[3][4];
#pragma GCC unroll 3
    for (int a = 0; a < 3; a++)
#pragma GCC unroll 4
        for (int b = 0; b < 4; b++) s[a][b] = _mm256_setzero_ps();
    for (int t = 0; t < length; t += 8) {
        __m256 d[3];
#pragma GCC unroll 3
        for (int a = 0; a < mb; a++) d[a] = _mm256_loadu_ps(p + (size_t)a * row + t);
#pragma GCC unroll 4
        for (int b = 0; b < cb; b++) {
            __m256 x = _mm256_loadu_ps(v + (size_t)b * row + t);
#pragma GCC unroll 3
            for (int a = 0; a < mb; a++) s[a][b] = _mm256_fmadd_ps(d[a], x, s[a][b]);
        }
    }
#pragma GCC unroll 3
    for (int a = 0; a < mb; a++) {
        __m256 q = _mm256_hadd_ps(_mm256_hadd_ps(s[a][0], s[a][1]), _mm256_hadd_ps(s[a][2], s[a][3]));
        __m128 sums = _mm_add_ps(_mm256_castps256_ps128(q), _mm256_extractf128_ps(q, 1));
        float *out = acc + (size_t)a * c;
        if (cb == 4) {
            _mm_storeu_ps(out, _mm_add_ps(_mm_loadu_ps(out), sums));
        } else {
            float lanes[4];
            _mm_storeu_ps(lanes, sums);
            for (int b = 0; b < cb; b++) out[b] += lanes[b];
        }
    }
}

// acc_ξ[M × C] += P_ξ[M × length] · V_ξ[C × length]ᵀ for one position.
W2_STAGE void position_gradient(int m, int c, const float *p, const float *v, size_t row, int length, float *acc) {
    for (int o0 = 0; o0 < m; o0 += 3)
        for (int i0 = 0; i0 < c; i0 += 4) {
            const float *pr = p + (size_t)o0 * row, *vr = v + (size_t)i0 * row;
            float *out = acc + (size_t)o0 * c + i0;
            int mb = m - o0 < 3 ? m - o0 : 3, cb = c - i0 < 4 ? c - i0 : 4;
            // Constant block sizes, so each case's loops unroll into registers.
            switch (mb * 8 + cb) {
            case 3 * 8 + 4: gradient_block(3, 4, pr, vr, row, length, out, c); break;
            case 3 * 8 + 3: gradient_block(3, 3, pr, vr, row, length, out, c); break;
            case 3 * 8 + 2: gradient_block(3, 2, pr, vr, row, length, out, c); break;
            case 3 * 8 + 1: gradient_block(3, 1, pr, vr, row, length, out, c); break;
            case 2 * 8 + 4: gradient_block(2, 4, pr, vr, row, length, out, c); break;
            case 2 * 8 + 3: gradient_block(2, 3, pr, vr, row, length, out, c); break;
            case 2 * 8 + 2: gradient_block(2, 2, pr, vr, row, length, out, c); break;
            case 2 * 8 + 1: gradient_block(2, 1, pr, vr, row, length, out, c); break;
            case 1 * 8 + 4: gradient_block(1, 4, pr, vr, row, length, out, c); break;
            case 1 * 8 + 3: gradient_block(1, 3, pr, vr, row, length, out, c); break;
            case 1 * 8 + 2: gradient_block(1, 2, pr, vr, row, length, out, c); break;
            default: gradient_block(1, 1, pr, vr, row, length, out, c); break;
            }
        }
}

// (Gᵀ·s·G) for Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1], applied to 4 values.
static void filter_gradient_column(float s0, float s1, float s2, float s3, float out[3]) {
    out[0] = s0 + (s1 + s2) * 0.5f;
    out[1] = (s1 - s2) * 0.5f;
    out[2] = (s1 + s2) * 0.5f + s3;
}

// dw[o][i][3][3] = Gᵀ·S·G where S[r][k] = acc[4r + k][o][i].
static void finish(int m, int c, const float *acc, float *dw) {
    size_t per_position = (size_t)m * c;
    for (size_t pair = 0; pair < per_position; pair++) {
        float rows[3][4], out[3];
        for (int k = 0; k < 4; k++) {
            filter_gradient_column(acc[(size_t)k * per_position + pair], acc[(size_t)(4 + k) * per_position + pair],
                                   acc[(size_t)(8 + k) * per_position + pair], acc[(size_t)(12 + k) * per_position + pair], out);
            for (int a = 0; a < 3; a++) rows[a][k] = out[a];
        }
        for (int a = 0; a < 3; a++) {
            filter_gradient_column(rows[a][0], rows[a][1], rows[a][2], rows[a][3], out);
            for (int b = 0; b < 3; b++) dw[pair * 9 + (size_t)(3 * a + b)] = out[b];
        }
    }
}

W2_TARGET void pare_winograd2_weight_gradient_avx2(int m, int c, int h, int w, int images, const float *x, const float *dy,
                                                   int chunk, float *scratch, float *dw) {
    w2g_layout g = w2g_layout_of(m, c, h, w, chunk);
    float *plane = scratch, *v = plane + g.l.padded, *p = v + g.v, *acc = p + g.p;
    // Borders, the columns past each image's tiles and the sums start at zero.
    memset(scratch, 0, pare_winograd2_gradient_scratch_count(m, c, h, w, chunk) * sizeof(float));
    size_t image = (size_t)h * w;
    for (int n0 = 0; n0 < images; n0 += chunk) {
        int count = images - n0 < chunk ? images - n0 : chunk;
        for (int s = 0; s < count; s++) {
            const float *xs = x + (size_t)(n0 + s) * c * image, *dys = dy + (size_t)(n0 + s) * m * image;
            size_t column = (size_t)s * g.span;
            for (int ch = 0; ch < c; ch++) {
                copy_split(&g.l, h, w, xs + (size_t)ch * image, plane);
                input_transform(&g.l, plane, v + (size_t)ch * g.row + column, (size_t)c * g.row);
            }
            for (int o = 0; o < m; o++) {
                copy_split(&g.l, h, w, dys + (size_t)o * image, plane);
                gradient_transform(&g.l, plane, p + (size_t)o * g.row + column, (size_t)m * g.row);
            }
        }
        for (int xi = 0; xi < 16; xi++)
            position_gradient(m, c, p + (size_t)xi * m * g.row, v + (size_t)xi * c * g.row, g.row, count * g.span,
                              acc + (size_t)xi * m * c);
    }
    finish(m, c, acc, dw);
}

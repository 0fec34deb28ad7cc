// AVX-512 helpers the kernels share (private to CPareKernels: not under include/).
#ifndef PARE_SIMD_H
#define PARE_SIMD_H
#include <immintrin.h>

#define PARE_AVX512 __attribute__((target("avx512f")))
#define PARE_INLINE static inline __attribute__((always_inline, target("avx512f")))

// The lanes below `count` (all 16 from 16 up, none at or below 0).
PARE_INLINE __mmask16 first_lanes(int count) {
    return count >= 16 ? (__mmask16)0xFFFF : (count <= 0 ? (__mmask16)0 : (__mmask16)((1u << count) - 1));
}

// The epilogue of Sources/PareKernels/Epilogue.swift, in the same order and with the same clamp:
// ((sum + bias) + residual) with the residual's lanes in `mask` (others read as 0), then lanes
// ≤ lo become lo and lanes > hi become hi (NaN passes, −0 at a lower bound of 0 becomes +0).
PARE_INLINE __m512 pare_finish(__m512 sum, __m512 bias, const float *residual, __mmask16 mask, __m512 lo, __m512 hi) {
    __m512 v = _mm512_add_ps(sum, bias);
    if (residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, residual));
    v = _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, lo, _CMP_LE_OQ), lo);
    return _mm512_mask_mov_ps(v, _mm512_cmp_ps_mask(v, hi, _CMP_GT_OQ), hi);
}
#endif

// Shifted-tap convolution kernels in AVX-512 and in AVX2 + FMA (see Sources/PareKernels/ShiftedTaps.swift).
#ifndef PARE_TAPS_H
#define PARE_TAPS_H
#include <stddef.h>

/// Which kernels below this CPU runs: 2 with AVX-512F (`pare_taps_forward`,
/// `pare_taps_weight_gradient`), 1 with AVX2 and FMA (the `_avx2` ones), 0 with neither (callers
/// fall back to GEMMs).
int pare_taps_isa(void);

/// Floats `pare_taps_pack` writes for an M × C × taps weight.
size_t pare_taps_packed_count(int m, int c, int taps);

/// Reorders weights w[m][c][taps] (ONNX Conv layout) for `pare_taps_forward`: blocks of four
/// output channels, each as [c][taps][4], then the remaining channels as [c][taps].
void pare_taps_pack(int m, int c, int taps, const float *w, float *packed);

/// Where `pare_taps_forward` puts one image's sums: straight into its NCHW output, each
/// finished as y = clamp((sum + bias[o]) + residual), lanes ≤ lo set to lo and > hi to hi.
/// Sum column p is output pixel (p / row_width, p mod row_width) and exists when the latter is
/// below out_width. `bias` and `residual` (shaped like y) may be null.
typedef struct {
    float *y;
    size_t out_plane;
    int row_width, out_width;
    const float *bias, *residual;
    float lo, hi;
} pare_taps_output;

/// sum[o][p] = Σ_i Σ_t W[o][i][t] · padded[i·plane + offsets[t] + p] for p < columns, stored
/// through `out` for output channels 0..<m (the caller moves y, bias and residual to its first
/// channel): every tap of a stride-1 convolution on one zero-padded image (or of a strided one,
/// on its phase planes: the offsets say where each tap reads) at once, the sums kept in
/// registers until they are final.
void pare_taps_forward(int m, int c, int taps, const int *offsets, const float *packed,
                       const float *padded, size_t plane, int columns, const pare_taps_output *out);

/// sums[t][o][i] (+= when `accumulate`, else =) Σ_n Σ_p grad[n·grad_image + o·columns + p]
/// · padded[n·padded_image + i·plane + offsets[t] + p] for a 3×3 kernel (9 taps): the weight gradient over `images` images, each
/// sum in a fixed order (so the result does not depend on anything but the inputs).
void pare_taps_weight_gradient(int m, int c, const int offsets[9], int images, const float *grad, size_t grad_image,
                               const float *padded, size_t plane, size_t padded_image, int columns, float *sums,
                               int accumulate);
/// `pare_taps_forward` and `pare_taps_weight_gradient` on AVX2 + FMA: same arguments, same
/// packing, same results up to the order of summation. Two more conditions for the forward one:
/// `padded` must have kW + 8 readable floats after its last plane (it reads whole vectors past a
/// row's last column and discards those lanes), and the output must not overlap the residual (it
/// stores whole vectors whose extra lanes later stores of the same channel overwrite).
void pare_taps_forward_avx2(int m, int c, int taps, const int *offsets, const float *packed,
                            const float *padded, size_t plane, int columns, const pare_taps_output *out);
/// The gradient one also takes `grad_row`, the floats between output channels' rows in `grad`: a
/// multiple of 8 at least `columns`, with zeros past `columns`; and `padded` needs the same slack.
void pare_taps_weight_gradient_avx2(int m, int c, const int offsets[9], int images, const float *grad, size_t grad_image,
                                    size_t grad_row, const float *padded, size_t plane, size_t padded_image, int columns,
                                    float *sums, int accumulate);
#endif

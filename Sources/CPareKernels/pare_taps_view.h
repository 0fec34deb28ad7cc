// What the AVX-512 and AVX2 tap kernels share beyond their header (private to CPareKernels).
#ifndef PARE_TAPS_VIEW_H
#define PARE_TAPS_VIEW_H
#include "pare_taps.h"

// Output channel o's view of `out` (its pointers moved to that channel).
static inline pare_taps_output pare_taps_channel_view(const pare_taps_output *out, int o) {
    pare_taps_output view = *out;
    view.y += (size_t)o * out->out_plane;
    if (view.bias) view.bias += o;
    if (view.residual) view.residual += (size_t)o * out->out_plane;
    return view;
}
#endif

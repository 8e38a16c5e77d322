/*
 * All compute kernels as one translation unit with internal linkage, so it can be compiled once
 * per instruction set (kernels_generic.c, kernels_avx2.c) and the copies never clash; each copy
 * exports only its table, named by TIDAL_TABLE.
 */
#if !defined(TIDAL_TABLE) || !defined(TIDAL_ISA)
#error "kernels.c is included by kernels_<isa>.c, which define TIDAL_TABLE and TIDAL_ISA"
#endif

#include "gemm.c"
#include "seq.c"
#include "lstm.c"
#include "gru.c"
#include "conv.c"
#include "attention.c"
#include "layer_norm.c"

const TidalKernels TIDAL_TABLE = {
    TIDAL_ISA,
    lstm_forward, lstm_backward, gru_forward, gru_backward,
    conv_forward, conv_backward,
    attention_forward, attention_backward,
    layer_norm_forward, layer_norm_backward,
    gemm_release,
};

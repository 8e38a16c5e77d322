/*
 * Fused LSTM and GRU forward/backward over whole sequences, row-major [batch, time, features]
 * layouts, gate blocks in tfjs/Keras order (LSTM i, f, c, o; GRU z, r, h with the reset gate
 * applied to h before the recurrent product). All functions return 0, or -1 when out of memory.
 * Internal to the kernels translation unit (kernels.c): every function has internal linkage.
 */
#ifndef TIDAL_RECURRENCE_H
#define TIDAL_RECURRENCE_H

#include "kernels.h"

static int lstm_forward(const SeqDims *d, const SeqInputs *in, float *h, float *h_last, float *c_last, float *cache);
static int lstm_backward(const SeqDims *d, const SeqInputs *in, const float *cache, const float *h,
                         const float *dh, const float *dh_last, const float *dc_last,
                         float *dx, float *dkernel, float *drecurrent, float *dbias, float *dh0, float *dc0);

static int gru_forward(const SeqDims *d, const SeqInputs *in, float *h, float *h_last, float *cache);
static int gru_backward(const SeqDims *d, const SeqInputs *in, const float *cache, const float *h,
                        const float *dh, const float *dh_last,
                        float *dx, float *dkernel, float *drecurrent, float *dbias, float *dh0);

/* Shared by both cells: step order and the column sums for dBias. */
static inline int seq_step_time(const SeqDims *d, int s) { return d->reverse ? d->time - 1 - s : s; }
static void add_column_sums(int rows, int cols, const float *m, float *out);

/* Batch rows per fused block: the block's gate rows stay in L1/L2 between GEMM and activations. */
enum { SEQ_ROW_BLOCK = 24 };

#endif

/*
 * The addon's compute kernels as one table per instruction set. kernels.c is compiled twice
 * (kernels_generic.c, and kernels_avx2.c with -mavx2 -mfma on x86-64) and addon.c picks a table
 * at load time from the CPU's features, so one built addon runs on any x86-64 (or arm64) machine.
 * Every kernel returns 0, or -1 when out of memory. Layouts are row-major.
 */
#ifndef TIDAL_KERNELS_H
#define TIDAL_KERNELS_H

#include <stddef.h>

typedef struct {
  int batch, time, input, units;
  int reverse; /* walk t = time-1 .. 0; arrays stay in input time order */
  int h_stride; /* floats from one [batch, time] row of h and dh to the next (>= units): the two
                   directions of a bidirectional layer write straight into its merged output */
  int accumulate_dx; /* backward: dx = dx + this direction's input gradient (a bidirectional
                        layer's second direction), each element one float add */
} SeqDims;

typedef struct {
  const float *x, *kernel, *recurrent, *bias;
  const float *h0, *c0; /* NULL = zeros (c0 unused by GRU) */
} SeqInputs;

/* Floats of forward cache: LSTM keeps activated gates and c; GRU gates and r*hprev. */
static inline size_t lstm_cache_size(const SeqDims *d) { return (size_t)d->batch * d->time * 5 * d->units; }
static inline size_t gru_cache_size(const SeqDims *d) { return (size_t)d->batch * d->time * 4 * d->units; }

/*
 * Convolution along time of x [batch, time, channels] with kernel [taps, channels, filters]:
 * y[b, t] = act(bias + sum_j x[b, t + offsets[j]] kernel[j]), zero outside the sequence.
 * 'same' padding, dilation and the transposed convolution are all choices of offsets; one tap
 * at offset 0 is a plain dense layer over batch * time rows.
 */
typedef struct {
  int batch, time, channels, filters, taps;
  const int *offsets;
  int relu;
} ConvDims;

/* Self-attention core over qkv [batch, time, 3 * heads * keyDim] (Q | K | V, head-major inside each). */
typedef struct {
  int batch, time, heads, key_dim;
} AttentionDims;

typedef struct {
  const char *isa;
  int (*lstm_forward)(const SeqDims *d, const SeqInputs *in, float *h, float *h_last, float *c_last, float *cache);
  int (*lstm_backward)(const SeqDims *d, const SeqInputs *in, const float *cache, const float *h,
                       const float *dh, const float *dh_last, const float *dc_last,
                       float *dx, float *dkernel, float *drecurrent, float *dbias, float *dh0, float *dc0);
  int (*gru_forward)(const SeqDims *d, const SeqInputs *in, float *h, float *h_last, float *cache);
  int (*gru_backward)(const SeqDims *d, const SeqInputs *in, const float *cache, const float *h,
                      const float *dh, const float *dh_last,
                      float *dx, float *dkernel, float *drecurrent, float *dbias, float *dh0);
  int (*conv_forward)(const ConvDims *d, const float *x, const float *kernel, const float *bias, float *y);
  /* y: the forward output (read only with relu, for its mask); accumulate_dx: dx += the input's gradient. */
  int (*conv_backward)(const ConvDims *d, const float *x, const float *kernel, const float *y, const float *dy,
                       float *dx, int accumulate_dx, float *dkernel, float *dbias);
  /* probs: [batch, heads, time, time] softmax weights kept for the backward pass. */
  int (*attention_forward)(const AttentionDims *d, const float *qkv, float *context, float *probs);
  int (*attention_backward)(const AttentionDims *d, const float *qkv, const float *probs,
                            const float *dcontext, float *dqkv);
  /*
   * y = LN(u) * gamma + beta (+ addend when given) over rows of width `width`, u = x, or x + r
   * (skip_weight < 0), or w x + (1 - w) r (skip_weight = w in (0, 1)) when r is given; stats:
   * mean, 1/std per row.
   */
  int (*layer_norm_forward)(int rows, int width, float epsilon, const float *x, const float *r,
                            float skip_weight, const float *gamma, const float *beta, const float *addend,
                            float *y, float *stats);
  /* dy2: NULL, or a second part of dy (the gradient is dy + dy2). */
  int (*layer_norm_backward)(int rows, int width, const float *x, const float *r, float skip_weight,
                             const float *gamma, const float *stats, const float *dy, const float *dy2,
                             float *dx, float *dr, float *dgamma, float *dbeta);
  /* Frees the calling thread's scratch buffers (they are re-allocated on the next call). */
  void (*release)(void);
} TidalKernels;

extern const TidalKernels tidal_kernels_generic;
#ifdef TIDAL_HAVE_AVX2
extern const TidalKernels tidal_kernels_avx2;
#endif

#endif

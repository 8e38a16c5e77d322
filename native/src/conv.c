/*
 * Convolution along time as im2col + GEMM, a block of rows at a time: the block's shifted copies
 * (columns [rows, taps * channels]) stay in cache between being built and multiplied, and the
 * kernel is packed once per call. Backward reuses the scheme: dKernel += columns^T dz,
 * dColumns = dz kernel^T scattered back onto dx (col2im), dBias = column sums of dz; relu's mask
 * comes from the forward output (y > 0 exactly where the pre-activation was).
 * One tap at offset 0 needs no columns: the rows of x are multiplied in place.
 */
#include "gemm.h"
#include "recurrence.h"

#include <stdlib.h>
#include <string.h>

enum { CONV_BLOCK_ROWS = 480 };

static int conv_direct(const ConvDims *d) { return d->taps == 1 && d->offsets[0] == 0; }

/* Rows r0 .. r0+m-1 of the flattened [batch * time] axis: block j of row (b, t) is x[b, t + o_j]. */
static void conv_columns(const ConvDims *d, const float *x, size_t r0, int m, float *cols) {
  int T = d->time, C = d->channels, K = d->taps;
  size_t width = (size_t)K * C;
  for (int i = 0; i < m; i++) {
    size_t r = r0 + i, b = r / T;
    int t = (int)(r % T);
    float *dst = cols + i * width;
    for (int j = 0; j < K; j++) {
      long s = (long)t + d->offsets[j];
      if (s >= 0 && s < T) memcpy(dst + (size_t)j * C, x + (b * T + s) * C, (size_t)C * sizeof(float));
      else memset(dst + (size_t)j * C, 0, (size_t)C * sizeof(float));
    }
  }
}

/* The adjoint of conv_columns: adds each block of dcols back onto the row of x it was read from. */
static void conv_scatter(const ConvDims *d, const float *dcols, size_t r0, int m, float *dx) {
  int T = d->time, C = d->channels, K = d->taps;
  size_t width = (size_t)K * C;
  for (int i = 0; i < m; i++) {
    size_t r = r0 + i, b = r / T;
    int t = (int)(r % T);
    const float *src = dcols + i * width;
    for (int j = 0; j < K; j++) {
      long s = (long)t + d->offsets[j];
      if (s < 0 || s >= T) continue;
      float *dst = dx + (b * T + s) * C;
      const float *g = src + (size_t)j * C;
      for (int c = 0; c < C; c++) dst[c] += g[c];
    }
  }
}

static void bias_activation(int m, int n, const float *bias, int relu, float *y) {
  for (int i = 0; i < m; i++) {
    float *row = y + (size_t)i * n;
    if (relu)
      for (int j = 0; j < n; j++) {
        float v = row[j] + bias[j];
        row[j] = v > 0.0f ? v : 0.0f;
      }
    else
      for (int j = 0; j < n; j++) row[j] += bias[j];
  }
}

static int conv_forward(const ConvDims *d, const float *x, const float *kernel, const float *bias, float *y) {
  int F = d->filters, direct = conv_direct(d);
  int width = d->taps * d->channels;
  size_t rows = (size_t)d->batch * d->time;
  PackedB w = {0};
  float *cols = NULL;
  int status = -1;
  if (packed_b_init(&w, width, F, kernel, F, 1)) goto done;
  if (!direct && !(cols = aligned_floats((size_t)CONV_BLOCK_ROWS * width))) goto done;
  for (size_t r0 = 0; r0 < rows; r0 += CONV_BLOCK_ROWS) {
    int m = rows - r0 < (size_t)CONV_BLOCK_ROWS ? (int)(rows - r0) : CONV_BLOCK_ROWS;
    if (!direct) conv_columns(d, x, r0, m, cols);
    float *yb = y + r0 * F;
    if (gemm_packed(m, direct ? x + r0 * d->channels : cols, width, 1, &w, yb, F, 0)) goto done;
    bias_activation(m, F, bias, d->relu, yb);
  }
  status = 0;
done:
  packed_b_free(&w);
  free(cols);
  return status;
}

static int conv_backward(const ConvDims *d, const float *x, const float *kernel, const float *y, const float *dy,
                         float *dx, float *dkernel, float *dbias) {
  int C = d->channels, F = d->filters, direct = conv_direct(d);
  int width = d->taps * C;
  size_t rows = (size_t)d->batch * d->time;
  PackedB wt = {0};
  float *cols = NULL, *dcols = NULL, *dz = NULL;
  int status = -1;
  if (packed_b_init(&wt, F, width, kernel, 1, F)) goto done;
  if (!direct && (!(cols = aligned_floats((size_t)CONV_BLOCK_ROWS * width)) ||
                  !(dcols = aligned_floats((size_t)CONV_BLOCK_ROWS * width))))
    goto done;
  if (d->relu && !(dz = aligned_floats((size_t)CONV_BLOCK_ROWS * F))) goto done;
  memset(dkernel, 0, (size_t)width * F * sizeof(float));
  memset(dbias, 0, (size_t)F * sizeof(float));
  if (!direct) memset(dx, 0, rows * C * sizeof(float));
  for (size_t r0 = 0; r0 < rows; r0 += CONV_BLOCK_ROWS) {
    int m = rows - r0 < (size_t)CONV_BLOCK_ROWS ? (int)(rows - r0) : CONV_BLOCK_ROWS;
    const float *g = dy + r0 * F;
    if (d->relu) {
      const float *yb = y + r0 * F;
      for (size_t i = 0; i < (size_t)m * F; i++) dz[i] = yb[i] > 0.0f ? g[i] : 0.0f;
      g = dz;
    }
    add_column_sums(m, F, g, dbias);
    const float *a = direct ? x + r0 * C : cols;
    if (!direct) conv_columns(d, x, r0, m, cols);
    if (gemm(width, F, m, a, 1, width, g, F, 1, dkernel, F, 1)) goto done;
    if (gemm_packed(m, g, F, 1, &wt, direct ? dx + r0 * C : dcols, width, 0)) goto done;
    if (!direct) conv_scatter(d, dcols, r0, m, dx);
  }
  status = 0;
done:
  packed_b_free(&wt);
  free(cols);
  free(dcols);
  free(dz);
  return status;
}

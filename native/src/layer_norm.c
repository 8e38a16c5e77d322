/*
 * Layer normalisation over the last axis with an optional fused residual sum in front
 * (u = x + r, or w x + (1 - w) r): the statistics as tf's ops compute them (mean, then the mean of
 * squared deviations, then 1/sqrt(var + eps)), one pass over a row at a time.
 * Backward: with xhat = (u - mean) rstd and g = dy * gamma,
 * du = rstd (g - mean(g) - xhat mean(g xhat)), dgamma = sum dy xhat, dbeta = sum dy.
 */
#include <math.h>
#include <string.h>

static inline float ln_input(const float *x, const float *r, float w, size_t i) {
  if (!r) return x[i];
  return w < 0.0f ? x[i] + r[i] : w * x[i] + (1.0f - w) * r[i];
}

static int layer_norm_forward(int rows, int width, float epsilon, const float *x, const float *r,
                              float skip_weight, const float *gamma, const float *beta, float *y, float *stats) {
  for (int i = 0; i < rows; i++) {
    size_t base = (size_t)i * width;
    float *u = y + base, sum = 0.0f, sq = 0.0f;
    for (int j = 0; j < width; j++) {
      u[j] = ln_input(x, r, skip_weight, base + j);
      sum += u[j];
    }
    float mean = sum / (float)width;
    for (int j = 0; j < width; j++) sq += (u[j] - mean) * (u[j] - mean);
    float rstd = 1.0f / sqrtf(sq / (float)width + epsilon);
    for (int j = 0; j < width; j++) u[j] = (u[j] - mean) * rstd * gamma[j] + beta[j];
    stats[2 * (size_t)i] = mean;
    stats[2 * (size_t)i + 1] = rstd;
  }
  return 0;
}

static int layer_norm_backward(int rows, int width, const float *x, const float *r, float skip_weight,
                               const float *gamma, const float *stats, const float *dy,
                               float *dx, float *dr, float *dgamma, float *dbeta) {
  memset(dgamma, 0, (size_t)width * sizeof(float));
  memset(dbeta, 0, (size_t)width * sizeof(float));
  for (int i = 0; i < rows; i++) {
    size_t base = (size_t)i * width;
    float mean = stats[2 * (size_t)i], rstd = stats[2 * (size_t)i + 1];
    const float *g = dy + base;
    float *du = dx + base, sg = 0.0f, sgx = 0.0f;
    /* du holds xhat until the row's sums are known. */
    for (int j = 0; j < width; j++) {
      float xhat = (ln_input(x, r, skip_weight, base + j) - mean) * rstd;
      du[j] = xhat;
      dgamma[j] += g[j] * xhat;
      dbeta[j] += g[j];
      sg += g[j] * gamma[j];
      sgx += g[j] * gamma[j] * xhat;
    }
    float mg = sg / (float)width, mgx = sgx / (float)width;
    for (int j = 0; j < width; j++) du[j] = rstd * (g[j] * gamma[j] - mg - du[j] * mgx);
    if (r) {
      float wx = skip_weight < 0.0f ? 1.0f : skip_weight, wr = skip_weight < 0.0f ? 1.0f : 1.0f - skip_weight;
      for (int j = 0; j < width; j++) {
        dr[base + j] = wr * du[j];
        du[j] *= wx;
      }
    }
  }
  return 0;
}

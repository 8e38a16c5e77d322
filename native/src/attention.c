/*
 * Self-attention core per (sequence, head): P = softmax(Q K^T / sqrt(keyDim)), context = P V,
 * read straight from the packed projection rows qkv [batch, time, 3 * heads * keyDim] and written
 * into context [batch, time, heads * keyDim] through strides, so no head is ever transposed out.
 * Backward: dP = dC V^T, dV = P^T dC, dS = P * (dP - rowsum(P * dP)) / sqrt(keyDim),
 * dQ = dS K, dK = dS^T Q.
 */
#include "gemm.h"
#include "vmath.h"

#include <math.h>
#include <stdlib.h>

/* p <- softmax(scale * p) over one row of n, max-subtracted like tf.softmax. */
static void softmax_row(float *p, int n, float scale) {
  float max = -INFINITY, sum = 0.0f;
  for (int j = 0; j < n; j++) {
    p[j] *= scale;
    if (p[j] > max) max = p[j];
  }
  int j = 0;
#ifdef VM_AVX2
  __m256 vmax = _mm256_set1_ps(max), vsum = _mm256_setzero_ps();
  for (; j + 8 <= n; j += 8) {
    __m256 e = vm_exp8(_mm256_sub_ps(_mm256_loadu_ps(p + j), vmax));
    _mm256_storeu_ps(p + j, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, vsum);
  for (int l = 0; l < 8; l++) sum += lanes[l];
#endif
  for (; j < n; j++) {
    p[j] = vm_exp(p[j] - max);
    sum += p[j];
  }
  float inv = 1.0f / sum;
  for (j = 0; j < n; j++) p[j] *= inv;
}

static int attention_forward(const AttentionDims *d, const float *qkv, float *context, float *probs) {
  int T = d->time, H = d->heads, E = d->key_dim, HK = H * E, ld = 3 * HK;
  float scale = 1.0f / sqrtf((float)E);
  for (int b = 0; b < d->batch; b++) {
    for (int h = 0; h < H; h++) {
      const float *q = qkv + (size_t)b * T * ld + (size_t)h * E, *k = q + HK, *v = q + 2 * HK;
      float *p = probs + ((size_t)b * H + h) * T * T;
      if (gemm(T, T, E, q, ld, 1, k, 1, ld, p, T, 0)) return -1;
      for (int i = 0; i < T; i++) softmax_row(p + (size_t)i * T, T, scale);
      if (gemm(T, E, T, p, T, 1, v, ld, 1, context + (size_t)b * T * HK + (size_t)h * E, HK, 0)) return -1;
    }
  }
  return 0;
}

static int attention_backward(const AttentionDims *d, const float *qkv, const float *probs,
                              const float *dcontext, float *dqkv) {
  int T = d->time, H = d->heads, E = d->key_dim, HK = H * E, ld = 3 * HK;
  float scale = 1.0f / sqrtf((float)E);
  float *ds = aligned_floats((size_t)T * T);
  if (!ds) return -1;
  int status = -1;
  for (int b = 0; b < d->batch; b++) {
    for (int h = 0; h < H; h++) {
      size_t off = (size_t)b * T * ld + (size_t)h * E;
      const float *q = qkv + off, *k = q + HK, *v = q + 2 * HK;
      float *dq = dqkv + off, *dk = dq + HK, *dv = dq + 2 * HK;
      const float *p = probs + ((size_t)b * H + h) * T * T;
      const float *dc = dcontext + (size_t)b * T * HK + (size_t)h * E;
      if (gemm(T, T, E, dc, HK, 1, v, 1, ld, ds, T, 0)) goto done;
      if (gemm(T, E, T, p, 1, T, dc, HK, 1, dv, ld, 0)) goto done;
      for (int i = 0; i < T; i++) {
        const float *pr = p + (size_t)i * T;
        float *sr = ds + (size_t)i * T, dot = 0.0f;
        for (int j = 0; j < T; j++) dot += pr[j] * sr[j];
        for (int j = 0; j < T; j++) sr[j] = pr[j] * (sr[j] - dot) * scale;
      }
      if (gemm(T, E, T, ds, T, 1, k, ld, 1, dq, ld, 0)) goto done;
      if (gemm(T, E, T, ds, 1, T, q, ld, 1, dk, ld, 0)) goto done;
    }
  }
  status = 0;
done:
  free(ds);
  return status;
}

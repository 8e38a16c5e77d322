/*
 * Layer normalisation over the last axis with an optional fused residual sum in front
 * (u = x + r, or w x + (1 - w) r): the statistics as tf's ops compute them (mean, then the mean of
 * squared deviations, then 1/sqrt(var + eps)), one row at a time.
 * An addend, when given, is added to the result (a skip around the normalisation: x + LN(c)), after
 * the affine step, as a separate rounding.
 * Backward: with xhat = (u - mean) rstd and g = dy * gamma,
 * du = rstd (g - mean(g) - xhat mean(g xhat)), dgamma = sum dy xhat, dbeta = sum dy. dy may come
 * in two parts summed on read (dy + dy2: the gradients of a tensor that feeds two sublayers), which
 * saves the caller a pass that adds them into one array first.
 * With AVX2 the row's full 8-lane blocks are vectors and the rest scalar; the row sums add the
 * vector lanes in a fixed order, so equal inputs give equal bits.
 */
#include <math.h>
#include <string.h>

static inline float ln_input(const float *x, const float *r, float w, size_t i) {
  if (!r) return x[i];
  return w < 0.0f ? x[i] + r[i] : w * x[i] + (1.0f - w) * r[i];
}

/* The upstream gradient at i: dy, or dy + dy2. */
static inline float ln_grad(const float *dy, const float *dy2, size_t i) { return dy2 ? dy[i] + dy2[i] : dy[i]; }

#ifdef VM_AVX2
static inline __m256 ln_grad8(const float *dy, const float *dy2, size_t i) {
  __m256 g = _mm256_loadu_ps(dy + i);
  return dy2 ? _mm256_add_ps(g, _mm256_loadu_ps(dy2 + i)) : g;
}

static inline float ln_hsum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static inline __m256 ln_input8(const float *x, const float *r, float w, size_t i) {
  __m256 xv = _mm256_loadu_ps(x + i);
  if (!r) return xv;
  __m256 rv = _mm256_loadu_ps(r + i);
  if (w < 0.0f) return _mm256_add_ps(xv, rv);
  return _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(w), xv), _mm256_mul_ps(_mm256_set1_ps(1.0f - w), rv));
}
#endif

/*
 * The kernels' bodies are inlined into one copy per common small width (the dispatchers at the
 * end): with the width a constant the compiler unrolls a row's loops and drops their tails, which
 * is most of a row's cost at widths of 8-64 (measured 2x at 16). Same operations, same bits.
 */
#define LN_INLINE static inline __attribute__((always_inline))

LN_INLINE int ln_forward_rows(int rows, int width, float epsilon, const float *x, const float *r,
                              float skip_weight, const float *gamma, const float *beta, const float *addend,
                              float *y, float *stats) {
#ifdef VM_AVX2
  int vec = width / 8 * 8;
#endif
  for (int i = 0; i < rows; i++) {
    size_t base = (size_t)i * width;
    float *u = y + base, sum = 0.0f, sq = 0.0f;
    int j = 0;
#ifdef VM_AVX2
    __m256 vsum = _mm256_setzero_ps();
    for (; j < vec; j += 8) {
      __m256 uv = ln_input8(x, r, skip_weight, base + j);
      _mm256_storeu_ps(u + j, uv);
      vsum = _mm256_add_ps(vsum, uv);
    }
    sum = ln_hsum8(vsum);
#endif
    for (; j < width; j++) {
      u[j] = ln_input(x, r, skip_weight, base + j);
      sum += u[j];
    }
    float mean = sum / (float)width;
    j = 0;
#ifdef VM_AVX2
    __m256 vmean = _mm256_set1_ps(mean), vsq = _mm256_setzero_ps();
    for (; j < vec; j += 8) {
      __m256 c = _mm256_sub_ps(_mm256_loadu_ps(u + j), vmean);
      vsq = _mm256_add_ps(vsq, _mm256_mul_ps(c, c));
    }
    sq = ln_hsum8(vsq);
#endif
    for (; j < width; j++) sq += (u[j] - mean) * (u[j] - mean);
    float rstd = 1.0f / sqrtf(sq / (float)width + epsilon);
    j = 0;
#ifdef VM_AVX2
    __m256 vrstd = _mm256_set1_ps(rstd);
    for (; j < vec; j += 8) {
      __m256 n = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(u + j), vmean), vrstd);
      __m256 out = _mm256_add_ps(_mm256_mul_ps(n, _mm256_loadu_ps(gamma + j)), _mm256_loadu_ps(beta + j));
      if (addend) out = _mm256_add_ps(out, _mm256_loadu_ps(addend + base + j));
      _mm256_storeu_ps(u + j, out);
    }
#endif
    for (; j < width; j++) {
      u[j] = (u[j] - mean) * rstd * gamma[j] + beta[j];
      if (addend) u[j] += addend[base + j];
    }
    stats[2 * (size_t)i] = mean;
    stats[2 * (size_t)i + 1] = rstd;
  }
  return 0;
}

LN_INLINE int ln_backward_rows(int rows, int width, const float *x, const float *r, float skip_weight,
                               const float *gamma, const float *stats, const float *dy, const float *dy2,
                               float *dx, float *dr, float *dgamma, float *dbeta) {
  memset(dgamma, 0, (size_t)width * sizeof(float));
  memset(dbeta, 0, (size_t)width * sizeof(float));
  float wx = skip_weight < 0.0f ? 1.0f : skip_weight, wr = skip_weight < 0.0f ? 1.0f : 1.0f - skip_weight;
#ifdef VM_AVX2
  int vec = width / 8 * 8;
#endif
  for (int i = 0; i < rows; i++) {
    size_t base = (size_t)i * width;
    float mean = stats[2 * (size_t)i], rstd = stats[2 * (size_t)i + 1];
    float *du = dx + base, sg = 0.0f, sgx = 0.0f;
    int j = 0;
    /* du holds xhat until the row's sums are known. */
#ifdef VM_AVX2
    __m256 vmean = _mm256_set1_ps(mean), vrstd = _mm256_set1_ps(rstd);
    __m256 vsg = _mm256_setzero_ps(), vsgx = _mm256_setzero_ps();
    for (; j < vec; j += 8) {
      __m256 xhat = _mm256_mul_ps(_mm256_sub_ps(ln_input8(x, r, skip_weight, base + j), vmean), vrstd);
      __m256 gv = ln_grad8(dy, dy2, base + j), gg = _mm256_mul_ps(gv, _mm256_loadu_ps(gamma + j));
      _mm256_storeu_ps(du + j, xhat);
      _mm256_storeu_ps(dgamma + j, _mm256_add_ps(_mm256_loadu_ps(dgamma + j), _mm256_mul_ps(gv, xhat)));
      _mm256_storeu_ps(dbeta + j, _mm256_add_ps(_mm256_loadu_ps(dbeta + j), gv));
      vsg = _mm256_add_ps(vsg, gg);
      vsgx = _mm256_add_ps(vsgx, _mm256_mul_ps(gg, xhat));
    }
    sg = ln_hsum8(vsg);
    sgx = ln_hsum8(vsgx);
#endif
    for (; j < width; j++) {
      float xhat = (ln_input(x, r, skip_weight, base + j) - mean) * rstd, g = ln_grad(dy, dy2, base + j);
      du[j] = xhat;
      dgamma[j] += g * xhat;
      dbeta[j] += g;
      sg += g * gamma[j];
      sgx += g * gamma[j] * xhat;
    }
    float mg = sg / (float)width, mgx = sgx / (float)width;
    j = 0;
#ifdef VM_AVX2
    __m256 vmg = _mm256_set1_ps(mg), vmgx = _mm256_set1_ps(mgx), vwx = _mm256_set1_ps(wx), vwr = _mm256_set1_ps(wr);
    for (; j < vec; j += 8) {
      __m256 gg = _mm256_mul_ps(ln_grad8(dy, dy2, base + j), _mm256_loadu_ps(gamma + j));
      __m256 d = _mm256_mul_ps(vrstd, _mm256_sub_ps(_mm256_sub_ps(gg, vmg), _mm256_mul_ps(_mm256_loadu_ps(du + j), vmgx)));
      if (r) {
        _mm256_storeu_ps(dr + base + j, _mm256_mul_ps(vwr, d));
        d = _mm256_mul_ps(d, vwx);
      }
      _mm256_storeu_ps(du + j, d);
    }
#endif
    for (; j < width; j++) {
      float d = rstd * (ln_grad(dy, dy2, base + j) * gamma[j] - mg - du[j] * mgx);
      if (r) {
        dr[base + j] = wr * d;
        d *= wx;
      }
      du[j] = d;
    }
  }
  return 0;
}

static int layer_norm_forward(int rows, int width, float epsilon, const float *x, const float *r,
                              float skip_weight, const float *gamma, const float *beta, const float *addend,
                              float *y, float *stats) {
  switch (width) {
  case 8: return ln_forward_rows(rows, 8, epsilon, x, r, skip_weight, gamma, beta, addend, y, stats);
  case 16: return ln_forward_rows(rows, 16, epsilon, x, r, skip_weight, gamma, beta, addend, y, stats);
  case 32: return ln_forward_rows(rows, 32, epsilon, x, r, skip_weight, gamma, beta, addend, y, stats);
  case 64: return ln_forward_rows(rows, 64, epsilon, x, r, skip_weight, gamma, beta, addend, y, stats);
  default: return ln_forward_rows(rows, width, epsilon, x, r, skip_weight, gamma, beta, addend, y, stats);
  }
}

static int layer_norm_backward(int rows, int width, const float *x, const float *r, float skip_weight,
                               const float *gamma, const float *stats, const float *dy, const float *dy2,
                               float *dx, float *dr, float *dgamma, float *dbeta) {
  switch (width) {
  case 8: return ln_backward_rows(rows, 8, x, r, skip_weight, gamma, stats, dy, dy2, dx, dr, dgamma, dbeta);
  case 16: return ln_backward_rows(rows, 16, x, r, skip_weight, gamma, stats, dy, dy2, dx, dr, dgamma, dbeta);
  case 32: return ln_backward_rows(rows, 32, x, r, skip_weight, gamma, stats, dy, dy2, dx, dr, dgamma, dbeta);
  case 64: return ln_backward_rows(rows, 64, x, r, skip_weight, gamma, stats, dy, dy2, dx, dr, dgamma, dbeta);
  default: return ln_backward_rows(rows, width, x, r, skip_weight, gamma, stats, dy, dy2, dx, dr, dgamma, dbeta);
  }
}

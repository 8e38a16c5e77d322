/*
 * exp, sigmoid and tanh in single precision, accurate to a few ulp (no -ffast-math: we need
 * these to match Math.exp/Math.tanh to ~1e-6). The vector (AVX2) and scalar versions use the same
 * range reduction and polynomials so a row's SIMD body and scalar tail agree.
 *
 * exp(x) = 2^n * exp(r), n = round(x / ln2), r = x - n ln2 (ln2 split in two for exactness),
 * exp(r) on |r| <= ln2/2 by a degree-6 polynomial (Taylor coefficients, error < 2e-7 relative).
 * tanh: odd Taylor polynomial below |x| < 0.25 (where 1 - e^{-2|x|} would cancel), else
 * (1 - e^{-2|x|}) / (1 + e^{-2|x|}) with the sign restored.
 */
#ifndef TIDAL_VMATH_H
#define TIDAL_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#define VM_LN2_HI 0.693359375f
#define VM_LN2_LO -2.12194440e-4f
#define VM_LOG2E 1.44269504088896341f
#define VM_EXP_MAX 88.0f
#define VM_EXP_MIN -87.0f
#define VM_TANH_SMALL 0.25f

static inline float vm_exp_poly(float r) {
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  return p * r + 1.0f;
}

static inline float vm_exp(float x) {
  x = x > VM_EXP_MAX ? VM_EXP_MAX : x < VM_EXP_MIN ? VM_EXP_MIN : x;
  float n = nearbyintf(x * VM_LOG2E);
  float r = x - n * VM_LN2_HI;
  r = r - n * VM_LN2_LO;
  int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return vm_exp_poly(r) * scale;
}

static inline float vm_sigmoid(float x) { return 1.0f / (1.0f + vm_exp(-x)); }

static inline float vm_tanh(float x) {
  float ax = fabsf(x);
  if (ax < VM_TANH_SMALL) {
    float x2 = x * x;
    float p = 62.0f / 2835.0f;
    p = p * x2 - 17.0f / 315.0f;
    p = p * x2 + 2.0f / 15.0f;
    p = p * x2 - 1.0f / 3.0f;
    return x + x * x2 * p;
  }
  float e = vm_exp(-2.0f * ax);
  float t = (1.0f - e) / (1.0f + e);
  return x < 0.0f ? -t : t;
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define VM_AVX2 1

/* exp(r) for the reduced argument r = x - n ln2 (|r| <= ln2 / 2): the Taylor polynomial to r^6, fused. */
static inline __m256 vm_exp_reduced8(__m256 r) {
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  return _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
}

static inline __m256 vm_exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(VM_EXP_MIN)), _mm256_set1_ps(VM_EXP_MAX));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(VM_LOG2E)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(VM_LN2_HI), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(VM_LN2_LO), r);
  __m256 p = vm_exp_reduced8(r);
  __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

static inline __m256 vm_sigmoid8(__m256 x) {
  __m256 one = _mm256_set1_ps(1.0f);
  return _mm256_div_ps(one, _mm256_add_ps(one, vm_exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

static inline __m256 vm_tanh8(__m256 x) {
  __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 ax = _mm256_andnot_ps(sign, x);
  __m256 x2 = _mm256_mul_ps(x, x);
  __m256 p = _mm256_set1_ps(62.0f / 2835.0f);
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-17.0f / 315.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(2.0f / 15.0f));
  p = _mm256_fmadd_ps(p, x2, _mm256_set1_ps(-1.0f / 3.0f));
  __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(x, x2), p, x);
  __m256 one = _mm256_set1_ps(1.0f);
  __m256 e = vm_exp8(_mm256_mul_ps(_mm256_set1_ps(-2.0f), ax));
  __m256 big = _mm256_div_ps(_mm256_sub_ps(one, e), _mm256_add_ps(one, e));
  big = _mm256_or_ps(big, _mm256_and_ps(sign, x));
  __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(VM_TANH_SMALL), _CMP_LT_OQ);
  return _mm256_blendv_ps(big, small, is_small);
}
#endif

#endif

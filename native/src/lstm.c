/*
 * LSTM over a whole sequence. Forward: per step and per block of batch rows, the input GEMM x_t K
 * and the recurrent GEMM h_prev R (K and R packed once per call) fill those gate rows and the
 * gate activations run while the rows are still in cache. (The input GEMMs add up to the one
 * [B*T, I] x [I, 4U] product, split by step so the gate rows are written once and stay hot; one
 * packed K serves every step.) Backward walks the steps in reverse;
 * each step's dGates feed the recurrent carry (dGates R^T) and, packed once, the weight-gradient
 * GEMMs (X_t^T dGates, H_prev^T dGates) and dX_t = dGates K^T while they are hot in cache.
 *
 * Cache layout, time-major [time, batch, .] so one step's rows are contiguous (row-major
 * [batch, time] rows would sit a multiple of 4 KiB apart and collide in the same L1 sets):
 * activated gates (i, f, g, o) 4U, c U. tanh(c) is not kept: backward recomputes it from c with
 * the same function on the same value (same bits), one tanh per cell against 1/6 of the cache.
 */
#include "gemm.h"
#include "recurrence.h"
#include "vmath.h"

#include <stdlib.h>
#include <string.h>


/* z: pre-activations without bias, becomes the activated gates; writes c and h. */
static void cell_forward(int U, float *z, const float *bias, const float *c_prev, float *c, float *h) {
  int u = 0;
#ifdef VM_AVX2
  for (; u + 8 <= U; u += 8) {
    __m256 i = vm_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(z + u), _mm256_loadu_ps(bias + u)));
    __m256 f = vm_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(z + U + u), _mm256_loadu_ps(bias + U + u)));
    __m256 g = vm_tanh8(_mm256_add_ps(_mm256_loadu_ps(z + 2 * U + u), _mm256_loadu_ps(bias + 2 * U + u)));
    __m256 o = vm_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(z + 3 * U + u), _mm256_loadu_ps(bias + 3 * U + u)));
    __m256 ig = _mm256_mul_ps(i, g);
    __m256 cn = c_prev ? _mm256_fmadd_ps(f, _mm256_loadu_ps(c_prev + u), ig) : ig;
    __m256 t = vm_tanh8(cn);
    _mm256_storeu_ps(z + u, i);
    _mm256_storeu_ps(z + U + u, f);
    _mm256_storeu_ps(z + 2 * U + u, g);
    _mm256_storeu_ps(z + 3 * U + u, o);
    _mm256_storeu_ps(c + u, cn);
    _mm256_storeu_ps(h + u, _mm256_mul_ps(o, t));
  }
#endif
  for (; u < U; u++) {
    float i = vm_sigmoid(z[u] + bias[u]);
    float f = vm_sigmoid(z[U + u] + bias[U + u]);
    float g = vm_tanh(z[2 * U + u] + bias[2 * U + u]);
    float o = vm_sigmoid(z[3 * U + u] + bias[3 * U + u]);
    float cn = c_prev ? f * c_prev[u] + i * g : i * g;
    float t = vm_tanh(cn);
    z[u] = i;
    z[U + u] = f;
    z[2 * U + u] = g;
    z[3 * U + u] = o;
    c[u] = cn;
    h[u] = o * t;
  }
}

/* dh: total gradient reaching this step's h; dc: carry from the later step, replaced by d c_prev. */
static void cell_backward(int U, const float *a, const float *c, const float *c_prev, const float *dh,
                          float *dc, float *dz) {
  int u = 0;
#ifdef VM_AVX2
  __m256 one = _mm256_set1_ps(1.0f);
  for (; u + 8 <= U; u += 8) {
    __m256 i = _mm256_loadu_ps(a + u), f = _mm256_loadu_ps(a + U + u);
    __m256 g = _mm256_loadu_ps(a + 2 * U + u), o = _mm256_loadu_ps(a + 3 * U + u);
    __m256 t = vm_tanh8(_mm256_loadu_ps(c + u)), d = _mm256_loadu_ps(dh + u);
    __m256 cp = c_prev ? _mm256_loadu_ps(c_prev + u) : _mm256_setzero_ps();
    __m256 dct = _mm256_fmadd_ps(_mm256_mul_ps(d, o), _mm256_fnmadd_ps(t, t, one), _mm256_loadu_ps(dc + u));
    _mm256_storeu_ps(dz + u, _mm256_mul_ps(_mm256_mul_ps(dct, g), _mm256_mul_ps(i, _mm256_sub_ps(one, i))));
    _mm256_storeu_ps(dz + U + u, _mm256_mul_ps(_mm256_mul_ps(dct, cp), _mm256_mul_ps(f, _mm256_sub_ps(one, f))));
    _mm256_storeu_ps(dz + 2 * U + u, _mm256_mul_ps(_mm256_mul_ps(dct, i), _mm256_fnmadd_ps(g, g, one)));
    _mm256_storeu_ps(dz + 3 * U + u, _mm256_mul_ps(_mm256_mul_ps(d, t), _mm256_mul_ps(o, _mm256_sub_ps(one, o))));
    _mm256_storeu_ps(dc + u, _mm256_mul_ps(dct, f));
  }
#endif
  for (; u < U; u++) {
    float i = a[u], f = a[U + u], g = a[2 * U + u], o = a[3 * U + u], t = vm_tanh(c[u]), d = dh[u];
    float cp = c_prev ? c_prev[u] : 0.0f;
    float dct = dc[u] + d * o * (1.0f - t * t);
    dz[u] = dct * g * i * (1.0f - i);
    dz[U + u] = dct * cp * f * (1.0f - f);
    dz[2 * U + u] = dct * i * (1.0f - g * g);
    dz[3 * U + u] = d * t * o * (1.0f - o);
    dc[u] = dct * f;
  }
}

static int lstm_forward(const SeqDims *d, const SeqInputs *in, float *h, float *h_last, float *c_last, float *cache) {
  int B = d->batch, T = d->time, I = d->input, U = d->units, G = 4 * U, H = d->h_stride;
  size_t BT = (size_t)B * T;
  float *gates = cache, *cs = cache + BT * G;
  PackedB k = {0}, rk = {0};
  int status = -1;
  if (packed_b_init(&k, I, G, in->kernel, G, 1) || packed_b_init(&rk, U, G, in->recurrent, G, 1)) goto done;
  for (int s = 0; s < T; s++) {
    int t = seq_step_time(d, s), tp = s > 0 ? seq_step_time(d, s - 1) : -1;
    for (int b0 = 0; b0 < B; b0 += SEQ_ROW_BLOCK) {
      int m = B - b0 < SEQ_ROW_BLOCK ? B - b0 : SEQ_ROW_BLOCK;
      float *z = gates + ((size_t)t * B + b0) * G;
      const float *hp = tp >= 0 ? h + ((size_t)b0 * T + tp) * H : in->h0 ? in->h0 + (size_t)b0 * U : NULL;
      if (gemm_packed(m, in->x + ((size_t)b0 * T + t) * I, (ptrdiff_t)T * I, 1, &k, z, G, 0)) goto done;
      if (hp && gemm_packed(m, hp, tp >= 0 ? (ptrdiff_t)T * H : U, 1, &rk, z, G, 1)) goto done;
      for (int b = b0; b < b0 + m; b++) {
        size_t row = (size_t)t * B + b;
        const float *cp = tp >= 0 ? cs + ((size_t)tp * B + b) * U : in->c0 ? in->c0 + (size_t)b * U : NULL;
        cell_forward(U, gates + row * G, in->bias, cp, cs + row * U, h + ((size_t)b * T + t) * H);
      }
    }
  }
  int tl = seq_step_time(d, T - 1);
  for (int b = 0; b < B; b++) {
    memcpy(h_last + (size_t)b * U, h + ((size_t)b * T + tl) * H, (size_t)U * sizeof(float));
    memcpy(c_last + (size_t)b * U, cs + ((size_t)tl * B + b) * U, (size_t)U * sizeof(float));
  }
  status = 0;
done:
  packed_b_free(&k);
  packed_b_free(&rk);
  return status;
}

static int lstm_backward(const SeqDims *d, const SeqInputs *in, const float *cache, const float *h,
                  const float *dh, const float *dh_last, const float *dc_last,
                  float *dx, float *dkernel, float *drecurrent, float *dbias, float *dh0, float *dc0) {
  int B = d->batch, T = d->time, I = d->input, U = d->units, G = 4 * U, H = d->h_stride;
  size_t BT = (size_t)B * T;
  const float *gates = cache, *cs = cache + BT * G;
  /* dGates of the step being walked and of the one walked before it (the later time step). */
  float *dz = aligned_floats((size_t)B * G), *dz_later = aligned_floats((size_t)B * G);
  float *dh_step = aligned_floats((size_t)SEQ_ROW_BLOCK * U);
  float *dx_step = d->accumulate_dx ? aligned_floats((size_t)B * I) : NULL;
  PackedB kt = {0}, rkt = {0}, dzp = {0};
  dzp.data = aligned_floats(packed_b_size(B, G));
  int status = -1;
  if (!dz || !dz_later || !dh_step || !dzp.data || (d->accumulate_dx && !dx_step)) goto done;
  if (packed_b_init(&kt, G, I, in->kernel, 1, G) || packed_b_init(&rkt, G, U, in->recurrent, 1, G)) goto done;

  memset(dkernel, 0, (size_t)I * G * sizeof(float));
  memset(drecurrent, 0, (size_t)U * G * sizeof(float));
  memset(dbias, 0, (size_t)G * sizeof(float));
  if (dc_last) memcpy(dc0, dc_last, (size_t)B * U * sizeof(float));
  else memset(dc0, 0, (size_t)B * U * sizeof(float));
  for (int s = T - 1; s >= 0; s--) {
    int t = seq_step_time(d, s), tp = s > 0 ? seq_step_time(d, s - 1) : -1;
    for (int b0 = 0; b0 < B; b0 += SEQ_ROW_BLOCK) {
      int m = B - b0 < SEQ_ROW_BLOCK ? B - b0 : SEQ_ROW_BLOCK;
      for (int r = 0; r < m; r++) {
        float *dst = dh_step + (size_t)r * U;
        memcpy(dst, dh + ((size_t)(b0 + r) * T + t) * H, (size_t)U * sizeof(float));
        if (s == T - 1 && dh_last)
          for (int u = 0; u < U; u++) dst[u] += dh_last[(size_t)(b0 + r) * U + u];
      }
      if (s < T - 1 && gemm_packed(m, dz_later + (size_t)b0 * G, G, 1, &rkt, dh_step, U, 1)) goto done;
      for (int r = 0; r < m; r++) {
        int b = b0 + r;
        size_t row = (size_t)t * B + b;
        const float *cp = tp >= 0 ? cs + ((size_t)tp * B + b) * U : in->c0 ? in->c0 + (size_t)b * U : NULL;
        cell_backward(U, gates + row * G, cs + row * U, cp, dh_step + (size_t)r * U, dc0 + (size_t)b * U, dz + (size_t)b * G);
      }
    }
    /* This step's share of the weight gradients, while its dGates are still in cache. */
    packed_b_fill(&dzp, B, G, dz, G, 1);
    if (gemm_packed(I, in->x + (size_t)t * I, 1, (ptrdiff_t)T * I, &dzp, dkernel, G, 1)) goto done;
    const float *hp = tp >= 0 ? h + (size_t)tp * H : in->h0;
    if (hp && gemm_packed(U, hp, 1, tp >= 0 ? (ptrdiff_t)T * H : U, &dzp, drecurrent, G, 1)) goto done;
    if (step_input_gradient(B, dz, G, &kt, dx + (size_t)t * I, (ptrdiff_t)T * I, d->accumulate_dx, dx_step)) goto done;
    add_column_sums(B, G, dz, dbias);
    float *swap = dz;
    dz = dz_later;
    dz_later = swap;
  }
  if (gemm_packed(B, dz_later, G, 1, &rkt, dh0, U, 0)) goto done;
  status = 0;
done:
  packed_b_free(&kt);
  packed_b_free(&rkt);
  packed_b_free(&dzp);
  free(dz);
  free(dz_later);
  free(dh_step);
  free(dx_step);
  return status;
}

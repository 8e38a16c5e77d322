/*
 * GRU over a whole sequence with tfjs-layers' GRUCell formula (reset applied before the
 * recurrent product, one bias of 3U added to the input projection):
 *   z = sig(x Kz + h Rz + bz), r = sig(x Kr + h Rr + br), n = tanh(x Kh + (r*h) Rh + bh),
 *   h' = z*h + (1-z)*n.
 * Per step: GEMM h [Rz Rr] into the z,r rows, activations, GEMM (r*h) Rh into the n rows,
 * activations. Backward is the LSTM's scheme (lstm.c): per-step carry GEMMs, then the step's
 * dGates packed once for its share of dKernel, dRecurrentKernel and dX.
 * Cache layout, time-major [time, batch, .]: activated gates (z, r, n) 3U, r*h_prev U.
 */
#include "gemm.h"
#include "recurrence.h"
#include "vmath.h"

#include <stdlib.h>
#include <string.h>


static void gates_zr(int U, float *z, const float *bias, const float *h_prev, float *rh) {
  int u = 0;
#ifdef VM_AVX2
  for (; u + 8 <= 2 * U; u += 8)
    _mm256_storeu_ps(z + u, vm_sigmoid8(_mm256_add_ps(_mm256_loadu_ps(z + u), _mm256_loadu_ps(bias + u))));
#endif
  for (; u < 2 * U; u++) z[u] = vm_sigmoid(z[u] + bias[u]);
  for (u = 0; u < U; u++) rh[u] = h_prev ? z[U + u] * h_prev[u] : 0.0f;
}

static void gate_n(int U, float *z, const float *bias, const float *h_prev, float *h) {
  int u = 0;
#ifdef VM_AVX2
  __m256 one = _mm256_set1_ps(1.0f);
  for (; u + 8 <= U; u += 8) {
    __m256 n = vm_tanh8(_mm256_add_ps(_mm256_loadu_ps(z + 2 * U + u), _mm256_loadu_ps(bias + 2 * U + u)));
    __m256 zg = _mm256_loadu_ps(z + u);
    __m256 hp = h_prev ? _mm256_loadu_ps(h_prev + u) : _mm256_setzero_ps();
    _mm256_storeu_ps(z + 2 * U + u, n);
    _mm256_storeu_ps(h + u, _mm256_fmadd_ps(zg, hp, _mm256_mul_ps(_mm256_sub_ps(one, zg), n)));
  }
#endif
  for (; u < U; u++) {
    float n = vm_tanh(z[2 * U + u] + bias[2 * U + u]);
    float hp = h_prev ? h_prev[u] : 0.0f;
    z[2 * U + u] = n;
    h[u] = z[u] * hp + (1.0f - z[u]) * n;
  }
}

static int gru_forward(const SeqDims *d, const SeqInputs *in, float *h, float *h_last, float *cache) {
  int B = d->batch, T = d->time, I = d->input, U = d->units, G = 3 * U, H = d->h_stride;
  size_t BT = (size_t)B * T;
  float *gates = cache, *rhs = cache + BT * G;
  PackedB k = {0}, rzr = {0}, rn = {0};
  int status = -1;
  if (packed_b_init(&k, I, G, in->kernel, G, 1) || packed_b_init(&rzr, U, 2 * U, in->recurrent, G, 1) ||
      packed_b_init(&rn, U, U, in->recurrent + 2 * U, G, 1))
    goto done;
  for (int s = 0; s < T; s++) {
    int t = seq_step_time(d, s), tp = s > 0 ? seq_step_time(d, s - 1) : -1;
    for (int b0 = 0; b0 < B; b0 += SEQ_ROW_BLOCK) {
      int m = B - b0 < SEQ_ROW_BLOCK ? B - b0 : SEQ_ROW_BLOCK;
      size_t row0 = (size_t)t * B + b0;
      const float *hp = tp >= 0 ? h + ((size_t)b0 * T + tp) * H : in->h0 ? in->h0 + (size_t)b0 * U : NULL;
      ptrdiff_t lhp = tp >= 0 ? (ptrdiff_t)T * H : U;
      if (gemm_packed(m, in->x + ((size_t)b0 * T + t) * I, (ptrdiff_t)T * I, 1, &k, gates + row0 * G, G, 0)) goto done;
      if (hp && gemm_packed(m, hp, lhp, 1, &rzr, gates + row0 * G, G, 1)) goto done;
      for (int r = 0; r < m; r++)
        gates_zr(U, gates + (row0 + r) * G, in->bias, hp ? hp + r * lhp : NULL, rhs + (row0 + r) * U);
      if (hp && gemm_packed(m, rhs + row0 * U, U, 1, &rn, gates + row0 * G + 2 * U, G, 1)) goto done;
      for (int r = 0; r < m; r++)
        gate_n(U, gates + (row0 + r) * G, in->bias, hp ? hp + r * lhp : NULL, h + ((size_t)(b0 + r) * T + t) * H);
    }
  }
  int tl = seq_step_time(d, T - 1);
  for (int b = 0; b < B; b++)
    memcpy(h_last + (size_t)b * U, h + ((size_t)b * T + tl) * H, (size_t)U * sizeof(float));
  status = 0;
done:
  packed_b_free(&k);
  packed_b_free(&rzr);
  packed_b_free(&rn);
  return status;
}

/* First half of a step: dz (pre-activation) and dn from dh; dh_prev gets the direct z*dh part. */
static void backward_zn(int U, const float *a, const float *h_prev, const float *dh, float *dz, float *dh_prev) {
  for (int u = 0; u < U; u++) {
    float z = a[u], n = a[2 * U + u], hp = h_prev ? h_prev[u] : 0.0f, d = dh[u];
    dz[u] = d * (hp - n) * z * (1.0f - z);
    dz[2 * U + u] = d * (1.0f - z) * (1.0f - n * n);
    dh_prev[u] = d * z;
  }
}

/* Second half: d(r*h_prev) splits into dr (pre-activation) and more dh_prev. */
static void backward_r(int U, const float *a, const float *h_prev, const float *drh, float *dz, float *dh_prev) {
  for (int u = 0; u < U; u++) {
    float r = a[U + u], hp = h_prev ? h_prev[u] : 0.0f;
    dz[U + u] = drh[u] * hp * r * (1.0f - r);
    dh_prev[u] += drh[u] * r;
  }
}

static int gru_backward(const SeqDims *d, const SeqInputs *in, const float *cache, const float *h,
                 const float *dh, const float *dh_last,
                 float *dx, float *dkernel, float *drecurrent, float *dbias, float *dh0) {
  int B = d->batch, T = d->time, I = d->input, U = d->units, G = 3 * U, H = d->h_stride;
  size_t BT = (size_t)B * T;
  const float *gates = cache, *rhs = cache + BT * G;
  float *dz = aligned_floats((size_t)B * G);
  float *dh_step = aligned_floats((size_t)SEQ_ROW_BLOCK * U);
  float *drh = aligned_floats((size_t)SEQ_ROW_BLOCK * U);
  float *dx_step = d->accumulate_dx ? aligned_floats((size_t)B * I) : NULL;
  /* One step's dGates packed in two column groups: z,r (from h_prev) and n (from r*h_prev). */
  PackedB kt = {0}, rzr_t = {0}, rn_t = {0}, dzp_zr = {0}, dzp_n = {0};
  dzp_zr.data = aligned_floats(packed_b_size(B, 2 * U));
  dzp_n.data = aligned_floats(packed_b_size(B, U));
  int status = -1;
  if (!dz || !dh_step || !drh || !dzp_zr.data || !dzp_n.data || (d->accumulate_dx && !dx_step)) goto done;
  if (packed_b_init(&kt, G, I, in->kernel, 1, G) || packed_b_init(&rzr_t, 2 * U, U, in->recurrent, 1, G) ||
      packed_b_init(&rn_t, U, U, in->recurrent + 2 * U, 1, G))
    goto done;

  memset(dkernel, 0, (size_t)I * G * sizeof(float));
  memset(drecurrent, 0, (size_t)U * G * sizeof(float));
  memset(dbias, 0, (size_t)G * sizeof(float));
  /* dh0 doubles as the carry: gradient w.r.t. the state the current step started from. */
  if (dh_last) memcpy(dh0, dh_last, (size_t)B * U * sizeof(float));
  else memset(dh0, 0, (size_t)B * U * sizeof(float));
  for (int s = T - 1; s >= 0; s--) {
    int t = seq_step_time(d, s), tp = s > 0 ? seq_step_time(d, s - 1) : -1;
    for (int b0 = 0; b0 < B; b0 += SEQ_ROW_BLOCK) {
      int m = B - b0 < SEQ_ROW_BLOCK ? B - b0 : SEQ_ROW_BLOCK;
      size_t row0 = (size_t)t * B + b0;
      float *carry = dh0 + (size_t)b0 * U, *dzb = dz + (size_t)b0 * G;
      const float *hp = tp >= 0 ? h + ((size_t)b0 * T + tp) * H : in->h0 ? in->h0 + (size_t)b0 * U : NULL;
      ptrdiff_t lhp = tp >= 0 ? (ptrdiff_t)T * H : U;
      for (int r = 0; r < m; r++) {
        const float *src = dh + ((size_t)(b0 + r) * T + t) * H;
        for (int u = 0; u < U; u++) dh_step[(size_t)r * U + u] = src[u] + carry[(size_t)r * U + u];
      }
      for (int r = 0; r < m; r++)
        backward_zn(U, gates + (row0 + r) * G, hp ? hp + r * lhp : NULL, dh_step + (size_t)r * U, dzb + (size_t)r * G, carry + (size_t)r * U);
      if (gemm_packed(m, dzb + 2 * U, G, 1, &rn_t, drh, U, 0)) goto done;
      for (int r = 0; r < m; r++)
        backward_r(U, gates + (row0 + r) * G, hp ? hp + r * lhp : NULL, drh + (size_t)r * U, dzb + (size_t)r * G, carry + (size_t)r * U);
      if (gemm_packed(m, dzb, G, 1, &rzr_t, carry, U, 1)) goto done;
    }
    /* This step's share of the weight gradients, while its dGates are still in cache. */
    packed_b_fill(&dzp_zr, B, 2 * U, dz, G, 1);
    packed_b_fill(&dzp_n, B, U, dz + 2 * U, G, 1);
    const float *xt = in->x + (size_t)t * I;
    if (gemm_packed(I, xt, 1, (ptrdiff_t)T * I, &dzp_zr, dkernel, G, 1) ||
        gemm_packed(I, xt, 1, (ptrdiff_t)T * I, &dzp_n, dkernel + 2 * U, G, 1))
      goto done;
    const float *hp = tp >= 0 ? h + (size_t)tp * H : in->h0;
    if (hp && (gemm_packed(U, hp, 1, tp >= 0 ? (ptrdiff_t)T * H : U, &dzp_zr, drecurrent, G, 1) ||
               gemm_packed(U, rhs + (size_t)t * B * U, 1, U, &dzp_n, drecurrent + 2 * U, G, 1)))
      goto done;
    if (step_input_gradient(B, dz, G, &kt, dx + (size_t)t * I, (ptrdiff_t)T * I, d->accumulate_dx, dx_step)) goto done;
    add_column_sums(B, G, dz, dbias);
  }
  status = 0;
done:
  packed_b_free(&kt);
  packed_b_free(&rzr_t);
  packed_b_free(&rn_t);
  packed_b_free(&dzp_zr);
  packed_b_free(&dzp_n);
  free(dz);
  free(dh_step);
  free(drh);
  free(dx_step);
  return status;
}

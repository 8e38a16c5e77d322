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
#include <string.h>

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

static int attention_forward_gemm(const AttentionDims *d, const float *qkv, float *context, float *probs) {
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

static int attention_backward_gemm(const AttentionDims *d, const float *qkv, const float *probs,
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

/*
 * With AVX2, heads of key_dim <= SMALL_HEAD_DIM take a direct path forward, and up to 8 backward.
 * At key_dim 8 a GEMM call per product spends more on packing B and on 6 x 16 tiles with k = 8
 * than on the arithmetic (measured: the two cores of the small lstm-cnn-transformer took 3.2 ms
 * a call at 2 heads x 8, T 80), so per (sequence, head) the operands are copied once into
 * layouts made for these shapes and every product is a register-blocked loop over them:
 *   scores:   S[i, j] = sum_e A[i, e] Bt[e, j], Bt the key_dim rows of K^T (or V^T) padded to Tp;
 *   mix_rows: O[r, :] = sum_k M[r, k] B[k, :], B the time rows of V, K, Q or dC padded to 8 or 16
 *             lanes, M read through strides (P, dS, or their transposes).
 * Each output element is one chain of multiply-adds in a fixed order, the same in a block and in
 * a tail, so equal inputs give equal bits. The plain C build keeps the GEMM path: with its own
 * 4 x 8 tile it ran these shapes faster than plain C loops (bench:kernels, attention 4 x 16
 * forward 4.9 against 2.8 GFLOP/s).
 */
#ifdef VM_AVX2
enum { SMALL_HEAD_DIM = 16 };

/*
 * The small path is inlined into one copy per key_dim of 8 and 16 (the dispatchers below): with the
 * head width a constant, the products' inner loops unroll and the lane tails go. Same operations,
 * same bits.
 */
#define AT_INLINE static inline __attribute__((always_inline))

/* dst[j * ep + e] = src[j * ld + e] for e < e_dim, zeros for e_dim <= e < ep. */
AT_INLINE void pack_rows(const float *src, ptrdiff_t ld, int t, int e_dim, int ep, float *dst) {
  for (int j = 0; j < t; j++) {
    float *row = dst + (size_t)j * ep;
    memcpy(row, src + (size_t)j * ld, (size_t)e_dim * sizeof(float));
    for (int e = e_dim; e < ep; e++) row[e] = 0.0f;
  }
}

/* The first n lanes of v to dst. */
AT_INLINE void store_lanes(float *dst, __m256 v, int n) {
  if (n == 8) {
    _mm256_storeu_ps(dst, v);
    return;
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  memcpy(dst, lanes, (size_t)n * sizeof(float));
}

/*
 * s[i * tp + j] = sum_e a[i * lda + e] bt[e * tp + j] for i < t, j < tp (tp a multiple of 8), in
 * 6 x 16 tiles: 12 chains in flight, 8 loads for 12 multiply-adds.
 */
AT_INLINE void scores(const float *a, ptrdiff_t lda, const float *bt, int t, int tp, int e_dim, float *s) {
  int i = 0;
  for (; i + 6 <= t; i += 6) {
    const float *ai = a + (size_t)i * lda;
    float *si = s + (size_t)i * tp;
    int j = 0;
    for (; j + 16 <= tp; j += 16) {
      __m256 lo[6], hi[6];
      for (int q = 0; q < 6; q++) lo[q] = hi[q] = _mm256_setzero_ps();
      for (int e = 0; e < e_dim; e++) {
        const float *b = bt + (size_t)e * tp + j;
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        for (int q = 0; q < 6; q++) {
          __m256 x = _mm256_broadcast_ss(ai + q * lda + e);
          lo[q] = _mm256_fmadd_ps(x, b0, lo[q]);
          hi[q] = _mm256_fmadd_ps(x, b1, hi[q]);
        }
      }
      for (int q = 0; q < 6; q++) {
        _mm256_storeu_ps(si + (size_t)q * tp + j, lo[q]);
        _mm256_storeu_ps(si + (size_t)q * tp + j + 8, hi[q]);
      }
    }
    if (j < tp) {
      __m256 c[6];
      for (int q = 0; q < 6; q++) c[q] = _mm256_setzero_ps();
      for (int e = 0; e < e_dim; e++) {
        __m256 b0 = _mm256_loadu_ps(bt + (size_t)e * tp + j);
        for (int q = 0; q < 6; q++) c[q] = _mm256_fmadd_ps(_mm256_broadcast_ss(ai + q * lda + e), b0, c[q]);
      }
      for (int q = 0; q < 6; q++) _mm256_storeu_ps(si + (size_t)q * tp + j, c[q]);
    }
  }
  for (; i < t; i++) {
    const float *a0 = a + (size_t)i * lda;
    for (int j = 0; j < tp; j += 8) {
      __m256 c0 = _mm256_setzero_ps();
      for (int e = 0; e < e_dim; e++) c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + e), _mm256_loadu_ps(bt + (size_t)e * tp + j), c0);
      _mm256_storeu_ps(s + (size_t)i * tp + j, c0);
    }
  }
}

/* mix_rows at 8 lanes for one block of n <= 12 rows (a constant where inlined, so it unrolls), storing lanes of each. */
AT_INLINE void mix_block8(const float *m, ptrdiff_t rs, ptrdiff_t cs, int n, int inner, const float *b, float *out,
                          ptrdiff_t ldo, int lanes) {
  __m256 acc[12];
  for (int q = 0; q < n; q++) acc[q] = _mm256_setzero_ps();
  for (int k = 0; k < inner; k++) {
    __m256 bk = _mm256_loadu_ps(b + (size_t)k * 8);
    const float *mk = m + (size_t)k * cs;
    for (int q = 0; q < n; q++) acc[q] = _mm256_fmadd_ps(_mm256_broadcast_ss(mk + q * rs), bk, acc[q]);
  }
  for (int q = 0; q < n; q++) store_lanes(out + (size_t)q * ldo, acc[q], lanes);
}

/*
 * out[r * ldo + e] = sum_k m[r * rs + k * cs] b[k * ep + e] for r < rows, k < inner, e < e_dim;
 * ep is 8 or 16 (b's rows padded with zeros).
 */
AT_INLINE void mix_rows(const float *m, ptrdiff_t rs, ptrdiff_t cs, int rows, int inner, const float *b, int ep,
                     float *out, ptrdiff_t ldo, int e_dim) {
  int r = 0, tail = e_dim < 8 ? e_dim : 8;
  if (ep == 8) {
    /* 12 rows a block keep more chains in flight than the FMA latency needs; 8 and 4 take the rest. */
    for (; r + 12 <= rows; r += 12) mix_block8(m + (size_t)r * rs, rs, cs, 12, inner, b, out + (size_t)r * ldo, ldo, tail);
    if (r + 8 <= rows) {
      mix_block8(m + (size_t)r * rs, rs, cs, 8, inner, b, out + (size_t)r * ldo, ldo, tail);
      r += 8;
    }
    if (r + 4 <= rows) {
      mix_block8(m + (size_t)r * rs, rs, cs, 4, inner, b, out + (size_t)r * ldo, ldo, tail);
      r += 4;
    }
  } else {
    /* 6 rows x 2 vectors: 12 accumulators, as the GEMM's 6 x 16 tile. */
    for (; r + 6 <= rows; r += 6) {
      __m256 lo[6], hi[6];
      for (int q = 0; q < 6; q++) lo[q] = hi[q] = _mm256_setzero_ps();
      for (int k = 0; k < inner; k++) {
        __m256 b0 = _mm256_loadu_ps(b + (size_t)k * 16), b1 = _mm256_loadu_ps(b + (size_t)k * 16 + 8);
        const float *mk = m + (size_t)r * rs + (size_t)k * cs;
        for (int q = 0; q < 6; q++) {
          __m256 x = _mm256_broadcast_ss(mk + q * rs);
          lo[q] = _mm256_fmadd_ps(x, b0, lo[q]);
          hi[q] = _mm256_fmadd_ps(x, b1, hi[q]);
        }
      }
      for (int q = 0; q < 6; q++) {
        _mm256_storeu_ps(out + (size_t)(r + q) * ldo, lo[q]);
        store_lanes(out + (size_t)(r + q) * ldo + 8, hi[q], e_dim - 8);
      }
    }
  }
  for (; r < rows; r++) {
    __m256 lo = _mm256_setzero_ps(), hi = lo;
    for (int k = 0; k < inner; k++) {
      __m256 x = _mm256_broadcast_ss(m + (size_t)r * rs + (size_t)k * cs);
      lo = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + (size_t)k * ep), lo);
      if (ep == 16) hi = _mm256_fmadd_ps(x, _mm256_loadu_ps(b + (size_t)k * ep + 8), hi);
    }
    store_lanes(out + (size_t)r * ldo, lo, tail);
    if (ep == 16) store_lanes(out + (size_t)r * ldo + 8, hi, e_dim - 8);
  }
}

/*
 * vm_exp in 8 lanes step for step as the scalar code is compiled here (-std=c11: no contraction,
 * so separate multiplies and adds where vm_exp8 fuses them): bit for bit the scalar results
 * (checked over 32 M arguments in [-90, 0]), so a row's tail keeps the values it had.
 */
static inline __m256 exp8_unfused(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(VM_EXP_MIN)), _mm256_set1_ps(VM_EXP_MAX));
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(VM_LOG2E)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(VM_LN2_HI)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(VM_LN2_LO)));
  static const float coefficients[] = {1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f};
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  for (int i = 0; i < 6; i++) p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(coefficients[i]));
  __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/*
 * vm_exp8(x) for x <= 0 or NaN (x - max in a softmax row), bit for bit in fewer multiply-port
 * operations: the clamp at VM_EXP_MAX cannot bite (NaN already goes to VM_EXP_MIN), and n is
 * rounded by adding 1.5 * 2^23, whose sum has a unit last place: the nearest integer, ties to even
 * as vroundps (the default MXCSR mode, which the scalar vm_exp's nearbyintf also relies on). The
 * sum minus the constant is n exactly, and its low bits plus 127 are n's exponent field.
 */
static inline __m256 exp8_nonpositive(__m256 x) {
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  x = _mm256_max_ps(x, _mm256_set1_ps(VM_EXP_MIN));
  __m256 shifted = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(VM_LOG2E)), magic);
  __m256 n = _mm256_sub_ps(shifted, magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(VM_LN2_HI), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(VM_LN2_LO), r);
  __m256 p = vm_exp_reduced8(r);
  __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

/* r[l] lane q <- r[q] lane l: one row's 8 lanes become lane q of 8 vectors, so 8 rows reduce at once. */
AT_INLINE void transpose8(__m256 r[8]) {
  __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/*
 * Row q's sum in lane q, for 8 rows at once: the lanes of lane[q] (a row's 8-wide partial sums) in
 * order 0..7, then last[q]'s first `tail` lanes in order (the row's last n % 8 terms).
 */
AT_INLINE __m256 row_sums8(__m256 lane[8], __m256 last[8], int tail) {
  transpose8(lane);
  __m256 sum = _mm256_setzero_ps();
  for (int l = 0; l < 8; l++) sum = _mm256_add_ps(sum, lane[l]);
  if (tail) {
    transpose8(last);
    for (int j = 0; j < tail; j++) sum = _mm256_add_ps(sum, last[j]);
  }
  return sum;
}

/* dst[e * tp + j] = src[j * ld + e] for j < t, zeros for t <= j < tp; at 8 lanes 8 x 8 blocks at a time. */
AT_INLINE void pack_transposed(const float *src, ptrdiff_t ld, int t, int tp, int e_dim, float *dst) {
  int j0 = 0;
  if (e_dim == 8) {
    for (; j0 + 8 <= t; j0 += 8) {
      __m256 block[8];
      for (int q = 0; q < 8; q++) block[q] = _mm256_loadu_ps(src + (size_t)(j0 + q) * ld);
      transpose8(block);
      for (int e = 0; e < 8; e++) _mm256_storeu_ps(dst + (size_t)e * tp + j0, block[e]);
    }
  }
  for (int e = 0; e < e_dim; e++) {
    float *row = dst + (size_t)e * tp;
    for (int j = j0; j < t; j++) row[j] = src[(size_t)j * ld + e];
    for (int j = t; j < tp; j++) row[j] = 0.0f;
  }
}

/*
 * p[r * n + j] = softmax(scale * s[r * ld + :n])[j] for rows r < rows <= 8, max-subtracted like
 * tf.softmax; s is left scaled; ex is scratch of 8 * ld (ld >= n rounded up to 8: a row's tail
 * vector reads and writes s's padding).
 * Per row: a lane-wise max and sum over the 8-wide blocks, then the 8 lanes in order, then the
 * last n % 8 elements in order. The rows' lane vectors are transposed so that these in-order
 * reductions run for 8 rows at once, vector by vector: each row's operations and order as before.
 * A row's last n % 8 exps are one vector too (exp8_unfused, the scalar vm_exp's bits). The exps
 * wait in ex, so probs are written once.
 */
AT_INLINE void softmax_block(float *s, int ld, int n, int rows, float scale, float *p, float *ex) {
  int full = n / 8 * 8, tail = n - full;
  __m256 vscale = _mm256_set1_ps(scale), lane[8], last[8];
  __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  float max[8], inv[8];
  for (int r = 0; r < 8; r++) lane[r] = last[r] = _mm256_setzero_ps();
  for (int r = 0; r < rows; r++) {
    float *sr = s + (size_t)r * ld;
    __m256 vmax = _mm256_set1_ps(-INFINITY);
    for (int j = 0; j < full; j += 8) {
      __m256 x = _mm256_mul_ps(_mm256_loadu_ps(sr + j), vscale);
      _mm256_storeu_ps(sr + j, x);
      vmax = _mm256_max_ps(vmax, x);
    }
    lane[r] = vmax;
    if (tail) {
      last[r] = _mm256_mul_ps(_mm256_loadu_ps(sr + full), vscale);
      _mm256_storeu_ps(sr + full, last[r]);
    }
  }
  /* m = lanes[l] > m ? lanes[l] : m, as _mm256_max_ps(lanes[l], m) picks. */
  transpose8(lane);
  __m256 m = _mm256_set1_ps(-INFINITY);
  for (int l = 0; l < 8; l++) m = _mm256_max_ps(lane[l], m);
  if (tail) {
    transpose8(last);
    for (int j = 0; j < tail; j++) m = _mm256_max_ps(last[j], m);
  }
  _mm256_storeu_ps(max, m);
  for (int r = 0; r < rows; r++) {
    const float *sr = s + (size_t)r * ld;
    float *er = ex + (size_t)r * ld;
    __m256 vmax = _mm256_set1_ps(max[r]), vsum = _mm256_setzero_ps();
    for (int j = 0; j < full; j += 8) {
      __m256 e = exp8_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(sr + j), vmax));
      _mm256_storeu_ps(er + j, e);
      vsum = _mm256_add_ps(vsum, e);
    }
    lane[r] = vsum;
    if (tail) {
      /* sr[j] * scale - max, as the scalar code rounds it (the product rounded above, then a difference). */
      last[r] = exp8_unfused(_mm256_sub_ps(_mm256_loadu_ps(sr + full), vmax));
      _mm256_storeu_ps(er + full, last[r]);
    }
  }
  _mm256_storeu_ps(inv, _mm256_div_ps(_mm256_set1_ps(1.0f), row_sums8(lane, last, tail)));
  for (int r = 0; r < rows; r++) {
    const float *er = ex + (size_t)r * ld;
    float *pr = p + (size_t)r * n;
    __m256 vinv = _mm256_set1_ps(inv[r]);
    for (int j = 0; j < full; j += 8) _mm256_storeu_ps(pr + j, _mm256_mul_ps(_mm256_loadu_ps(er + j), vinv));
    if (tail) _mm256_maskstore_ps(pr + full, tail_mask, _mm256_mul_ps(_mm256_loadu_ps(er + full), vinv));
  }
}

/*
 * ds[r * n + j] = scale * p[r * n + j] (dp[r * ld + j] - sum_k p[r * n + k] dp[r * ld + k]) for
 * rows r < rows <= 8, j < n: the softmax's backward, scaled. Each row's dot is lane-wise over the
 * 8-wide blocks, then its 8 lanes in order, then its last n % 8 products in order; the rows' lane
 * vectors are transposed so these run for 8 rows at once (dp's rows padded to ld, n rounded up to 8).
 */
AT_INLINE void softmax_backward_block(const float *p, const float *dp, int ld, int n, int rows, float scale, float *ds) {
  int full = n / 8 * 8, tail = n - full;
  __m256i tail_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  __m256 lane[8], last[8], vscale = _mm256_set1_ps(scale);
  float dot[8];
  for (int r = 0; r < 8; r++) lane[r] = last[r] = _mm256_setzero_ps();
  for (int r = 0; r < rows; r++) {
    const float *pr = p + (size_t)r * n, *dr = dp + (size_t)r * ld;
    __m256 vdot = _mm256_setzero_ps();
    for (int j = 0; j < full; j += 8) vdot = _mm256_fmadd_ps(_mm256_loadu_ps(pr + j), _mm256_loadu_ps(dr + j), vdot);
    lane[r] = vdot;
    /* The scalar tail's p[j] * dp[j] was a product, then a sum: no contraction at -std=c11. */
    if (tail) last[r] = _mm256_mul_ps(_mm256_maskload_ps(pr + full, tail_mask), _mm256_loadu_ps(dr + full));
  }
  _mm256_storeu_ps(dot, row_sums8(lane, last, tail));
  for (int r = 0; r < rows; r++) {
    const float *pr = p + (size_t)r * n, *dr = dp + (size_t)r * ld;
    float *sr = ds + (size_t)r * n;
    __m256 vd = _mm256_set1_ps(dot[r]);
    for (int j = 0; j < full; j += 8)
      _mm256_storeu_ps(sr + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(pr + j), _mm256_sub_ps(_mm256_loadu_ps(dr + j), vd)), vscale));
    if (tail) {
      __m256 pj = _mm256_maskload_ps(pr + full, tail_mask);
      _mm256_maskstore_ps(sr + full, tail_mask, _mm256_mul_ps(_mm256_mul_ps(pj, _mm256_sub_ps(_mm256_loadu_ps(dr + full), vd)), vscale));
    }
  }
}

AT_INLINE int attention_forward_small(const AttentionDims *d, int E, const float *qkv, float *context, float *probs) {
  int T = d->time, H = d->heads, HK = H * E, ld = 3 * HK;
  int tp = (T + 7) / 8 * 8, ep = E <= 8 ? 8 : 16;
  float scale = 1.0f / sqrtf((float)E);
  float *kt = aligned_floats((size_t)E * tp + (size_t)T * ep + (size_t)T * tp + 8 * (size_t)tp);
  if (!kt) return -1;
  float *vp = kt + (size_t)E * tp, *s = vp + (size_t)T * ep, *ex = s + (size_t)T * tp;
  for (int b = 0; b < d->batch; b++) {
    for (int h = 0; h < H; h++) {
      const float *q = qkv + (size_t)b * T * ld + (size_t)h * E, *k = q + HK, *v = q + 2 * HK;
      float *p = probs + ((size_t)b * H + h) * T * T;
      pack_transposed(k, ld, T, tp, E, kt);
      pack_rows(v, ld, T, E, ep, vp);
      scores(q, ld, kt, T, tp, E, s);
      for (int i = 0; i < T; i += 8) softmax_block(s + (size_t)i * tp, tp, T, T - i < 8 ? T - i : 8, scale, p + (size_t)i * T, ex);
      mix_rows(p, T, 1, T, T, vp, ep, context + (size_t)b * T * HK + (size_t)h * E, HK, E);
    }
  }
  free(kt);
  return 0;
}

AT_INLINE int attention_backward_small(const AttentionDims *d, int E, const float *qkv, const float *probs,
                                    const float *dcontext, float *dqkv) {
  int T = d->time, H = d->heads, HK = H * E, ld = 3 * HK;
  int tp = (T + 7) / 8 * 8, ep = E <= 8 ? 8 : 16;
  float scale = 1.0f / sqrtf((float)E);
  size_t rows = (size_t)T * ep;
  float *vt = aligned_floats((size_t)E * tp + 3 * rows + (size_t)T * tp + (size_t)T * T);
  if (!vt) return -1;
  float *kp = vt + (size_t)E * tp, *qp = kp + rows, *dcp = qp + rows, *dp = dcp + rows, *ds = dp + (size_t)T * tp;
  for (int b = 0; b < d->batch; b++) {
    for (int h = 0; h < H; h++) {
      size_t off = (size_t)b * T * ld + (size_t)h * E;
      const float *q = qkv + off, *k = q + HK, *v = q + 2 * HK;
      float *dq = dqkv + off, *dk = dq + HK, *dv = dq + 2 * HK;
      const float *p = probs + ((size_t)b * H + h) * T * T;
      const float *dc = dcontext + (size_t)b * T * HK + (size_t)h * E;
      pack_transposed(v, ld, T, tp, E, vt);
      pack_rows(k, ld, T, E, ep, kp);
      pack_rows(q, ld, T, E, ep, qp);
      pack_rows(dc, HK, T, E, ep, dcp);
      scores(dc, HK, vt, T, tp, E, dp);
      for (int i = 0; i < T; i += 8)
        softmax_backward_block(p + (size_t)i * T, dp + (size_t)i * tp, tp, T, T - i < 8 ? T - i : 8, scale, ds + (size_t)i * T);
      mix_rows(p, 1, T, T, T, dcp, ep, dv, ld, E);
      mix_rows(ds, T, 1, T, T, kp, ep, dq, ld, E);
      mix_rows(ds, 1, T, T, T, qp, ep, dk, ld, E);
    }
  }
  free(vt);
  return 0;
}

#endif

static int attention_forward(const AttentionDims *d, const float *qkv, float *context, float *probs) {
#ifdef VM_AVX2
  if (d->key_dim == 8) return attention_forward_small(d, 8, qkv, context, probs);
  if (d->key_dim == 16) return attention_forward_small(d, 16, qkv, context, probs);
  if (d->key_dim < SMALL_HEAD_DIM) return attention_forward_small(d, d->key_dim, qkv, context, probs);
#endif
  return attention_forward_gemm(d, qkv, context, probs);
}

static int attention_backward(const AttentionDims *d, const float *qkv, const float *probs,
                              const float *dcontext, float *dqkv) {
  /* Above 8 lanes the GEMM's packed 6 x 16 tiles win the backward's four products (measured at 12 and 16). */
#ifdef VM_AVX2
  if (d->key_dim == 8) return attention_backward_small(d, 8, qkv, probs, dcontext, dqkv);
  if (d->key_dim < 8) return attention_backward_small(d, d->key_dim, qkv, probs, dcontext, dqkv);
#endif
  return attention_backward_gemm(d, qkv, probs, dcontext, dqkv);
}

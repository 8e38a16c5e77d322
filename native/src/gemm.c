/*
 * Blocked GEMM in the BLIS style: B is packed into NR-wide column panels, A into MR-high row
 * panels per KC-deep slice, and a register-blocked MR x NR micro-kernel does all the arithmetic.
 * 6 x 16 with AVX2 keeps 12 accumulators + 2 B vectors + 1 broadcast in the 16 ymm registers;
 * the plain C build (SSE2 at most, 16 xmm registers) uses 4 x 8: 8 accumulators the compiler can
 * keep in registers. Each build packs for its own tile, so the two never share packed data.
 */
#include "gemm.h"

#include <stdlib.h>
#include <string.h>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define GEMM_AVX2 1
#endif

#ifdef GEMM_AVX2
enum { MR = 6, NR = 16 };
#else
enum { MR = 4, NR = 8 };
#endif
enum { KC = 256, MC = 96 }; /* MC: a multiple of both MRs */

static void *aligned_floats(size_t count) {
  size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
  return aligned_alloc(64, bytes == 0 ? 64 : bytes);
}

static int panels(int n) { return (n + NR - 1) / NR; }

static size_t packed_b_size(int k, int n) { return (size_t)k * panels(n) * NR; }

static int packed_b_init(PackedB *pb, int k, int n, const float *b, ptrdiff_t rsb, ptrdiff_t csb) {
  pb->data = aligned_floats(packed_b_size(k, n));
  if (!pb->data) return -1;
  packed_b_fill(pb, k, n, b, rsb, csb);
  return 0;
}

static void packed_b_fill(PackedB *pb, int k, int n, const float *b, ptrdiff_t rsb, ptrdiff_t csb) {
  int npad = panels(n) * NR;
  pb->k = k;
  pb->n = n;
  for (int k0 = 0; k0 < k; k0 += KC) {
    int kc = k - k0 < KC ? k - k0 : KC;
    float *block = pb->data + (size_t)k0 * npad;
    for (int jp = 0; jp < panels(n); jp++) {
      float *dst = block + (size_t)jp * kc * NR;
      int j0 = jp * NR;
      int nr = n - j0 < NR ? n - j0 : NR;
      for (int p = 0; p < kc; p++) {
        const float *row = b + (k0 + p) * rsb + j0 * csb;
        int j = 0;
        if (csb == 1) {
          memcpy(dst, row, (size_t)nr * sizeof(float));
          j = nr;
        } else {
          for (; j < nr; j++) dst[j] = row[j * csb];
        }
        for (; j < NR; j++) dst[j] = 0.0f;
        dst += NR;
      }
    }
  }
}

static void packed_b_free(PackedB *pb) {
  free(pb->data);
  pb->data = NULL;
}

/* A[i0.., k0..] as MR-high panels, k-major inside a panel; missing rows are zero. */
static void pack_a(int mc, int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, float *dst) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    int mr = mc - i0 < MR ? mc - i0 : MR;
    if (csa == 1 && mr == MR) {
      const float *rows[MR];
      for (int i = 0; i < MR; i++) rows[i] = a + (i0 + i) * rsa;
      for (int p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++) dst[p * MR + i] = rows[i][p];
    } else if (mr == MR) {
      /* No per-element test: with rsa == 1 (a transposed operand) each p is MR contiguous floats. */
      for (int p = 0; p < kc; p++) {
        const float *src = a + i0 * rsa + p * csa;
        if (rsa == 1) memcpy(dst + p * MR, src, MR * sizeof(float));
        else
          for (int i = 0; i < MR; i++) dst[p * MR + i] = src[i * rsa];
      }
    } else {
      for (int p = 0; p < kc; p++) {
        const float *src = a + i0 * rsa + p * csa;
        for (int i = 0; i < MR; i++) dst[p * MR + i] = i < mr ? src[i * rsa] : 0.0f;
      }
    }
    dst += (size_t)MR * kc;
  }
}

/*
 * The micro-kernel's body over B rows at b_row(p) (NR floats each): a packed panel (p * NR) or
 * a row of an unpacked matrix given by pointer (micro_kernel_brows). A's MR floats for step p are
 * a_step floats after step p - 1's: MR when packed.
 */
#ifdef GEMM_AVX2
#define MICRO_KERNEL_BODY(b_row, a_step)                                                                \
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();                                       \
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();                                       \
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();                                       \
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();                                       \
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();                                       \
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();                                       \
  for (int p = 0; p < kc; p++) {                                                                     \
    const float *bp = (b_row);                                                                       \
    __m256 b0 = _mm256_loadu_ps(bp);                                                                 \
    __m256 b1 = _mm256_loadu_ps(bp + 8);                                                             \
    __m256 ai = _mm256_broadcast_ss(a);                                                              \
    c00 = _mm256_fmadd_ps(ai, b0, c00);                                                              \
    c01 = _mm256_fmadd_ps(ai, b1, c01);                                                              \
    ai = _mm256_broadcast_ss(a + 1);                                                                 \
    c10 = _mm256_fmadd_ps(ai, b0, c10);                                                              \
    c11 = _mm256_fmadd_ps(ai, b1, c11);                                                              \
    ai = _mm256_broadcast_ss(a + 2);                                                                 \
    c20 = _mm256_fmadd_ps(ai, b0, c20);                                                              \
    c21 = _mm256_fmadd_ps(ai, b1, c21);                                                              \
    ai = _mm256_broadcast_ss(a + 3);                                                                 \
    c30 = _mm256_fmadd_ps(ai, b0, c30);                                                              \
    c31 = _mm256_fmadd_ps(ai, b1, c31);                                                              \
    ai = _mm256_broadcast_ss(a + 4);                                                                 \
    c40 = _mm256_fmadd_ps(ai, b0, c40);                                                              \
    c41 = _mm256_fmadd_ps(ai, b1, c41);                                                              \
    ai = _mm256_broadcast_ss(a + 5);                                                                 \
    c50 = _mm256_fmadd_ps(ai, b0, c50);                                                              \
    c51 = _mm256_fmadd_ps(ai, b1, c51);                                                              \
    a += (a_step);                                                                                   \
  }                                                                                                  \
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};     \
  for (int i = 0; i < MR; i++) {                                                                     \
    float *row = c + i * ldc;                                                                        \
    if (accumulate) {                                                                                \
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(row));                                    \
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(row + 8));                                \
    }                                                                                                \
    _mm256_storeu_ps(row, acc[i][0]);                                                                \
    _mm256_storeu_ps(row + 8, acc[i][1]);                                                            \
  }
#else
/* Written so that the compiler keeps acc in registers and vectorises the NR loop. */
#define MICRO_KERNEL_BODY(b_row, a_step)                                                                \
  float acc[MR][NR];                                                                                 \
  for (int i = 0; i < MR; i++)                                                                       \
    for (int j = 0; j < NR; j++) acc[i][j] = 0.0f;                                                   \
  for (int p = 0; p < kc; p++) {                                                                     \
    const float *bp = (b_row);                                                                       \
    for (int i = 0; i < MR; i++)                                                                     \
      for (int j = 0; j < NR; j++) acc[i][j] += a[i] * bp[j];                                        \
    a += (a_step);                                                                                   \
  }                                                                                                  \
  for (int i = 0; i < MR; i++) {                                                                     \
    float *row = c + i * ldc;                                                                        \
    for (int j = 0; j < NR; j++) row[j] = accumulate ? row[j] + acc[i][j] : acc[i][j];               \
  }
#endif

static void micro_kernel(int kc, const float *a, const float *b, float *c, ptrdiff_t ldc, int accumulate) {
  MICRO_KERNEL_BODY(b + (size_t)p * NR, MR)
}

/*
 * B row p is the NR floats at brows[p] + boff: rows of a matrix used in place, no B packing. A
 * likewise: step p's MR floats are at a + p * lda.
 */
static void micro_kernel_brows(int kc, const float *a, ptrdiff_t lda, const float *const *brows, ptrdiff_t boff,
                               float *c, ptrdiff_t ldc, int accumulate) {
  MICRO_KERNEL_BODY(brows[p] + boff, lda)
}

/*
 * micro_kernel_brows for A's first `rows` (< MR) rows only: a last partial panel without the
 * products of its missing rows. Inlined into one copy per row count (the dispatcher after it).
 */
static inline __attribute__((always_inline)) void brows_rows_body(int rows, int kc, const float *a, ptrdiff_t lda,
                                                                  const float *const *brows, ptrdiff_t boff,
                                                                  float *c, ptrdiff_t ldc, int accumulate) {
#ifdef GEMM_AVX2
  __m256 acc[MR][2];
  for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const float *bp = brows[p] + boff;
    __m256 b0 = _mm256_loadu_ps(bp);
    __m256 b1 = _mm256_loadu_ps(bp + 8);
    for (int i = 0; i < rows; i++) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += lda;
  }
  for (int i = 0; i < rows; i++) {
    float *row = c + i * ldc;
    if (accumulate) {
      acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(row));
      acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(row + 8));
    }
    _mm256_storeu_ps(row, acc[i][0]);
    _mm256_storeu_ps(row + 8, acc[i][1]);
  }
#else
  float acc[MR][NR];
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < NR; j++) acc[i][j] = 0.0f;
  for (int p = 0; p < kc; p++) {
    const float *bp = brows[p] + boff;
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < NR; j++) acc[i][j] += a[i] * bp[j];
    a += lda;
  }
  for (int i = 0; i < rows; i++) {
    float *row = c + i * ldc;
    for (int j = 0; j < NR; j++) row[j] = accumulate ? row[j] + acc[i][j] : acc[i][j];
  }
#endif
}

static void micro_kernel_brows_rows(int rows, int kc, const float *a, ptrdiff_t lda, const float *const *brows,
                                    ptrdiff_t boff, float *c, ptrdiff_t ldc, int accumulate) {
  switch (rows) {
  case 1: brows_rows_body(1, kc, a, lda, brows, boff, c, ldc, accumulate); return;
  case 2: brows_rows_body(2, kc, a, lda, brows, boff, c, ldc, accumulate); return;
  case 3: brows_rows_body(3, kc, a, lda, brows, boff, c, ldc, accumulate); return;
#ifdef GEMM_AVX2
  case 4: brows_rows_body(4, kc, a, lda, brows, boff, c, ldc, accumulate); return;
#endif
  default: brows_rows_body(MR - 1, kc, a, lda, brows, boff, c, ldc, accumulate); return;
  }
}

/*
 * The per-row kernel: one MR x NR tile of start + sum_j A_j B_j where row i of A_j is the depth
 * floats at rows[j * MR + i] (any address: a shifted input row, or zeros), B_j the j-th block of
 * depth rows of a pack_b_taps panel. A is read in place, so a convolution needs neither im2col
 * copies nor A packing. start: NR floats every row begins with (the bias), or NULL for zeros;
 * relu clamps at the store. Writes the whole tile (no accumulate).
 */
#ifdef GEMM_AVX2
static void row_kernel(int taps, int depth, const float *const *rows, const float *b, const float *start,
                       int relu, float *c, ptrdiff_t ldc) {
  __m256 s0 = start ? _mm256_loadu_ps(start) : _mm256_setzero_ps();
  __m256 s1 = start ? _mm256_loadu_ps(start + 8) : _mm256_setzero_ps();
  __m256 c00 = s0, c01 = s1, c10 = s0, c11 = s1, c20 = s0, c21 = s1;
  __m256 c30 = s0, c31 = s1, c40 = s0, c41 = s1, c50 = s0, c51 = s1;
  for (int j = 0; j < taps; j++) {
    const float *a0 = rows[j * MR], *a1 = rows[j * MR + 1], *a2 = rows[j * MR + 2];
    const float *a3 = rows[j * MR + 3], *a4 = rows[j * MR + 4], *a5 = rows[j * MR + 5];
    for (int p = 0; p < depth; p++) {
      __m256 b0 = _mm256_load_ps(b);
      __m256 b1 = _mm256_load_ps(b + 8);
      __m256 ai = _mm256_broadcast_ss(a0 + p);
      c00 = _mm256_fmadd_ps(ai, b0, c00);
      c01 = _mm256_fmadd_ps(ai, b1, c01);
      ai = _mm256_broadcast_ss(a1 + p);
      c10 = _mm256_fmadd_ps(ai, b0, c10);
      c11 = _mm256_fmadd_ps(ai, b1, c11);
      ai = _mm256_broadcast_ss(a2 + p);
      c20 = _mm256_fmadd_ps(ai, b0, c20);
      c21 = _mm256_fmadd_ps(ai, b1, c21);
      ai = _mm256_broadcast_ss(a3 + p);
      c30 = _mm256_fmadd_ps(ai, b0, c30);
      c31 = _mm256_fmadd_ps(ai, b1, c31);
      ai = _mm256_broadcast_ss(a4 + p);
      c40 = _mm256_fmadd_ps(ai, b0, c40);
      c41 = _mm256_fmadd_ps(ai, b1, c41);
      ai = _mm256_broadcast_ss(a5 + p);
      c50 = _mm256_fmadd_ps(ai, b0, c50);
      c51 = _mm256_fmadd_ps(ai, b1, c51);
      b += NR;
    }
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  __m256 zero = _mm256_setzero_ps();
  for (int i = 0; i < MR; i++) {
    float *row = c + i * ldc;
    if (relu) {
      acc[i][0] = _mm256_max_ps(acc[i][0], zero);
      acc[i][1] = _mm256_max_ps(acc[i][1], zero);
    }
    _mm256_storeu_ps(row, acc[i][0]);
    _mm256_storeu_ps(row + 8, acc[i][1]);
  }
}
/* The AVX2 row kernel reads A through the row pointers; the generic one needs it packed. */
enum { ROW_KERNEL_PACKS_A = 0 };
#else
/*
 * The generic build multiplies A packed once per row tile by pack_row_tile (taps * depth steps of
 * MR floats) with the plain micro-kernel loop: multiplying from the row pointers directly, GCC
 * vectorised the wrong loop (3x slower), and packing inside every call repeated the copy for
 * every NR-column panel.
 */
enum { ROW_KERNEL_PACKS_A = 1 };

static void pack_row_tile(int taps, int depth, const float *const *rows, float *dst) {
  for (int t = 0; t < taps; t++)
    for (int p = 0; p < depth; p++)
      for (int i = 0; i < MR; i++) *dst++ = rows[t * MR + i][p];
}

/* Not inlined: inside conv_rows the compiler kept acc on the stack and ran 2-3x slower. */
__attribute__((noinline)) static void row_kernel_packed(int k, const float *a, const float *b, const float *start,
                                                        int relu, float *c, ptrdiff_t ldc) {
  float acc[MR][NR], s[NR];
  for (int j = 0; j < NR; j++) s[j] = start ? start[j] : 0.0f;
  for (int i = 0; i < MR; i++)
    for (int j = 0; j < NR; j++) acc[i][j] = s[j];
  for (int p = 0; p < k; p++) {
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];
    a += MR;
    b += NR;
  }
  /* Branch-free, so that the compiler vectorises the store. */
  if (relu)
    for (int i = 0; i < MR; i++)
      for (int j = 0; j < NR; j++) acc[i][j] = acc[i][j] > 0.0f ? acc[i][j] : 0.0f;
  for (int i = 0; i < MR; i++) {
    float *row = c + i * ldc;
    for (int j = 0; j < NR; j++) row[j] = acc[i][j];
  }
}
#endif

/* Floats of B packed for row_kernel: taps * depth rows in NR-wide panels of full depth. */
static size_t packed_taps_size(int taps, int depth, int n) { return (size_t)taps * depth * panels(n) * NR; }

/*
 * Packs B_j[p, col] = b[j * tap_stride + p * rsb + col * csb] (j < taps, p < depth, col < n) for
 * row_kernel: panel jp holds columns jp*NR.. of every tap's rows in turn; missing columns are zero.
 */
static void pack_b_taps(int taps, int depth, int n, const float *b, ptrdiff_t tap_stride, ptrdiff_t rsb,
                        ptrdiff_t csb, float *dst) {
  for (int jp = 0; jp < panels(n); jp++) {
    int j0 = jp * NR, nr = n - j0 < NR ? n - j0 : NR;
    for (int t = 0; t < taps; t++)
      for (int p = 0; p < depth; p++) {
        const float *row = b + t * tap_stride + p * rsb + j0 * csb;
        int j = 0;
        for (; j < nr; j++) dst[j] = row[j * csb];
        for (; j < NR; j++) dst[j] = 0.0f;
        dst += NR;
      }
  }
}

/* A partial tile: full-size product into a scratch tile, then only the valid part goes to C. */
static void edge_kernel(int kc, int mr, int nr, const float *a, const float *b, float *c,
                        ptrdiff_t ldc, int accumulate) {
  float tile[MR * NR];
  micro_kernel(kc, a, b, tile, NR, 0);
  for (int i = 0; i < mr; i++) {
    float *row = c + i * ldc;
    for (int j = 0; j < nr; j++) row[j] = accumulate ? row[j] + tile[i * NR + j] : tile[i * NR + j];
  }
}

static _Thread_local float *packed_a;
/* gemm()'s packed B, grown as needed and kept between calls (many small products a call). */
static _Thread_local float *packed_b_scratch;
static _Thread_local size_t packed_b_capacity;

/* The thread's packed-B scratch, at least `need` floats; NULL when out of memory. */
static float *packed_b_reserve(size_t need) {
  if (need > packed_b_capacity) {
    free(packed_b_scratch);
    packed_b_capacity = 0;
    if (!(packed_b_scratch = aligned_floats(need))) return NULL;
    packed_b_capacity = need;
  }
  return packed_b_scratch;
}

/* The thread's A-packing buffer (MC x KC floats); NULL when out of memory. */
static float *packed_a_reserve(void) {
  if (!packed_a) packed_a = aligned_floats((size_t)MC * KC);
  return packed_a;
}

static int gemm_packed(int m, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const PackedB *pb,
                float *c, ptrdiff_t ldc, int accumulate) {
  int k = pb->k, n = pb->n;
  if (m <= 0 || n <= 0) return 0;
  if (k <= 0) {
    if (!accumulate)
      for (int i = 0; i < m; i++) memset(c + i * ldc, 0, (size_t)n * sizeof(float));
    return 0;
  }
  if (!packed_a_reserve()) return -1;
  int npad = panels(n) * NR;
  for (int k0 = 0; k0 < k; k0 += KC) {
    int kc = k - k0 < KC ? k - k0 : KC;
    int acc = accumulate || k0 > 0;
    const float *bblock = pb->data + (size_t)k0 * npad;
    for (int i0 = 0; i0 < m; i0 += MC) {
      int mc = m - i0 < MC ? m - i0 : MC;
      pack_a(mc, kc, a + i0 * rsa + k0 * csa, rsa, csa, packed_a);
      for (int jp = 0; jp < panels(n); jp++) {
        int nr = n - jp * NR < NR ? n - jp * NR : NR;
        const float *bp = bblock + (size_t)jp * kc * NR;
        for (int ip = 0; ip * MR < mc; ip++) {
          int mr = mc - ip * MR < MR ? mc - ip * MR : MR;
          const float *ap = packed_a + (size_t)ip * MR * kc;
          float *ct = c + (i0 + ip * MR) * ldc + jp * NR;
          if (mr == MR && nr == NR) micro_kernel(kc, ap, bp, ct, ldc, acc);
          else edge_kernel(kc, mr, nr, ap, bp, ct, ldc, acc);
        }
      }
    }
  }
  return 0;
}


static int gemm(int m, int n, int k, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
         const float *b, ptrdiff_t rsb, ptrdiff_t csb, float *c, ptrdiff_t ldc, int accumulate) {
  if (!packed_b_reserve(packed_b_size(k, n))) return -1;
  PackedB pb = {k, n, packed_b_scratch};
  packed_b_fill(&pb, k, n, b, rsb, csb);
  return gemm_packed(m, a, rsa, csa, &pb, c, ldc, accumulate);
}

static void gemm_release(void) {
  free(packed_a);
  packed_a = NULL;
  free(packed_b_scratch);
  packed_b_scratch = NULL;
  packed_b_capacity = 0;
}

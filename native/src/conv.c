/*
 * Convolution along time without im2col. Forward, each MR-row tile of y is one row_kernel call
 * that reads its taps' shifted rows of x in place (a pointer per row and tap, a zero row outside
 * the sequence), with the bias as the accumulators' start and relu at the store. Backward walks
 * the rows once, a block at a time: the block's dz (dy masked by relu, whose mask comes from the
 * forward output: y > 0 exactly where the pre-activation was) is built in a cache-sized buffer
 * and used there for dBias (column sums), dKernel += columns^T dz (a packed GEMM whose operands
 * come straight from dz and the shifted rows of x, never a columns matrix) and dx, which is the
 * forward kernel run on dz with the offsets negated and each tap's kernel transposed (no scatter).
 * One filter (a Dense layer to one output) takes dot products and axpys instead of tiles.
 */
#include "gemm.h"
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

/* Rows a backward block: at most KC (one k-block of the dKernel GEMM), a multiple of every MR. */
enum { CONV_BLOCK = 252 };
/* Row tiles conv_rows sets up at once (8 x 6 rows of 3 x 64 channels: about 13 KB of input). */
enum { ROW_TILES = 8 };

/* Row r (at step t of its sequence) of x shifted by `offset`, or the zero row outside the sequence. */
static inline const float *shifted_row(const float *x, size_t r, int t, int time, int width, int offset,
                                       const float *zeros) {
  long s = (long)t + offset;
  return s >= 0 && s < time ? x + (size_t)((long)r + offset) * width : zeros;
}

/* The step of row r0 + i given t0, the step of row r0 (no division per row). */
static inline int step_after(int t0, int i, int time) {
  int t = t0 + i;
  while (t >= time) t -= time;
  return t;
}

/* The rows and their inputs of one conv_rows call. */
typedef struct {
  int time, depth, n, taps;
  const int *offsets;
  int sign;          /* row r reads in row r + sign * offsets[j] */
  const float *in;   /* holds rows in_first.. of the input, depth floats each */
  size_t in_first;
  const float *w;    /* packed by pack_b_taps */
  const float *start; /* panels(n) * NR floats every output row starts from, or NULL */
  int relu;
  const float **rows; /* ROW_TILES * taps * MR pointers of scratch */
  float *packed;      /* generic build: ROW_TILES * taps * depth * MR floats of scratch; else NULL */
  const float *zeros; /* depth zero floats */
  int accumulate;     /* out += the rows instead of out = */
} RowConv;

/*
 * out[i] = act(start + sum_j in[r + sign * offsets[j]] w_j), r = r0 + i, for i < count (t0: the
 * step of row r0); with accumulate, out[i] += that sum (no start, no act).
 */
static void conv_rows(const RowConv *k, size_t r0, size_t count, int t0, float *out) {
  size_t panel = (size_t)k->taps * k->depth * NR;
  int n = k->n;
  float tile[MR * NR];
  /* A tile whose steps t all have t + lo >= 0 and t + hi < time reads every tap's shifted row. */
  long lo = 0, hi = 0;
  for (int j = 0; j < k->taps; j++) {
    long offset = (long)k->sign * k->offsets[j];
    if (offset < lo) lo = offset;
    if (offset > hi) hi = offset;
  }
  /* ROW_TILES tiles of rows at a time, panel by panel: one panel of w (taps * depth * NR floats)
     stays in L1 across the tiles instead of all of w streaming through it for every tile. */
  for (size_t done = 0; done < count; done += (size_t)MR * ROW_TILES) {
    int tiles = 0;
    for (; tiles < ROW_TILES && done + (size_t)tiles * MR < count; tiles++, t0 = step_after(t0, MR, k->time)) {
      size_t r = r0 + done + (size_t)tiles * MR;
      size_t left = count - (done + (size_t)tiles * MR);
      int mr = left < MR ? (int)left : MR;
      const float **rows = k->rows + (size_t)tiles * k->taps * MR;
      if (t0 + lo >= 0 && t0 + (mr - 1) + hi < k->time) {
        /* The common case (a dense layer's every tile): no step or bounds per row and tap. */
        for (int j = 0; j < k->taps; j++) {
          const float *first = k->in + (size_t)((long)r + (long)k->sign * k->offsets[j] - (long)k->in_first) * k->depth;
          for (int i = 0; i < MR; i++) rows[j * MR + i] = i < mr ? first + (size_t)i * k->depth : k->zeros;
        }
      } else {
        for (int i = 0; i < MR; i++) {
          int t = step_after(t0, i, k->time);
          for (int j = 0; j < k->taps; j++) {
            long offset = (long)k->sign * k->offsets[j], s = t + offset;
            rows[j * MR + i] = i < mr && s >= 0 && s < k->time
                                   ? k->in + (size_t)((long)(r + i) + offset - (long)k->in_first) * k->depth
                                   : k->zeros;
          }
        }
      }
#ifndef GEMM_AVX2
      pack_row_tile(k->taps, k->depth, rows, k->packed + (size_t)tiles * k->taps * k->depth * MR);
#endif
    }
    for (int jp = 0; jp < panels(n); jp++) {
      int nr = n - jp * NR < NR ? n - jp * NR : NR;
      const float *s = k->start ? k->start + jp * NR : NULL;
      for (int q = 0; q < tiles; q++) {
        size_t at = done + (size_t)q * MR;
        int mr = count - at < MR ? (int)(count - at) : MR;
        float *dst = out + at * n + jp * NR;
        int whole = mr == MR && nr == NR && !k->accumulate;
#ifdef GEMM_AVX2
        const float *const *rows = k->rows + (size_t)q * k->taps * MR;
        row_kernel(k->taps, k->depth, rows, k->w + jp * panel, s, k->relu, whole ? dst : tile, whole ? n : NR);
#else
        const float *a = k->packed + (size_t)q * k->taps * k->depth * MR;
        row_kernel_packed(k->taps * k->depth, a, k->w + jp * panel, s, k->relu, whole ? dst : tile, whole ? n : NR);
#endif
        if (k->accumulate)
          for (int i = 0; i < mr; i++)
            for (int j = 0; j < nr; j++) dst[(size_t)i * n + j] += tile[i * NR + j];
        else if (!whole)
          for (int i = 0; i < mr; i++) memcpy(dst + (size_t)i * n, tile + i * NR, (size_t)nr * sizeof(float));
      }
    }
  }
}

/*
 * NR-wide panels of B = the columns over kc rows (column i is channel i % C of tap i / C);
 * src[j * CONV_BLOCK + p]: row p's x row shifted by tap j (or zeros). Each panel is copied a
 * contiguous run of channels at a time; missing columns are zero.
 */
static void pack_columns(int kc, int channels, int width, const float *const *src, float *dst) {
  for (int j0 = 0; j0 < width; j0 += NR) {
    int nr = width - j0 < NR ? width - j0 : NR;
    for (int q = 0; q < nr;) {
      int i = j0 + q, j = i / channels, c = i % channels;
      int len = channels - c < nr - q ? channels - c : nr - q;
      const float *const *s = src + (size_t)j * CONV_BLOCK;
      if (len == NR) /* a whole panel from one tap: a fixed-size copy the compiler inlines */
        for (int p = 0; p < kc; p++) memcpy(dst + p * NR, s[p] + c, NR * sizeof(float));
      else
        for (int p = 0; p < kc; p++) {
          float *restrict to = dst + p * NR + q;
          const float *restrict from = s[p] + c;
          for (int e = 0; e < len; e++) to[e] = from[e];
        }
      q += len;
    }
    if (nr < NR)
      for (int p = 0; p < kc; p++) memset(dst + p * NR + nr, 0, (size_t)(NR - nr) * sizeof(float));
    dst += (size_t)NR * kc;
  }
}

/*
 * MR-high panels of A = the columns transposed over kc rows, A rows i0 .. i0+mc-1 (row i is
 * channel i % C of tap i / C); src as for pack_columns. Missing rows are zero.
 */
static void pack_columns_t(int mc, int kc, int i0, int channels, int width, const float *const *src, float *dst) {
  for (int ip = 0; ip < mc; ip += MR) {
    int mr = mc - ip < MR ? mc - ip : MR;
    int i = i0 + ip, j = i / channels, c = i % channels;
    if (mr == MR && c + MR <= channels) {
      const float *const *s = src + (size_t)j * CONV_BLOCK;
      for (int p = 0; p < kc; p++) memcpy(dst + p * MR, s[p] + c, MR * sizeof(float));
    } else {
      for (int q = 0; q < MR; q++) {
        int iq = i + q, jq = iq / channels, cq = iq % channels;
        for (int p = 0; p < kc; p++) dst[p * MR + q] = q < mr && iq < width ? src[(size_t)jq * CONV_BLOCK + p][cq] : 0.0f;
      }
    }
    dst += (size_t)MR * kc;
  }
}

/*
 * dz rows (dy masked by relu where y is given, into z) and their column sums added to dbias (where
 * given), row by row in order as before. Inlined into one copy per common filter count (the
 * dispatcher after it): with F a constant the row's 8-float groups stay in registers, where the
 * run-time width kept dbias in memory and masked every row's tail (about a fifth of the backward
 * pass at 16 -> 32, relu).
 */
typedef float float8 __attribute__((vector_size(32)));
typedef int int8v __attribute__((vector_size(32)));

#define CONV_INLINE static inline __attribute__((always_inline))

CONV_INLINE void dz_rows_body(int F, size_t rows, const float *dy, const float *y, float *z, float *dbias) {
  /* Vectors go through memcpy (unaligned loads and stores), never by value through a call. */
  float8 s[8];
  if (dbias)
    for (int v = 0; v < F / 8; v++) memcpy(&s[v], dbias + v * 8, sizeof s[v]);
  for (size_t r = 0; r < rows; r++)
    for (int v = 0; v < F / 8; v++) {
      float8 g, yv;
      memcpy(&g, dy + r * F + v * 8, sizeof g);
      if (y) {
        memcpy(&yv, y + r * F + v * 8, sizeof yv);
        g = (float8)((int8v)g & (yv > 0.0f));
        memcpy(z + r * F + v * 8, &g, sizeof g);
      }
      if (dbias) s[v] += g;
    }
  if (dbias)
    for (int v = 0; v < F / 8; v++) memcpy(dbias + v * 8, &s[v], sizeof s[v]);
}

CONV_INLINE void dz_rows_mode(int F, size_t rows, const float *dy, const float *y, float *z, float *dbias) {
  switch (F) {
  case 16: dz_rows_body(16, rows, dy, y, z, dbias); return;
  case 32: dz_rows_body(32, rows, dy, y, z, dbias); return;
  case 48: dz_rows_body(48, rows, dy, y, z, dbias); return;
  case 64: dz_rows_body(64, rows, dy, y, z, dbias); return;
  }
  for (size_t r = 0; r < rows; r++)
    for (int f = 0; f < F; f++) {
      float g = dy[r * F + f];
      if (y) {
        g = y[r * F + f] > 0.0f ? g : 0.0f;
        z[r * F + f] = g;
      }
      if (dbias) dbias[f] += g;
    }
}

/* The three uses, each its own copy: masking only, masking and summing, summing only. */
static void dz_mask(int F, size_t rows, const float *dy, const float *y, float *z) {
  dz_rows_mode(F, rows, dy, y, z, NULL);
}
static void dz_mask_sum(int F, size_t rows, const float *dy, const float *y, float *z, float *dbias) {
  dz_rows_mode(F, rows, dy, y, z, dbias);
}
static void dz_sum(int F, size_t rows, const float *dy, float *dbias) { dz_rows_mode(F, rows, dy, NULL, NULL, dbias); }

/* Rounds n up to a multiple of `to`. */
static size_t round_up(int n, int to) { return (size_t)(n + to - 1) / to * to; }

/*
 * One filter (the Dense layer to one output that ends most models): a dot product or an axpy a
 * row and tap instead of 16-column tiles with 15 columns of padding. dot8's 8 partial sums are
 * what the compiler vectorises; they are added in a fixed order.
 */
static float dot8(const float *a, const float *b, int n) {
  float s[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}, tail = 0.0f;
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) s[k] += a[i + k] * b[i + k];
  for (; i < n; i++) tail += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail;
}

static void axpy(int n, float alpha, const float *restrict x, float *restrict y) {
  for (int i = 0; i < n; i++) y[i] += alpha * x[i];
}

static void conv_forward_one(const ConvDims *d, const float *x, const float *kernel, const float *bias, float *y) {
  int C = d->channels, T = d->time;
  size_t total = (size_t)d->batch * T;
  for (size_t r = 0; r < total; r++) {
    int t = (int)(r % (size_t)T);
    float v = bias[0];
    for (int j = 0; j < d->taps; j++) {
      long s = (long)t + d->offsets[j];
      if (s >= 0 && s < T) v += dot8(x + (size_t)((long)r + d->offsets[j]) * C, kernel + (size_t)j * C, C);
    }
    y[r] = d->relu && !(v > 0.0f) ? 0.0f : v;
  }
}

/* Not inlined: inside conv_backward, its one caller, GCC compiled its loops about 15% slower (C harness). */
__attribute__((noinline)) static void conv_backward_one(const ConvDims *d, const float *x, const float *kernel,
                                                        const float *y, const float *dy, float *dx, int accumulate_dx,
                                                        float *dkernel, float *dbias) {
  int C = d->channels, T = d->time;
  size_t total = (size_t)d->batch * T;
  memset(dkernel, 0, (size_t)d->taps * C * sizeof(float));
  dbias[0] = 0.0f;
  for (size_t r = 0; r < total; r++) {
    int t = (int)(r % (size_t)T);
    float dz = d->relu && !(y[r] > 0.0f) ? 0.0f : dy[r];
    dbias[0] += dz;
    /* dx[r] = sum_j dz[r - offsets[j]] kernel_j; dKernel_j += x[r + offsets[j]] dz[r]. */
    float *dxr = dx + r * C;
    if (!accumulate_dx) memset(dxr, 0, (size_t)C * sizeof(float));
    for (int j = 0; j < d->taps; j++) {
      long o = d->offsets[j], back = (long)t - o, ahead = (long)t + o;
      if (back >= 0 && back < T) {
        size_t q = (size_t)((long)r - o);
        float g = d->relu && !(y[q] > 0.0f) ? 0.0f : dy[q];
        axpy(C, g, kernel + (size_t)j * C, dxr);
      }
      if (ahead >= 0 && ahead < T) axpy(C, dz, x + (size_t)((long)r + o) * C, dkernel + (size_t)j * C);
    }
  }
}

static int conv_forward(const ConvDims *d, const float *x, const float *kernel, const float *bias, float *y) {
  int C = d->channels, F = d->filters;
  if (F == 1) {
    conv_forward_one(d, x, kernel, bias, y);
    return 0;
  }
  float *w = aligned_floats(packed_taps_size(d->taps, C, F));
  float *start = aligned_floats((size_t)panels(F) * NR);
  float *zeros = calloc((size_t)C, sizeof(float));
  const float **rows = malloc((size_t)ROW_TILES * d->taps * MR * sizeof(*rows));
  float *packed = ROW_KERNEL_PACKS_A ? aligned_floats((size_t)ROW_TILES * d->taps * C * MR) : NULL;
  int status = -1;
  if (!w || !start || !zeros || !rows || (ROW_KERNEL_PACKS_A && !packed)) goto done;
  pack_b_taps(d->taps, C, F, kernel, (ptrdiff_t)C * F, F, 1, w);
  memset(start, 0, (size_t)panels(F) * NR * sizeof(float));
  memcpy(start, bias, (size_t)F * sizeof(float));
  RowConv k = {d->time, C, F, d->taps, d->offsets, 1, x, 0, w, start, d->relu, rows, packed, zeros, 0};
  conv_rows(&k, 0, (size_t)d->batch * d->time, 0, y);
  status = 0;
done:
  free(w);
  free(start);
  free(zeros);
  free(rows);
  free(packed);
  return status;
}

static int conv_backward(const ConvDims *d, const float *x, const float *kernel, const float *y, const float *dy,
                         float *dx, int accumulate_dx, float *dkernel, float *dbias) {
  int C = d->channels, F = d->filters, T = d->time, taps = d->taps, width = taps * C;
  if (F == 1) {
    conv_backward_one(d, x, kernel, y, dy, dx, accumulate_dx, dkernel, dbias);
    return 0;
  }
  size_t total = (size_t)d->batch * T;
  int lo = d->offsets[0], hi = d->offsets[0];
  for (int j = 1; j < taps; j++) {
    if (d->offsets[j] < lo) lo = d->offsets[j];
    if (d->offsets[j] > hi) hi = d->offsets[j];
  }
  /*
   * dx rows k0 .. k0+kc-1 read dz rows k0-hi .. k0+kc-1-lo, dKernel and dBias rows k0 .. k0+kc-1:
   * the block's dz buffer holds rows k0-before .. k0+kc-1+after.
   */
  size_t before = hi > 0 ? (size_t)hi : 0, after = lo < 0 ? (size_t)-(long)lo : 0;
  /* A row further than time - 1 away is never in the same sequence: never read. */
  if (before > (size_t)T - 1) before = (size_t)T - 1;
  if (after > (size_t)T - 1) after = (size_t)T - 1;
  float *wt = aligned_floats(packed_taps_size(taps, F, C));
  float *zeros = calloc((size_t)(C > F ? C : F), sizeof(float));
  const float **rows = malloc((size_t)ROW_TILES * taps * MR * sizeof(*rows));
  float *packed = ROW_KERNEL_PACKS_A ? aligned_floats((size_t)ROW_TILES * taps * F * MR) : NULL;
  const float **src = malloc((size_t)taps * CONV_BLOCK * sizeof(*src));
  /*
   * dKernel = columns^T dz as is (M = taps * C, N = F) or transposed (M = F, N = taps * C, then
   * transposed into place). The transposed form packs faster (x copied in 16-float runs, not
   * 6-float ones; about 2% of the backward pass at 64 -> 64, k3) and is kept unless it pads more
   * than a tenth more products to whole MR x NR tiles (F = 64, taps * C = 36: 3168 against 2304).
   * With C a multiple of NR it packs nothing and is always taken (16 -> 16, k3: 21% faster).
   */
  size_t padded_t = round_up(F, MR) * round_up(width, NR), padded = round_up(width, MR) * round_up(F, NR);
  int transposed = C % NR == 0 || padded_t * 10 <= padded * 11;
  float *dkt = transposed ? aligned_floats((size_t)F * width) : NULL;
  float *zb = d->relu ? aligned_floats((CONV_BLOCK + before + after) * F) : NULL;
  float *pa = packed_a_reserve(), *pb = packed_b_reserve(packed_b_size(CONV_BLOCK, transposed ? width : F));
  int status = -1;
  if (!wt || !zeros || !rows || (ROW_KERNEL_PACKS_A && !packed) || !src || (transposed && !dkt) || (d->relu && !zb) ||
      !pa || !pb)
    goto done;
  /* dx[r] = sum_j dz[r - offsets[j]] kernel_j^T: tap j's B is kernel[j] read transposed. */
  pack_b_taps(taps, F, C, kernel, (ptrdiff_t)C * F, 1, F, wt);
  RowConv back = {T, F, C, taps, d->offsets, -1, dy, 0, wt, NULL, 0, rows, packed, zeros, accumulate_dx};
  memset(dbias, 0, (size_t)F * sizeof(float));
  int t0 = 0;
  for (size_t k0 = 0; k0 < total; k0 += CONV_BLOCK, t0 = step_after(t0, CONV_BLOCK, T)) {
    int kc = total - k0 < CONV_BLOCK ? (int)(total - k0) : CONV_BLOCK;
    const float *dz = dy + k0 * F; /* the block's own dz rows */
    if (d->relu) {
      size_t first = k0 > before ? k0 - before : 0;
      size_t last = total - (k0 + kc) > after ? k0 + kc + after : total;
      dz_mask(F, k0 - first, dy + first * F, y + first * F, zb);
      dz_mask_sum(F, (size_t)kc, dy + k0 * F, y + k0 * F, zb + (k0 - first) * F, dbias);
      dz_mask(F, last - (k0 + kc), dy + (k0 + kc) * F, y + (k0 + kc) * F, zb + (k0 + kc - first) * F);
      back.in = zb;
      back.in_first = first;
      dz = zb + (k0 - first) * F;
    } else {
      dz_sum(F, (size_t)kc, dz, dbias);
    }

    /* dKernel += columns^T dz over the block's rows (or dKernel^T += dz^T columns). */
    int m = transposed ? F : width, n = transposed ? width : F, acc = k0 > 0;
    float *c = transposed ? dkt : dkernel;
    /*
     * Operands read in place instead of packed. Transposed with C a multiple of NR: every B panel
     * is one tap's NR-channel run of x rows, and A = dz^T is dz read F floats a step. A dense
     * layer's (one tap at offset 0) A = x^T is x read C floats a step, and with F a multiple of
     * NR its B panels are runs of dz rows (src then points at dz's rows). A last partial A panel
     * takes a kernel for its own rows.
     */
    int in_place = transposed ? C % NR == 0 : taps == 1 && d->offsets[0] == 0 && F % NR == 0;
    const float *a_base = transposed ? dz : x + k0 * C;
    ptrdiff_t a_step = transposed ? F : C;
    if (in_place && !transposed)
      for (int p = 0; p < kc; p++) src[p] = dz + (size_t)p * F;
    else
      for (int p = 0, t = t0; p < kc; p++, t = t + 1 == T ? 0 : t + 1)
        for (int j = 0; j < taps; j++)
          src[(size_t)j * CONV_BLOCK + p] = shifted_row(x, k0 + p, t, T, C, d->offsets[j], zeros);
    if (in_place) {
    } else if (transposed) {
      pack_columns(kc, C, width, src, pb);
    } else {
      PackedB bz = {kc, F, pb};
      packed_b_fill(&bz, kc, F, dz, F, 1);
    }
    for (int i0 = 0; i0 < m; i0 += MC) {
      int mc = m - i0 < MC ? m - i0 : MC;
      if (in_place) {
      } else if (transposed) {
        pack_a(mc, kc, dz + i0, 1, F, pa);
      } else {
        pack_columns_t(mc, kc, i0, C, width, src, pa);
      }
      for (int jp = 0; jp < panels(n); jp++) {
        int nr = n - jp * NR < NR ? n - jp * NR : NR;
        const float *bp = pb + (size_t)jp * kc * NR;
        const float *const *brows = transposed ? src + (size_t)(jp * NR / C) * CONV_BLOCK : src;
        int boff = transposed ? jp * NR % C : jp * NR;
        for (int ip = 0; ip * MR < mc; ip++) {
          int mr = mc - ip * MR < MR ? mc - ip * MR : MR;
          float *ct = c + (size_t)(i0 + ip * MR) * n + jp * NR;
          if (in_place && mr == MR) {
            micro_kernel_brows(kc, a_base + i0 + ip * MR, a_step, brows, boff, ct, n, acc);
          } else if (in_place) {
            micro_kernel_brows_rows(mr, kc, a_base + i0 + ip * MR, a_step, brows, boff, ct, n, acc);
          } else if (mr == MR && nr == NR) {
            micro_kernel(kc, pa + (size_t)ip * MR * kc, bp, ct, n, acc);
          } else {
            edge_kernel(kc, mr, nr, pa + (size_t)ip * MR * kc, bp, ct, n, acc);
          }
        }
      }
    }

    conv_rows(&back, k0, (size_t)kc, t0, dx + k0 * C);
  }
  if (transposed)
    for (int i = 0; i < width; i++)
      for (int f = 0; f < F; f++) dkernel[(size_t)i * F + f] = dkt[(size_t)f * width + i];
  status = 0;
done:
  free(wt);
  free(zeros);
  free(rows);
  free(packed);
  free(src);
  free(dkt);
  free(zb);
  return status;
}

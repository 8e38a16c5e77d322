/*
 * Convolution along time without im2col. Forward, each MR-row tile of y is one row_kernel call
 * that reads its taps' shifted rows of x in place (a pointer per row and tap, a zero row outside
 * the sequence), with the bias as the accumulators' start and relu at the store. dx is the same
 * kernel run on dz with the offsets negated and each tap's kernel transposed, so it needs no
 * columns and no scatter. dKernel = columns^T dz is a packed GEMM over all rows whose A panels
 * are packed straight from the shifted rows of x; dBias = column sums of dz. relu's mask comes
 * from the forward output (y > 0 exactly where the pre-activation was).
 */
#include "gemm.h"
#include "kernels.h"

#include <stdlib.h>
#include <string.h>

/* dz (dy masked by relu) for the whole call, kept between calls; freed by conv_release. */
static _Thread_local float *conv_dz;
static _Thread_local size_t conv_dz_capacity;

static void conv_release(void) {
  free(conv_dz);
  conv_dz = NULL;
  conv_dz_capacity = 0;
}

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

/*
 * out[r] = act(start + sum_j in[r + sign * offsets[j]] w_j) for r < batch * time, where in has
 * `depth` floats a row, out `n`, w is packed by pack_b_taps and start is panels(n) * NR floats
 * (or NULL). rows: taps * MR pointers of scratch; zeros: depth zero floats.
 */
static void conv_rows(int batch, int time, int depth, int n, int taps, const int *offsets, int sign,
                      const float *in, const float *w, const float *start, int relu, float *out,
                      const float **rows, const float *zeros) {
  size_t total = (size_t)batch * time;
  size_t panel = (size_t)taps * depth * NR;
  float tile[MR * NR];
  int t0 = 0;
  for (size_t r0 = 0; r0 < total; r0 += MR, t0 = step_after(t0, MR, time)) {
    int mr = total - r0 < MR ? (int)(total - r0) : MR;
    for (int i = 0; i < MR; i++) {
      int t = step_after(t0, i, time);
      for (int j = 0; j < taps; j++)
        rows[j * MR + i] = i < mr ? shifted_row(in, r0 + i, t, time, depth, sign * offsets[j], zeros) : zeros;
    }
    for (int jp = 0; jp < panels(n); jp++) {
      int nr = n - jp * NR < NR ? n - jp * NR : NR;
      const float *s = start ? start + jp * NR : NULL;
      float *dst = out + r0 * n + jp * NR;
      if (mr == MR && nr == NR) {
        row_kernel(taps, depth, rows, w + jp * panel, s, relu, dst, n);
      } else {
        row_kernel(taps, depth, rows, w + jp * panel, s, relu, tile, NR);
        for (int i = 0; i < mr; i++) memcpy(dst + (size_t)i * n, tile + i * NR, (size_t)nr * sizeof(float));
      }
    }
  }
}

/*
 * NR-wide panels of B = the columns over rows k0 .. k0+kc-1 (column i is channel i % C of tap
 * i / C); src[j * KC + p]: row k0+p of x shifted by tap j (or zeros). Each panel is copied a
 * contiguous run of channels at a time; missing columns are zero.
 */
static void pack_columns(int kc, int channels, int width, const float *const *src, float *dst) {
  for (int j0 = 0; j0 < width; j0 += NR) {
    int nr = width - j0 < NR ? width - j0 : NR;
    for (int q = 0; q < nr;) {
      int i = j0 + q, j = i / channels, c = i % channels;
      int len = channels - c < nr - q ? channels - c : nr - q;
      const float *const *s = src + (size_t)j * KC;
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
 * dkernel [taps * C, F] = sum over rows r of columns(r)^T dz(r), computed transposed as
 * dz^T columns (A = dz^T: MR contiguous floats a row to pack; B = the columns: NR-float runs of
 * x rows), KC rows at a time into dkt [F, taps * C], then transposed into place.
 */
static int conv_dkernel(const ConvDims *d, const float *x, const float *dz, const float *zeros, float *dkernel) {
  int C = d->channels, F = d->filters, width = d->taps * C;
  size_t total = (size_t)d->batch * d->time;
  const float **src = malloc((size_t)d->taps * KC * sizeof(*src));
  float *dkt = aligned_floats((size_t)F * width);
  float *pa = packed_a_reserve(), *pb = packed_b_reserve(packed_b_size(KC, width));
  int status = -1;
  if (!src || !dkt || !pa || !pb) goto done;
  int t0 = 0;
  for (size_t k0 = 0; k0 < total; k0 += KC, t0 = step_after(t0, KC, d->time)) {
    int kc = total - k0 < KC ? (int)(total - k0) : KC;
    for (int p = 0, t = t0; p < kc; p++, t = t + 1 == d->time ? 0 : t + 1)
      for (int j = 0; j < d->taps; j++) src[(size_t)j * KC + p] = shifted_row(x, k0 + p, t, d->time, C, d->offsets[j], zeros);
    pack_columns(kc, C, width, src, pb);
    int acc = k0 > 0;
    for (int i0 = 0; i0 < F; i0 += MC) {
      int mc = F - i0 < MC ? F - i0 : MC;
      pack_a(mc, kc, dz + k0 * F + i0, 1, F, pa);
      for (int jp = 0; jp < panels(width); jp++) {
        int nr = width - jp * NR < NR ? width - jp * NR : NR;
        const float *bp = pb + (size_t)jp * kc * NR;
        for (int ip = 0; ip * MR < mc; ip++) {
          int mr = mc - ip * MR < MR ? mc - ip * MR : MR;
          float *ct = dkt + (size_t)(i0 + ip * MR) * width + jp * NR;
          if (mr == MR && nr == NR) micro_kernel(kc, pa + (size_t)ip * MR * kc, bp, ct, width, acc);
          else edge_kernel(kc, mr, nr, pa + (size_t)ip * MR * kc, bp, ct, width, acc);
        }
      }
    }
  }
  for (int i = 0; i < width; i++)
    for (int f = 0; f < F; f++) dkernel[(size_t)i * F + f] = dkt[(size_t)f * width + i];
  status = 0;
done:
  free(src);
  free(dkt);
  return status;
}

static int conv_forward(const ConvDims *d, const float *x, const float *kernel, const float *bias, float *y) {
  int C = d->channels, F = d->filters;
  float *w = aligned_floats(packed_taps_size(d->taps, C, F));
  float *start = aligned_floats((size_t)panels(F) * NR);
  float *zeros = calloc((size_t)C, sizeof(float));
  const float **rows = malloc((size_t)d->taps * MR * sizeof(*rows));
  int status = -1;
  if (!w || !start || !zeros || !rows) goto done;
  pack_b_taps(d->taps, C, F, kernel, (ptrdiff_t)C * F, F, 1, w);
  memset(start, 0, (size_t)panels(F) * NR * sizeof(float));
  memcpy(start, bias, (size_t)F * sizeof(float));
  conv_rows(d->batch, d->time, C, F, d->taps, d->offsets, 1, x, w, start, d->relu, y, rows, zeros);
  status = 0;
done:
  free(w);
  free(start);
  free(zeros);
  free(rows);
  return status;
}

static int conv_backward(const ConvDims *d, const float *x, const float *kernel, const float *y, const float *dy,
                         float *dx, float *dkernel, float *dbias) {
  int C = d->channels, F = d->filters;
  size_t total = (size_t)d->batch * d->time;
  int depth_max = C > F ? C : F;
  float *wt = aligned_floats(packed_taps_size(d->taps, F, C));
  float *zeros = calloc((size_t)depth_max, sizeof(float));
  const float **rows = malloc((size_t)d->taps * MR * sizeof(*rows));
  int status = -1;
  if (!wt || !zeros || !rows) goto done;
  const float *dz = dy;
  if (d->relu) {
    size_t need = total * F;
    if (need > conv_dz_capacity) {
      free(conv_dz);
      conv_dz_capacity = 0;
      if (!(conv_dz = aligned_floats(need))) goto done;
      conv_dz_capacity = need;
    }
  }
  /* dz and its column sums (dBias) in one pass, rows in order. */
  memset(dbias, 0, (size_t)F * sizeof(float));
  for (size_t r = 0; r < total; r++) {
    const float *g = dy + r * F;
    if (d->relu) {
      const float *yr = y + r * F;
      float *z = conv_dz + r * F;
      for (int f = 0; f < F; f++) z[f] = yr[f] > 0.0f ? g[f] : 0.0f;
      g = z;
    }
    for (int f = 0; f < F; f++) dbias[f] += g[f];
  }
  if (d->relu) dz = conv_dz;
  if (conv_dkernel(d, x, dz, zeros, dkernel)) goto done;
  /* dx[r] = sum_j dz[r - offsets[j]] kernel_j^T: tap j's B is kernel[j] read transposed. */
  pack_b_taps(d->taps, F, C, kernel, (ptrdiff_t)C * F, 1, F, wt);
  conv_rows(d->batch, d->time, F, C, d->taps, d->offsets, -1, dz, wt, NULL, 0, dx, rows, zeros);
  status = 0;
done:
  free(wt);
  free(zeros);
  free(rows);
  return status;
}

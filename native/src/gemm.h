/*
 * Single-precision GEMM, C[m,n] (+)= op(A)[m,k] * op(B)[k,n], row-major C.
 * Operands are strided views (row stride rs, column stride cs), so a transposed operand is just
 * swapped strides; packing copies them into the contiguous panels the micro-kernel streams.
 */
#ifndef TIDAL_GEMM_H
#define TIDAL_GEMM_H

#include <stddef.h>

/* B packed once and reused across many calls (the recurrent kernel across time steps). */
typedef struct {
  int k, n;
  float *data;
} PackedB;

/* Internal to the kernels translation unit (kernels.c): every function has internal linkage. */

/* Returns 0 on success, -1 when out of memory. */
static int packed_b_init(PackedB *pb, int k, int n, const float *b, ptrdiff_t rsb, ptrdiff_t csb);
/* Floats a packed k x n B needs; packed_b_fill packs into pb->data, which must hold that many. */
static size_t packed_b_size(int k, int n);
static void packed_b_fill(PackedB *pb, int k, int n, const float *b, ptrdiff_t rsb, ptrdiff_t csb);
static void packed_b_free(PackedB *pb);

/* C = A*B (accumulate = 0) or C += A*B (accumulate = 1). Returns 0 or -1 (out of memory). */
static int gemm_packed(int m, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const PackedB *pb,
                float *c, ptrdiff_t ldc, int accumulate);
static int gemm(int m, int n, int k, const float *a, ptrdiff_t rsa, ptrdiff_t csa,
         const float *b, ptrdiff_t rsb, ptrdiff_t csb, float *c, ptrdiff_t ldc, int accumulate);

static void *aligned_floats(size_t count);
/* Frees the calling thread's packing buffers. */
static void gemm_release(void);

#endif

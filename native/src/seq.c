/* Helpers shared by the LSTM and GRU kernels. */
#include "recurrence.h"

static void add_column_sums(int rows, int cols, const float *m, float *out) {
  for (int r = 0; r < rows; r++) {
    const float *row = m + (size_t)r * cols;
    for (int j = 0; j < cols; j++) out[j] += row[j];
  }
}

/*
 * One step's input gradient [rows, cols] into dx: written (rows ld apart), or with accumulate
 * computed apart in `scratch` and added, dx + step, one rounding an element whatever the depth of
 * the product (a GEMM accumulating in place would fold dx into its first k-block's sum).
 */
static int step_input_gradient(int rows, const float *dz, int g, const PackedB *kt, float *dx, ptrdiff_t ld,
                               int accumulate, float *scratch) {
  int cols = kt->n;
  if (!accumulate) return gemm_packed(rows, dz, g, 1, kt, dx, ld, 0);
  if (gemm_packed(rows, dz, g, 1, kt, scratch, cols, 0)) return -1;
  for (int r = 0; r < rows; r++) {
    float *out = dx + (size_t)r * ld;
    const float *in = scratch + (size_t)r * cols;
    for (int c = 0; c < cols; c++) out[c] += in[c];
  }
  return 0;
}

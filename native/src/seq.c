/* Helpers shared by the LSTM and GRU kernels. */
#include "recurrence.h"

static void add_column_sums(int rows, int cols, const float *m, float *out) {
  for (int r = 0; r < rows; r++) {
    const float *row = m + (size_t)r * cols;
    for (int j = 0; j < cols; j++) out[j] += row[j];
  }
}

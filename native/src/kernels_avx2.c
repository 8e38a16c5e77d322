/*
 * The kernels with AVX2 + FMA intrinsics and codegen; binding.gyp compiles this file alone with
 * -mavx2 -mfma on x86-64, and addon.c uses it only when the CPU reports both features.
 */
#if defined(__AVX2__) && defined(__FMA__)
#define TIDAL_TABLE tidal_kernels_avx2
#define TIDAL_ISA "avx2-fma"
#include "kernels.c"
#else
typedef int tidal_kernels_avx2_not_built; /* not x86-64: addon.c does not reference the table */
#endif

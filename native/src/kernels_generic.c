/* The kernels in plain C (the compiler's baseline vectorisation): any x86-64 or arm64 CPU. */
#define TIDAL_TABLE tidal_kernels_generic
#define TIDAL_ISA "generic"
#include "kernels.c"

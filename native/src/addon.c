/*
 * N-API surface. lstmForward, lstmBackward, gruForward, gruBackward (fields of
 * models/recurrence/kernel-api.ts), convForward/convBackward, attentionForward/attentionBackward
 * and layerNormForward/layerNormBackward (models/native/kernel-api.ts) each take one object and
 * return one; inputs are read in place from their typed arrays and outputs are written straight
 * into new Float32Arrays (no copies), or into the caller's own arrays passed as
 * `out: { name: Float32Array }` (views of tensors already in the wasm heap). `isa` names the kernel table chosen at load time from the
 * CPU's features ('avx2-fma' or 'generic'; TIDAL_NATIVE_ISA forces one), `release()` frees the
 * calling thread's scratch buffers.
 */
#include <node_api.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static const TidalKernels *K;

/*
 * Subnormal floats cost x86 a microcode assist on every operation that meets one: a sharp
 * softmax's underflowing tail made one attention backward call about 50x slower. The attention
 * kernels run with them flushed to zero (FTZ and DAZ in MXCSR); the caller's mode is restored
 * after each call, since V8's doubles need IEEE subnormals. Elsewhere (arm64) the mode is left as
 * it is. The other kernels keep IEEE subnormals: flushing there changes the recurrent models'
 * training bits, which the default run's figures were measured with.
 */
#if defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
static unsigned flush_subnormals(void) {
  unsigned mode = _mm_getcsr();
  _mm_setcsr(mode | 0x8040u); /* FTZ (bit 15) | DAZ (bit 6) */
  return mode;
}
static void restore_float_mode(unsigned mode) { _mm_setcsr(mode); }
#else
static unsigned flush_subnormals(void) { return 0; }
static void restore_float_mode(unsigned mode) { (void)mode; }
#endif

#define CALL(env, expr)                                               \
  do {                                                                \
    if ((expr) != napi_ok) {                                          \
      const napi_extended_error_info *info = NULL;                    \
      napi_get_last_error_info((env), &info);                         \
      throw_once((env), info && info->error_message ? info->error_message : #expr); \
      return 0;                                                       \
    }                                                                 \
  } while (0)

static void throw_once(napi_env env, const char *message) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, message);
}

static int fail(napi_env env, const char *fn, const char *field, const char *expected) {
  char message[256];
  snprintf(message, sizeof message, "%s: '%s' must be %s", fn, field, expected);
  throw_once(env, message);
  return 0;
}

static int get_dim(napi_env env, const char *fn, napi_value obj, const char *name, int *out) {
  napi_value v;
  napi_valuetype type;
  double value;
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_typeof(env, v, &type));
  if (type != napi_number) return fail(env, fn, name, "a positive integer");
  CALL(env, napi_get_value_double(env, v, &value));
  if (!(value >= 1 && value <= 1e8 && value == (double)(int)value)) return fail(env, fn, name, "a positive integer");
  *out = (int)value;
  return 1;
}

static int get_bool(napi_env env, const char *fn, napi_value obj, const char *name, int *out) {
  napi_value v;
  napi_valuetype type;
  bool value;
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_typeof(env, v, &type));
  if (type != napi_boolean) return fail(env, fn, name, "a boolean");
  CALL(env, napi_get_value_bool(env, v, &value));
  *out = value;
  return 1;
}

/* A boolean, or 0 when the property is absent (undefined). */
static int get_optional_bool(napi_env env, const char *fn, napi_value obj, const char *name, int *out) {
  napi_value v;
  napi_valuetype type;
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_typeof(env, v, &type));
  if (type == napi_undefined) {
    *out = 0;
    return 1;
  }
  return get_bool(env, fn, obj, name, out);
}

/* A Float32Array of exactly `length` elements; with `optional`, null/undefined gives NULL. */
static int get_f32(napi_env env, const char *fn, napi_value obj, const char *name, size_t length,
                   const char *shape, int optional, const float **out) {
  napi_value v;
  napi_valuetype type;
  bool is_typed = false;
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_typeof(env, v, &type));
  if (optional && (type == napi_null || type == napi_undefined)) {
    *out = NULL;
    return 1;
  }
  CALL(env, napi_is_typedarray(env, v, &is_typed));
  napi_typedarray_type ta_type = napi_int8_array;
  size_t ta_length = 0;
  void *data = NULL;
  if (is_typed) CALL(env, napi_get_typedarray_info(env, v, &ta_type, &ta_length, &data, NULL, NULL));
  if (!is_typed || ta_type != napi_float32_array || ta_length != length) {
    /* Formatted only on failure: this runs for every array of every call. */
    char expected[160];
    snprintf(expected, sizeof expected, "a Float32Array of %zu elements %s%s", length, shape, optional ? " or null" : "");
    return fail(env, fn, name, expected);
  }
  *out = length == 0 ? NULL : (const float *)data;
  return 1;
}

static int new_f32(napi_env env, napi_value result, const char *name, size_t length, float **out) {
  napi_value buffer, array;
  void *data;
  CALL(env, napi_create_arraybuffer(env, length * sizeof(float), &data, &buffer));
  CALL(env, napi_create_typedarray(env, napi_float32_array, length, buffer, 0, &array));
  CALL(env, napi_set_named_property(env, result, name, array));
  *out = (float *)data;
  return 1;
}

/*
 * A kernel's output: the caller's Float32Array `out[name]` when the argument object has one
 * (it must not overlap any input), else a new array; either way also result[name].
 */
static int out_f32(napi_env env, const char *fn, napi_value obj, napi_value result, const char *name, size_t length,
                   const char *shape, float **out) {
  napi_value outs, array;
  napi_valuetype type;
  bool has = false;
  CALL(env, napi_get_named_property(env, obj, "out", &outs));
  CALL(env, napi_typeof(env, outs, &type));
  if (type == napi_object) CALL(env, napi_has_named_property(env, outs, name, &has));
  if (!has) return new_f32(env, result, name, length, out);
  const float *data;
  if (!get_f32(env, fn, outs, name, length, shape, 0, &data)) return 0;
  CALL(env, napi_get_named_property(env, outs, name, &array));
  CALL(env, napi_set_named_property(env, result, name, array));
  *out = (float *)data;
  return 1;
}

/* Largest element count any array may have: the kernels index with int rows and columns. */
#define MAX_ELEMENTS 0x7fffffffu

/*
 * Product of `count` dimensions as an element count, or a JS error naming `what` when it passes
 * MAX_ELEMENTS (checked before each multiplication, so size_t never wraps either).
 */
static int checked_count(napi_env env, const char *fn, const char *what, size_t *out, int count, ...) {
  va_list dims;
  size_t product = 1;
  int ok = 1;
  va_start(dims, count);
  for (int i = 0; i < count; i++) {
    size_t dim = (size_t)va_arg(dims, int);
    if (dim != 0 && product > MAX_ELEMENTS / dim) ok = 0;
    else product *= dim;
  }
  va_end(dims);
  if (!ok) {
    char message[256];
    snprintf(message, sizeof message, "%s: %s exceeds 2^31 - 1 elements; use smaller batches", fn, what);
    throw_once(env, message);
    return 0;
  }
  *out = product;
  return 1;
}

/* hStride, optional (default units): the row stride of h and dh, >= units. */
static int get_h_stride(napi_env env, const char *fn, napi_value obj, SeqDims *d) {
  napi_value v;
  napi_valuetype type;
  CALL(env, napi_get_named_property(env, obj, "hStride", &v));
  CALL(env, napi_typeof(env, v, &type));
  d->h_stride = d->units;
  d->accumulate_dx = 0;
  if (type == napi_undefined || type == napi_null) return 1;
  if (!get_dim(env, fn, obj, "hStride", &d->h_stride)) return 0;
  return d->h_stride >= d->units ? 1 : fail(env, fn, "hStride", "at least units");
}

/* Floats of h or dh: batch * time rows of `units`, hStride apart (the last row ends after units). */
static size_t seq_h_length(const SeqDims *d) {
  return ((size_t)d->batch * d->time - 1) * d->h_stride + d->units;
}

/* Dimensions plus the forward inputs shared by all four entry points. */
static int read_inputs(napi_env env, const char *fn, napi_value obj, int gates, SeqDims *d, SeqInputs *in) {
  if (!get_dim(env, fn, obj, "batch", &d->batch) || !get_dim(env, fn, obj, "time", &d->time) ||
      !get_dim(env, fn, obj, "inputSize", &d->input) || !get_dim(env, fn, obj, "units", &d->units) ||
      !get_bool(env, fn, obj, "reverse", &d->reverse) || !get_h_stride(env, fn, obj, d))
    return 0;
  size_t B = d->batch, T = d->time, I = d->input, U = d->units, G = gates * U, n;
  if (!checked_count(env, fn, "batch * time * inputSize", &n, 3, d->batch, d->time, d->input) ||
      !checked_count(env, fn, "batch * time * hStride", &n, 3, d->batch, d->time, d->h_stride) ||
      !checked_count(env, fn, "batch * time * (cache floats per unit) * units", &n, 4, d->batch, d->time, gates + 1, d->units) ||
      !checked_count(env, fn, "inputSize * gates * units", &n, 3, d->input, gates, d->units) ||
      !checked_count(env, fn, "units * gates * units", &n, 3, d->units, gates, d->units))
    return 0;
  memset(in, 0, sizeof *in);
  return get_f32(env, fn, obj, "x", B * T * I, "[batch, time, inputSize]", 0, &in->x) &&
         get_f32(env, fn, obj, "kernel", I * G, "[inputSize, gates*units]", 0, &in->kernel) &&
         get_f32(env, fn, obj, "recurrentKernel", U * G, "[units, gates*units]", 0, &in->recurrent) &&
         get_f32(env, fn, obj, "bias", G, "[gates*units]", 0, &in->bias) &&
         get_f32(env, fn, obj, "h0", B * U, "[batch, units]", 1, &in->h0) &&
         (gates != 4 || get_f32(env, fn, obj, "c0", B * U, "[batch, units]", 1, &in->c0));
}

static napi_value arg0(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_typeof(env, argv[0], &type) != napi_ok || type != napi_object) {
    throw_once(env, "tidal native kernel: expected one argument object");
    return NULL;
  }
  return argv[0];
}

static napi_value out_of_memory(napi_env env, const char *fn) {
  char message[128];
  snprintf(message, sizeof message, "%s: out of memory", fn);
  throw_once(env, message);
  return NULL;
}

/* The end of a kernel call made after flush_subnormals(): the caller's float mode back, then the result or the error. */
static napi_value kernel_done(napi_env env, const char *fn, unsigned mode, int failed, napi_value result) {
  restore_float_mode(mode);
  return failed ? out_of_memory(env, fn) : result;
}

#define H_SHAPE "[batch, time, units], rows hStride apart"

static napi_value lstm_forward_js(napi_env env, napi_callback_info info) {
  const char *fn = "lstmForward";
  napi_value obj = arg0(env, info), result;
  SeqDims d;
  SeqInputs in;
  if (!obj || !read_inputs(env, fn, obj, 4, &d, &in)) return NULL;
  size_t BU = (size_t)d.batch * d.units;
  float *h, *h_last, *c_last, *cache;
  if (napi_create_object(env, &result) != napi_ok ||
      !out_f32(env, fn, obj, result, "h", seq_h_length(&d), H_SHAPE, &h) || !out_f32(env, fn, obj, result, "hLast", BU, "[batch, units]", &h_last) ||
      !out_f32(env, fn, obj, result, "cLast", BU, "[batch, units]", &c_last) || !out_f32(env, fn, obj, result, "cache", lstm_cache_size(&d), "(the kernel's cache)", &cache))
    return NULL;
  if (K->lstm_forward(&d, &in, h, h_last, c_last, cache)) return out_of_memory(env, fn);
  return result;
}

static napi_value lstm_backward_js(napi_env env, napi_callback_info info) {
  const char *fn = "lstmBackward";
  napi_value obj = arg0(env, info), result;
  SeqDims d;
  SeqInputs in;
  if (!obj || !read_inputs(env, fn, obj, 4, &d, &in)) return NULL;
  size_t B = d.batch, T = d.time, I = d.input, U = d.units, G = 4 * U;
  const float *cache, *h, *dh, *dh_last, *dc_last;
  if (!get_f32(env, fn, obj, "cache", lstm_cache_size(&d), "(from lstmForward with the same args)", 0, &cache) ||
      !get_f32(env, fn, obj, "h", seq_h_length(&d), H_SHAPE, 0, &h) ||
      !get_f32(env, fn, obj, "dh", seq_h_length(&d), H_SHAPE, 0, &dh) ||
      !get_f32(env, fn, obj, "dhLast", B * U, "[batch, units]", 1, &dh_last) ||
      !get_f32(env, fn, obj, "dcLast", B * U, "[batch, units]", 1, &dc_last) ||
      !get_optional_bool(env, fn, obj, "accumulateDx", &d.accumulate_dx))
    return NULL;
  float *dx, *dk, *drk, *db, *dh0, *dc0;
  if (napi_create_object(env, &result) != napi_ok ||
      !out_f32(env, fn, obj, result, "dx", B * T * I, "[batch, time, inputSize]", &dx) || !out_f32(env, fn, obj, result, "dKernel", I * G, "[inputSize, gates*units]", &dk) ||
      !out_f32(env, fn, obj, result, "dRecurrentKernel", U * G, "[units, gates*units]", &drk) || !out_f32(env, fn, obj, result, "dBias", G, "[gates*units]", &db) ||
      !out_f32(env, fn, obj, result, "dh0", B * U, "[batch, units]", &dh0) || !out_f32(env, fn, obj, result, "dc0", B * U, "[batch, units]", &dc0))
    return NULL;
  if (K->lstm_backward(&d, &in, cache, h, dh, dh_last, dc_last, dx, dk, drk, db, dh0, dc0)) return out_of_memory(env, fn);
  return result;
}

static napi_value gru_forward_js(napi_env env, napi_callback_info info) {
  const char *fn = "gruForward";
  napi_value obj = arg0(env, info), result;
  SeqDims d;
  SeqInputs in;
  if (!obj || !read_inputs(env, fn, obj, 3, &d, &in)) return NULL;
  size_t BU = (size_t)d.batch * d.units;
  float *h, *h_last, *cache;
  if (napi_create_object(env, &result) != napi_ok ||
      !out_f32(env, fn, obj, result, "h", seq_h_length(&d), H_SHAPE, &h) || !out_f32(env, fn, obj, result, "hLast", BU, "[batch, units]", &h_last) ||
      !out_f32(env, fn, obj, result, "cache", gru_cache_size(&d), "(the kernel's cache)", &cache))
    return NULL;
  if (K->gru_forward(&d, &in, h, h_last, cache)) return out_of_memory(env, fn);
  return result;
}

static napi_value gru_backward_js(napi_env env, napi_callback_info info) {
  const char *fn = "gruBackward";
  napi_value obj = arg0(env, info), result;
  SeqDims d;
  SeqInputs in;
  if (!obj || !read_inputs(env, fn, obj, 3, &d, &in)) return NULL;
  size_t B = d.batch, T = d.time, I = d.input, U = d.units, G = 3 * U;
  const float *cache, *h, *dh, *dh_last;
  if (!get_f32(env, fn, obj, "cache", gru_cache_size(&d), "(from gruForward with the same args)", 0, &cache) ||
      !get_f32(env, fn, obj, "h", seq_h_length(&d), H_SHAPE, 0, &h) ||
      !get_f32(env, fn, obj, "dh", seq_h_length(&d), H_SHAPE, 0, &dh) ||
      !get_f32(env, fn, obj, "dhLast", B * U, "[batch, units]", 1, &dh_last) ||
      !get_optional_bool(env, fn, obj, "accumulateDx", &d.accumulate_dx))
    return NULL;
  float *dx, *dk, *drk, *db, *dh0;
  if (napi_create_object(env, &result) != napi_ok ||
      !out_f32(env, fn, obj, result, "dx", B * T * I, "[batch, time, inputSize]", &dx) || !out_f32(env, fn, obj, result, "dKernel", I * G, "[inputSize, gates*units]", &dk) ||
      !out_f32(env, fn, obj, result, "dRecurrentKernel", U * G, "[units, gates*units]", &drk) || !out_f32(env, fn, obj, result, "dBias", G, "[gates*units]", &db) ||
      !out_f32(env, fn, obj, result, "dh0", B * U, "[batch, units]", &dh0))
    return NULL;
  if (K->gru_backward(&d, &in, cache, h, dh, dh_last, dx, dk, drk, db, dh0)) return out_of_memory(env, fn);
  return result;
}

static int get_number(napi_env env, const char *fn, napi_value obj, const char *name, int nullable, double *out) {
  napi_value v;
  napi_valuetype type;
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_typeof(env, v, &type));
  if (nullable && (type == napi_null || type == napi_undefined)) {
    *out = -1.0;
    return 1;
  }
  if (type != napi_number) return fail(env, fn, name, nullable ? "a finite number or null" : "a finite number");
  CALL(env, napi_get_value_double(env, v, out));
  if (!(*out > -1e30 && *out < 1e30)) return fail(env, fn, name, "a finite number");
  return 1;
}

/* An Int32Array of exactly `length` elements. */
static int get_i32(napi_env env, const char *fn, napi_value obj, const char *name, size_t length, const int **out) {
  napi_value v;
  bool is_typed = false;
  char expected[96];
  snprintf(expected, sizeof expected, "an Int32Array of %zu elements", length);
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_is_typedarray(env, v, &is_typed));
  if (!is_typed) return fail(env, fn, name, expected);
  napi_typedarray_type ta_type;
  size_t ta_length;
  void *data;
  CALL(env, napi_get_typedarray_info(env, v, &ta_type, &ta_length, &data, NULL, NULL));
  if (ta_type != napi_int32_array || ta_length != length) return fail(env, fn, name, expected);
  *out = (const int *)data;
  return 1;
}

/* Convolution dimensions and the forward inputs; sizes: x, kernel, y element counts. */
static int read_conv(napi_env env, const char *fn, napi_value obj, ConvDims *d, size_t *nx, size_t *nk, size_t *ny,
                     const float **x, const float **kernel) {
  if (!get_dim(env, fn, obj, "batch", &d->batch) || !get_dim(env, fn, obj, "time", &d->time) ||
      !get_dim(env, fn, obj, "channels", &d->channels) || !get_dim(env, fn, obj, "filters", &d->filters) ||
      !get_dim(env, fn, obj, "taps", &d->taps) || !get_bool(env, fn, obj, "relu", &d->relu))
    return 0;
  size_t scratch;
  if (!checked_count(env, fn, "batch * time * channels", nx, 3, d->batch, d->time, d->channels) ||
      !checked_count(env, fn, "batch * time * filters", ny, 3, d->batch, d->time, d->filters) ||
      !checked_count(env, fn, "taps * channels * filters", nk, 3, d->taps, d->channels, d->filters) ||
      !checked_count(env, fn, "taps * channels * 256 (dKernel's packed block of rows)", &scratch, 3, d->taps, d->channels, 256))
    return 0;
  return get_i32(env, fn, obj, "offsets", (size_t)d->taps, &d->offsets) &&
         get_f32(env, fn, obj, "x", *nx, "[batch, time, channels]", 0, x) &&
         get_f32(env, fn, obj, "kernel", *nk, "[taps, channels, filters]", 0, kernel);
}

static napi_value conv_forward_js(napi_env env, napi_callback_info info) {
  const char *fn = "convForward";
  napi_value obj = arg0(env, info), result;
  ConvDims d;
  size_t nx, nk, ny;
  const float *x, *kernel, *bias;
  float *y;
  if (!obj || !read_conv(env, fn, obj, &d, &nx, &nk, &ny, &x, &kernel) ||
      !get_f32(env, fn, obj, "bias", (size_t)d.filters, "[filters]", 0, &bias))
    return NULL;
  if (napi_create_object(env, &result) != napi_ok || !out_f32(env, fn, obj, result, "y", ny, "[batch, time, filters]", &y)) return NULL;
  if (K->conv_forward(&d, x, kernel, bias, y)) return out_of_memory(env, fn);
  return result;
}

static napi_value conv_backward_js(napi_env env, napi_callback_info info) {
  const char *fn = "convBackward";
  napi_value obj = arg0(env, info), result;
  ConvDims d;
  size_t nx, nk, ny;
  const float *x, *kernel, *y = NULL, *dy;
  int accumulate_dx;
  if (!obj || !read_conv(env, fn, obj, &d, &nx, &nk, &ny, &x, &kernel) ||
      (d.relu && !get_f32(env, fn, obj, "y", ny, "[batch, time, filters] (convForward's output, for relu)", 0, &y)) ||
      !get_f32(env, fn, obj, "dy", ny, "[batch, time, filters]", 0, &dy) ||
      !get_optional_bool(env, fn, obj, "accumulateDx", &accumulate_dx))
    return NULL;
  float *dx, *dk, *db;
  if (napi_create_object(env, &result) != napi_ok ||
      !out_f32(env, fn, obj, result, "dx", nx, "[batch, time, channels]", &dx) ||
      !out_f32(env, fn, obj, result, "dKernel", nk, "[taps, channels, filters]", &dk) ||
      !out_f32(env, fn, obj, result, "dBias", (size_t)d.filters, "[filters]", &db))
    return NULL;
  if (K->conv_backward(&d, x, kernel, y, dy, dx, accumulate_dx, dk, db)) return out_of_memory(env, fn);
  return result;
}

/* Attention dimensions; sizes: qkv, context and probs element counts. */
static int read_attention(napi_env env, const char *fn, napi_value obj, AttentionDims *d,
                          size_t *nqkv, size_t *nctx, size_t *nprobs, const float **qkv) {
  if (!get_dim(env, fn, obj, "batch", &d->batch) || !get_dim(env, fn, obj, "time", &d->time) ||
      !get_dim(env, fn, obj, "heads", &d->heads) || !get_dim(env, fn, obj, "keyDim", &d->key_dim))
    return 0;
  return checked_count(env, fn, "batch * time * 3 * heads * keyDim", nqkv, 5, d->batch, d->time, 3, d->heads, d->key_dim) &&
         checked_count(env, fn, "batch * time * heads * keyDim", nctx, 4, d->batch, d->time, d->heads, d->key_dim) &&
         checked_count(env, fn, "batch * heads * time * time", nprobs, 4, d->batch, d->heads, d->time, d->time) &&
         get_f32(env, fn, obj, "qkv", *nqkv, "[batch, time, 3 * heads * keyDim]", 0, qkv);
}

static napi_value attention_forward_js(napi_env env, napi_callback_info info) {
  const char *fn = "attentionForward";
  napi_value obj = arg0(env, info), result;
  AttentionDims d;
  size_t nqkv, nctx, nprobs;
  const float *qkv;
  float *context, *probs;
  if (!obj || !read_attention(env, fn, obj, &d, &nqkv, &nctx, &nprobs, &qkv)) return NULL;
  if (napi_create_object(env, &result) != napi_ok || !out_f32(env, fn, obj, result, "context", nctx, "[batch, time, heads * keyDim]", &context) ||
      !out_f32(env, fn, obj, result, "probs", nprobs, "[batch, heads, time, time]", &probs))
    return NULL;
  unsigned mode = flush_subnormals();
  return kernel_done(env, fn, mode, K->attention_forward(&d, qkv, context, probs), result);
}

static napi_value attention_backward_js(napi_env env, napi_callback_info info) {
  const char *fn = "attentionBackward";
  napi_value obj = arg0(env, info), result;
  AttentionDims d;
  size_t nqkv, nctx, nprobs;
  const float *qkv, *probs, *dcontext;
  float *dqkv;
  if (!obj || !read_attention(env, fn, obj, &d, &nqkv, &nctx, &nprobs, &qkv) ||
      !get_f32(env, fn, obj, "probs", nprobs, "[batch, heads, time, time] (from attentionForward)", 0, &probs) ||
      !get_f32(env, fn, obj, "dContext", nctx, "[batch, time, heads * keyDim]", 0, &dcontext))
    return NULL;
  if (napi_create_object(env, &result) != napi_ok || !out_f32(env, fn, obj, result, "dQkv", nqkv, "[batch, time, 3 * heads * keyDim]", &dqkv))
    return NULL;
  unsigned mode = flush_subnormals();
  return kernel_done(env, fn, mode, K->attention_backward(&d, qkv, probs, dcontext, dqkv), result);
}

/* Layer-norm dimensions and inputs; skip_weight -1 stands for the plain sum x + residual. */
static int read_layer_norm(napi_env env, const char *fn, napi_value obj, int *rows, int *width, size_t *n,
                           const float **x, const float **r, float *skip_weight, const float **gamma) {
  double w;
  if (!get_dim(env, fn, obj, "rows", rows) || !get_dim(env, fn, obj, "width", width) ||
      !checked_count(env, fn, "rows * width", n, 2, *rows, *width) ||
      !get_number(env, fn, obj, "skipWeight", 1, &w))
    return 0;
  if (w != -1.0 && !(w > 0.0 && w < 1.0)) return fail(env, fn, "skipWeight", "in (0, 1) or null");
  *skip_weight = (float)w;
  return get_f32(env, fn, obj, "x", *n, "[rows, width]", 0, x) &&
         get_f32(env, fn, obj, "residual", *n, "[rows, width]", 1, r) &&
         get_f32(env, fn, obj, "gamma", (size_t)*width, "[width]", 0, gamma);
}

static napi_value layer_norm_forward_js(napi_env env, napi_callback_info info) {
  const char *fn = "layerNormForward";
  napi_value obj = arg0(env, info), result;
  int rows, width;
  size_t n;
  double epsilon;
  float skip_weight, *y, *stats;
  const float *x, *r, *gamma, *beta, *addend;
  if (!obj || !read_layer_norm(env, fn, obj, &rows, &width, &n, &x, &r, &skip_weight, &gamma) ||
      !get_f32(env, fn, obj, "beta", (size_t)width, "[width]", 0, &beta) ||
      !get_f32(env, fn, obj, "addend", n, "[rows, width]", 1, &addend) ||
      !get_number(env, fn, obj, "epsilon", 0, &epsilon))
    return NULL;
  if (!(epsilon > 0)) {
    fail(env, fn, "epsilon", "a positive number");
    return NULL;
  }
  if (napi_create_object(env, &result) != napi_ok || !out_f32(env, fn, obj, result, "y", n, "[rows, width]", &y) ||
      !new_f32(env, result, "stats", 2 * (size_t)rows, &stats))
    return NULL;
  if (K->layer_norm_forward(rows, width, (float)epsilon, x, r, skip_weight, gamma, beta, addend, y, stats)) return out_of_memory(env, fn);
  return result;
}

static napi_value layer_norm_backward_js(napi_env env, napi_callback_info info) {
  const char *fn = "layerNormBackward";
  napi_value obj = arg0(env, info), result;
  int rows, width;
  size_t n;
  float skip_weight, *dx, *dr = NULL, *dgamma, *dbeta;
  const float *x, *r, *gamma, *stats, *dy, *dy2;
  if (!obj || !read_layer_norm(env, fn, obj, &rows, &width, &n, &x, &r, &skip_weight, &gamma) ||
      !get_f32(env, fn, obj, "stats", 2 * (size_t)rows, "[rows, 2] (from layerNormForward)", 0, &stats) ||
      !get_f32(env, fn, obj, "dy", n, "[rows, width]", 0, &dy) ||
      !get_f32(env, fn, obj, "dyAdd", n, "[rows, width]", 1, &dy2))
    return NULL;
  if (napi_create_object(env, &result) != napi_ok || !out_f32(env, fn, obj, result, "dx", n, "[rows, width]", &dx) ||
      (r && !out_f32(env, fn, obj, result, "dResidual", n, "[rows, width]", &dr)) ||
      !out_f32(env, fn, obj, result, "dGamma", (size_t)width, "[width]", &dgamma) ||
      !out_f32(env, fn, obj, result, "dBeta", (size_t)width, "[width]", &dbeta))
    return NULL;
  if (K->layer_norm_backward(rows, width, x, r, skip_weight, gamma, stats, dy, dy2, dx, dr, dgamma, dbeta)) return out_of_memory(env, fn);
  return result;
}

/*
 * One Adam step on a variable w with moments m, v and gradient g, all updated in place, as
 * models/training/optimizers.ts's tf ops compute it in float32, one rounding per op and in their
 * order (no fused multiply-add: GCC contracts across statements unless told not to, clang only
 * within one), so the result has the same bits as that path.
 */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
static void adam_step(size_t n, float *w, float *m, float *v, const float *g, const float h[9]) {
  float beta1 = h[0], one_minus_beta1 = h[1], beta2 = h[2], one_minus_beta2 = h[3];
  float c1 = h[4], c2 = h[5], epsilon = h[6], lr = h[7], decay = h[8];
  for (size_t i = 0; i < n; i++) {
    float gm = g[i] * one_minus_beta1;
    float mi = m[i] * beta1;
    mi = mi + gm;
    float g2 = g[i] * g[i];
    g2 = g2 * one_minus_beta2;
    float vi = v[i] * beta2;
    vi = vi + g2;
    m[i] = mi;
    v[i] = vi;
    float num = mi / c1;
    float den = sqrtf(vi / c2);
    den = den + epsilon;
    float step = (num / den) * lr;
    float wi = decay == 1.0f ? w[i] : w[i] * decay;
    w[i] = wi - step;
  }
}

/* A typed array of the given type, any length: its data and element count. */
static int get_typed(napi_env env, const char *fn, napi_value obj, const char *name, napi_typedarray_type want,
                     const char *expected, void **data, size_t *length) {
  napi_value v;
  napi_typedarray_type type;
  bool is_typed = false;
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_is_typedarray(env, v, &is_typed));
  if (!is_typed) return fail(env, fn, name, expected);
  CALL(env, napi_get_typedarray_info(env, v, &type, length, data, NULL, NULL));
  return type == want ? 1 : fail(env, fn, name, expected);
}

/* A heap slot's float pointer: `offset` bytes into the heap, `n` floats, all inside it and aligned. */
static int heap_floats(napi_env env, const char *fn, uint8_t *heap, size_t heap_bytes, uint32_t offset, uint32_t n, float **out) {
  if (offset % sizeof(float) != 0 || offset > heap_bytes || n > (heap_bytes - offset) / sizeof(float))
    return fail(env, fn, "slots", "float offsets aligned to 4 bytes, each variable's floats inside the heap");
  *out = (float *)(heap + offset);
  return 1;
}

/* Adam over every variable in one call: `slots` holds, per variable, the byte offsets of w, m, v
   and g in `heap` (the wasm memory) and the variable's size. One N-API crossing for all of them:
   the per-call cost was most of the step at the small configs' sizes. */
static napi_value adam_update_heap_js(napi_env env, napi_callback_info info) {
  const char *fn = "adamUpdateHeap";
  napi_value obj = arg0(env, info);
  static const char *const names[9] = {"beta1", "oneMinusBeta1", "beta2", "oneMinusBeta2", "c1", "c2", "epsilon", "lr", "decay"};
  float h[9];
  size_t heap_bytes, slot_count;
  void *heap, *slot_data;
  if (!obj) return NULL;
  for (int i = 0; i < 9; i++) {
    double number;
    if (!get_number(env, fn, obj, names[i], 0, &number)) return NULL;
    h[i] = (float)number;
  }
  if (!get_typed(env, fn, obj, "heap", napi_uint8_array, "a Uint8Array (the wasm memory)", &heap, &heap_bytes)) return NULL;
  static const char *const slots_expected = "a Uint32Array of 5 numbers a variable (w, m, v, g byte offsets, size)";
  if (!get_typed(env, fn, obj, "slots", napi_uint32_array, slots_expected, &slot_data, &slot_count)) return NULL;
  if (slot_count % 5 != 0) {
    fail(env, fn, "slots", slots_expected);
    return NULL;
  }
  const uint32_t *slots = slot_data;
  float *arrays[4];
  /* Every slot checked before any variable changes: a bad one leaves all of them as they were. */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t s = 0; s < slot_count; s += 5) {
      for (int a = 0; a < 4; a++)
        if (!heap_floats(env, fn, heap, heap_bytes, slots[s + a], slots[s + 4], &arrays[a])) return NULL;
      if (pass == 1) adam_step(slots[s + 4], arrays[0], arrays[1], arrays[2], arrays[3], h);
    }
  }
  return NULL;
}

static void release_tables(void) {
  tidal_kernels_generic.release();
#ifdef TIDAL_HAVE_AVX2
  tidal_kernels_avx2.release();
#endif
}

static napi_value release_js(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  release_tables();
  return NULL;
}

static void release_at_exit(void *arg) {
  (void)arg;
  release_tables();
}

/* The table for this CPU, or the one TIDAL_NATIVE_ISA names; NULL after throwing why not. */
static const TidalKernels *choose_kernels(napi_env env) {
  int avx2 = 0;
#ifdef TIDAL_HAVE_AVX2
  __builtin_cpu_init();
  avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  const char *forced = getenv("TIDAL_NATIVE_ISA");
  if (!forced || !*forced || strcmp(forced, "auto") == 0) {
#ifdef TIDAL_HAVE_AVX2
    if (avx2) return &tidal_kernels_avx2;
#endif
    return &tidal_kernels_generic;
  }
  if (strcmp(forced, "generic") == 0) return &tidal_kernels_generic;
  if (strcmp(forced, "avx2-fma") == 0) {
#ifdef TIDAL_HAVE_AVX2
    if (avx2) return &tidal_kernels_avx2;
#endif
    throw_once(env, "TIDAL_NATIVE_ISA=avx2-fma, but this CPU or build has no AVX2/FMA kernels");
    return NULL;
  }
  char message[200];
  snprintf(message, sizeof message, "TIDAL_NATIVE_ISA must be 'auto', 'generic' or 'avx2-fma', got '%.100s'", forced);
  throw_once(env, message);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
#if defined(__GLIBC__)
  /*
   * Tensor-sized buffers (the kernels' outputs and caches, tfjs's host copies) straight from mmap,
   * so each goes back to the system when freed: glibc's adaptive threshold otherwise serves them
   * from the heap, where freed ones fragment and stay resident (measured on the reference BiLSTM:
   * peak RSS after six batches about 520 MB against 480 MB with this).
   */
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
  if (!(K = choose_kernels(env))) return NULL;
  napi_property_descriptor props[] = {
      {"lstmForward", NULL, lstm_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lstmBackward", NULL, lstm_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gruForward", NULL, gru_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gruBackward", NULL, gru_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convForward", NULL, conv_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convBackward", NULL, conv_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionForward", NULL, attention_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"attentionBackward", NULL, attention_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormForward", NULL, layer_norm_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"layerNormBackward", NULL, layer_norm_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adamUpdateHeap", NULL, adam_update_heap_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"release", NULL, release_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value isa;
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok ||
      napi_create_string_utf8(env, K->isa, NAPI_AUTO_LENGTH, &isa) != napi_ok ||
      napi_set_named_property(env, exports, "isa", isa) != napi_ok ||
      napi_add_env_cleanup_hook(env, release_at_exit, NULL) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

/*
 * N-API surface: lstmForward, lstmBackward, gruForward, gruBackward each take one object with the
 * fields of models/recurrence/kernel-api.ts and return one; inputs are read in place from their
 * Float32Arrays and outputs are written straight into new Float32Arrays (no copies).
 */
#include <node_api.h>

#include <stdio.h>
#include <string.h>

#include "gemm.h"
#include "recurrence.h"

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

/* A Float32Array of exactly `length` elements; with `optional`, null/undefined gives NULL. */
static int get_f32(napi_env env, const char *fn, napi_value obj, const char *name, size_t length,
                   const char *shape, int optional, const float **out) {
  napi_value v;
  napi_valuetype type;
  bool is_typed = false;
  char expected[160];
  snprintf(expected, sizeof expected, "a Float32Array of %zu elements %s%s", length, shape,
           optional ? " or null" : "");
  CALL(env, napi_get_named_property(env, obj, name, &v));
  CALL(env, napi_typeof(env, v, &type));
  if (optional && (type == napi_null || type == napi_undefined)) {
    *out = NULL;
    return 1;
  }
  CALL(env, napi_is_typedarray(env, v, &is_typed));
  if (!is_typed) return fail(env, fn, name, expected);
  napi_typedarray_type ta_type;
  size_t ta_length;
  void *data;
  CALL(env, napi_get_typedarray_info(env, v, &ta_type, &ta_length, &data, NULL, NULL));
  if (ta_type != napi_float32_array || ta_length != length) return fail(env, fn, name, expected);
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

/* Dimensions plus the forward inputs shared by all four entry points. */
static int read_inputs(napi_env env, const char *fn, napi_value obj, int gates, SeqDims *d, SeqInputs *in) {
  if (!get_dim(env, fn, obj, "batch", &d->batch) || !get_dim(env, fn, obj, "time", &d->time) ||
      !get_dim(env, fn, obj, "inputSize", &d->input) || !get_dim(env, fn, obj, "units", &d->units) ||
      !get_bool(env, fn, obj, "reverse", &d->reverse))
    return 0;
  size_t B = d->batch, T = d->time, I = d->input, U = d->units, G = gates * U;
  if (B * T * (G > I ? G : I) > 0x7fffffffu) return fail(env, fn, "batch", "small enough that batch*time*features < 2^31");
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
    throw_once(env, "recurrence kernel: expected one argument object");
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

static napi_value lstm_forward_js(napi_env env, napi_callback_info info) {
  const char *fn = "lstmForward";
  napi_value obj = arg0(env, info), result;
  SeqDims d;
  SeqInputs in;
  if (!obj || !read_inputs(env, fn, obj, 4, &d, &in)) return NULL;
  size_t BU = (size_t)d.batch * d.units;
  float *h, *h_last, *c_last, *cache;
  if (napi_create_object(env, &result) != napi_ok ||
      !new_f32(env, result, "h", BU * d.time, &h) || !new_f32(env, result, "hLast", BU, &h_last) ||
      !new_f32(env, result, "cLast", BU, &c_last) || !new_f32(env, result, "cache", lstm_cache_size(&d), &cache))
    return NULL;
  if (lstm_forward(&d, &in, h, h_last, c_last, cache)) return out_of_memory(env, fn);
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
      !get_f32(env, fn, obj, "h", B * T * U, "[batch, time, units]", 0, &h) ||
      !get_f32(env, fn, obj, "dh", B * T * U, "[batch, time, units]", 0, &dh) ||
      !get_f32(env, fn, obj, "dhLast", B * U, "[batch, units]", 1, &dh_last) ||
      !get_f32(env, fn, obj, "dcLast", B * U, "[batch, units]", 1, &dc_last))
    return NULL;
  float *dx, *dk, *drk, *db, *dh0, *dc0;
  if (napi_create_object(env, &result) != napi_ok ||
      !new_f32(env, result, "dx", B * T * I, &dx) || !new_f32(env, result, "dKernel", I * G, &dk) ||
      !new_f32(env, result, "dRecurrentKernel", U * G, &drk) || !new_f32(env, result, "dBias", G, &db) ||
      !new_f32(env, result, "dh0", B * U, &dh0) || !new_f32(env, result, "dc0", B * U, &dc0))
    return NULL;
  if (lstm_backward(&d, &in, cache, h, dh, dh_last, dc_last, dx, dk, drk, db, dh0, dc0))
    return out_of_memory(env, fn);
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
      !new_f32(env, result, "h", BU * d.time, &h) || !new_f32(env, result, "hLast", BU, &h_last) ||
      !new_f32(env, result, "cache", gru_cache_size(&d), &cache))
    return NULL;
  if (gru_forward(&d, &in, h, h_last, cache)) return out_of_memory(env, fn);
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
      !get_f32(env, fn, obj, "h", B * T * U, "[batch, time, units]", 0, &h) ||
      !get_f32(env, fn, obj, "dh", B * T * U, "[batch, time, units]", 0, &dh) ||
      !get_f32(env, fn, obj, "dhLast", B * U, "[batch, units]", 1, &dh_last))
    return NULL;
  float *dx, *dk, *drk, *db, *dh0;
  if (napi_create_object(env, &result) != napi_ok ||
      !new_f32(env, result, "dx", B * T * I, &dx) || !new_f32(env, result, "dKernel", I * G, &dk) ||
      !new_f32(env, result, "dRecurrentKernel", U * G, &drk) || !new_f32(env, result, "dBias", G, &db) ||
      !new_f32(env, result, "dh0", B * U, &dh0))
    return NULL;
  if (gru_backward(&d, &in, cache, h, dh, dh_last, dx, dk, drk, db, dh0)) return out_of_memory(env, fn);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"lstmForward", NULL, lstm_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lstmBackward", NULL, lstm_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gruForward", NULL, gru_forward_js, NULL, NULL, NULL, napi_enumerable, NULL},
      {"gruBackward", NULL, gru_backward_js, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_value isa;
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok ||
      napi_create_string_utf8(env, gemm_isa(), NAPI_AUTO_LENGTH, &isa) != napi_ok ||
      napi_set_named_property(env, exports, "isa", isa) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

/**
 * Which implementation runs a fused recurrence: the native kernels (models/recurrence/native.ts,
 * built separately, cpu and wasm backends only), the WGSL kernels (webgpu-sequence.ts, webgpu
 * backend only) or tf ops (any backend).
 * TIDAL_RECURRENCE=ops|native|webgpu forces one (tests, benchmarks); unset or 'auto' picks webgpu
 * on the webgpu backend, native when it loads and the backend keeps tensors in host memory.
 * The path changes the float rounding of training, so it belongs in a run's manifest and job key.
 */
import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, nativeKernelsStatus } from './native.ts';

export type RecurrencePath = 'ops' | 'native' | 'webgpu';

const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/** The path the next layer call takes on the current backend. */
export function recurrencePath(): RecurrencePath {
  const forced = process.env.TIDAL_RECURRENCE ?? 'auto';
  const hostBackend = HOST_MEMORY_BACKENDS.has(tf.getBackend());
  if (forced === 'ops') return 'ops';
  if (forced === 'webgpu') {
    if (tf.getBackend() !== 'webgpu') throw new Error(`TIDAL_RECURRENCE=webgpu needs the webgpu backend, not '${tf.getBackend()}'`);
    return 'webgpu';
  }
  const nativeKernels = loadNativeKernels();
  if (forced === 'native') {
    if (!nativeKernels) throw new Error(`TIDAL_RECURRENCE=native but the native recurrence kernels are unavailable: ${nativeKernelsStatus().detail}`);
    if (!hostBackend) throw new Error(`TIDAL_RECURRENCE=native needs the cpu or wasm backend, not '${tf.getBackend()}'`);
    return 'native';
  }
  if (forced !== 'auto') throw new Error(`TIDAL_RECURRENCE must be 'ops', 'native', 'webgpu' or 'auto', got '${forced}'`);
  if (tf.getBackend() === 'webgpu') return 'webgpu';
  return nativeKernels && hostBackend ? 'native' : 'ops';
}

/**
 * The recurrence implementation the next layer call uses, as the manifest and a job's key record
 * it: 'webgpu', 'ops', or the native kernels' build name (e.g. 'native-avx2'), since each rounds
 * differently.
 */
export function recurrenceKernelName(): string {
  const path = recurrencePath();
  return path === 'native' ? loadNativeKernels()!.name : path;
}

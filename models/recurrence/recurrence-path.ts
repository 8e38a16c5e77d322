/**
 * Which implementation runs a fused recurrence: the native kernels (models/recurrence/native.ts,
 * built separately, cpu and wasm backends only) or tf ops (any backend).
 * TIDAL_RECURRENCE=ops|native forces one (tests, benchmarks); unset or 'auto' picks native when
 * it loads and the backend keeps tensors in host memory.
 */
import * as tf from '@tensorflow/tfjs';
import { loadNativeKernels, nativeKernelsStatus } from './native.ts';

export type RecurrencePath = 'ops' | 'native';

const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/** The path the next layer call takes on the current backend. */
export function recurrencePath(): RecurrencePath {
  const forced = process.env.TIDAL_RECURRENCE ?? 'auto';
  const hostBackend = HOST_MEMORY_BACKENDS.has(tf.getBackend());
  if (forced === 'ops') return 'ops';
  const nativeKernels = loadNativeKernels();
  if (forced === 'native') {
    if (!nativeKernels) throw new Error(`TIDAL_RECURRENCE=native but the native recurrence kernels are unavailable: ${nativeKernelsStatus().detail}`);
    if (!hostBackend) throw new Error(`TIDAL_RECURRENCE=native needs the cpu or wasm backend, not '${tf.getBackend()}'`);
    return 'native';
  }
  if (forced !== 'auto') throw new Error(`TIDAL_RECURRENCE must be 'ops', 'native' or 'auto', got '${forced}'`);
  return nativeKernels && hostBackend ? 'native' : 'ops';
}

/**
 * Whether the custom layers (Conv1D, Conv1DTranspose, Dense, attention, LayerNorm) run through
 * the native kernels or tf ops. TIDAL_LAYER_KERNELS=ops|native forces one (tests, benchmarks);
 * unset or 'auto' picks native when the addon loads and the backend keeps tensors in host memory.
 */
import * as tf from '@tensorflow/tfjs';
import { addonStatus, loadAddon } from './addon.ts';
import type { LayerKernels } from './kernel-api.ts';

const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

/** The kernels the next layer call uses, or null for tf ops. */
export function layerKernels(): LayerKernels | null {
  const forced = process.env.TIDAL_LAYER_KERNELS ?? 'auto';
  if (forced === 'ops') return null;
  const addon = loadAddon();
  const hostBackend = HOST_MEMORY_BACKENDS.has(tf.getBackend());
  if (forced === 'native') {
    if (!addon) throw new Error(`TIDAL_LAYER_KERNELS=native but the native addon is unavailable: ${addonStatus().detail}`);
    if (!hostBackend) throw new Error(`TIDAL_LAYER_KERNELS=native needs the cpu or wasm backend, not '${tf.getBackend()}'`);
    return addon;
  }
  if (forced !== 'auto') throw new Error(`TIDAL_LAYER_KERNELS must be 'ops', 'native' or 'auto', got '${forced}'`);
  return addon && hostBackend ? addon : null;
}

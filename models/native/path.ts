/**
 * Whether the custom layers (Conv1D, Conv1DTranspose, Dense, attention, LayerNorm) run through
 * the native kernels or tf ops. TIDAL_LAYER_KERNELS=ops|native forces one (tests, benchmarks);
 * unset or 'auto' picks native when the addon loads and the backend keeps tensors in host memory.
 */
import * as tf from '@tensorflow/tfjs';
import { addonStatus, loadAddon } from './addon.ts';
import type { LayerKernels } from './kernel-api.ts';

const HOST_MEMORY_BACKENDS = new Set(['cpu', 'wasm']);

let clonesShared = false;

/**
 * tf.clone on wasm as on cpu: the copy shares the input's buffer (tensors are immutable) instead
 * of copying it. Every input a kernel or tf.customGrad saves for its gradient is such a clone:
 * wasm's own Identity copies each one, about 150 copies a training batch of the lstm-cnn-
 * transformer. The one in-place writer, the native Adam, skips buffers that are shared.
 */
export function shareClonesOnWasm(): void {
  if (clonesShared || tf.getBackend() !== 'wasm') return;
  clonesShared = true;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** The kernels the next layer call uses, or null for tf ops. */
export function layerKernels(): LayerKernels | null {
  const forced = process.env.TIDAL_LAYER_KERNELS ?? 'auto';
  if (forced === 'ops') return null;
  const addon = loadAddon();
  const hostBackend = HOST_MEMORY_BACKENDS.has(tf.getBackend());
  if (forced === 'native') {
    if (!addon) throw new Error(`TIDAL_LAYER_KERNELS=native but the native addon is unavailable: ${addonStatus().detail}`);
    if (!hostBackend) throw new Error(`TIDAL_LAYER_KERNELS=native needs the cpu or wasm backend, not '${tf.getBackend()}'`);
    if (tf.getBackend() === 'wasm') shareClonesOnWasm();
    return addon;
  }
  if (forced !== 'auto') throw new Error(`TIDAL_LAYER_KERNELS must be 'ops', 'native' or 'auto', got '${forced}'`);
  if (!addon || !hostBackend) return null;
  if (tf.getBackend() === 'wasm') shareClonesOnWasm();
  return addon;
}

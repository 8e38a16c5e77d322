/**
 * Which kernels the current backend runs: the recurrent layers' (native ISA, WGSL on webgpu, or
 * tf ops) and the other layers' (native or tf ops). They differ in the last bits of every result,
 * so the run manifest records them and they are part of every training job's key.
 */
import { layerKernels, nativeKernelPath } from './native/index.ts';
import { recurrenceKernelName } from './recurrence/index.ts';

export interface KernelPaths {
  recurrence: string;
  layers: string;
}

export function kernelPaths(): KernelPaths {
  return { recurrence: recurrenceKernelName(), layers: layerKernels() ? nativeKernelPath() : 'ops' };
}

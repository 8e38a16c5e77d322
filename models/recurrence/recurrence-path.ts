/**
 * Which implementation runs a fused recurrence: the native kernels (models/recurrence/native.ts,
 * built separately, cpu and wasm backends only), the WGSL kernels (webgpu-sequence.ts, webgpu
 * backend only) or tf ops (any backend).
 * TIDAL_RECURRENCE=ops|native|webgpu forces one (tests, benchmarks); unset or 'auto' picks webgpu
 * on the webgpu backend, native when it loads and the backend keeps tensors in host memory.
 * The path changes the float rounding of training, so it belongs in a run's manifest and job key.
 * On webgpu, TIDAL_WEBGPU_STEP=plain|tiled|auto picks the step programs (webgpuStep).
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

export type WebGpuStep = 'plain' | 'tiled';
/**
 * Units from which a layer's webgpu steps run tiled by default: below it a 64-column tile
 * (16 LSTM units x 4 gates) is mostly empty and the plain programs' 4-row blocks have enough
 * parallelism; from it the recurrent weights' traffic is what bounds a step.
 */
export const TILED_MIN_UNITS = 128;

/** TIDAL_WEBGPU_STEP, checked: 'plain' or 'tiled' forces one, unset or 'auto' picks by size. */
export function webgpuStepSetting(): WebGpuStep | 'auto' {
  const value = process.env.TIDAL_WEBGPU_STEP ?? 'auto';
  if (value !== 'plain' && value !== 'tiled' && value !== 'auto') {
    throw new Error(`TIDAL_WEBGPU_STEP must be 'plain', 'tiled' or 'auto', got '${value}'`);
  }
  return value;
}

/**
 * The step programs a recurrent layer of `units` units runs on webgpu. Tiled needs TILED_WORKGROUP_BYTES of workgroup memory and TILED_THREADS invocations a
 * workgroup, under what every WebGPU adapter offers (16 KiB, 256); an adapter below them is an
 * error rather than a silent switch, so the kernel name in a job key always says what ran.
 */
export function webgpuStep(units: number, limits: { maxComputeWorkgroupStorageSize: number; maxComputeInvocationsPerWorkgroup: number },
  need: { workgroupBytes: number; threads: number }): WebGpuStep {
  const setting = webgpuStepSetting();
  const step = setting === 'auto' ? (units >= TILED_MIN_UNITS ? 'tiled' : 'plain') : setting;
  if (step === 'tiled' && (limits.maxComputeWorkgroupStorageSize < need.workgroupBytes || limits.maxComputeInvocationsPerWorkgroup < need.threads)) {
    throw new Error(`the tiled webgpu recurrent steps need ${need.workgroupBytes} bytes of workgroup memory and ${need.threads} invocations a workgroup; ` +
      `this adapter has maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize} and maxComputeInvocationsPerWorkgroup ` +
      `${limits.maxComputeInvocationsPerWorkgroup} (set TIDAL_WEBGPU_STEP=plain)`);
  }
  return step;
}

/**
 * The recurrence implementation the next layer call uses, as the manifest and a job's key record
 * it: 'ops', the native kernels' build name (e.g. 'native-avx2'), or on webgpu 'webgpu-plain',
 * 'webgpu-tiled' or 'webgpu-auto128' (steps tiled from 128 units: fixed by the model's
 * sizes), since each rounds differently.
 */
export function recurrenceKernelName(): string {
  const path = recurrencePath();
  if (path === 'native') return loadNativeKernels()!.name;
  if (path === 'webgpu') {
    const setting = webgpuStepSetting();
    return `webgpu-${setting === 'auto' ? `auto${TILED_MIN_UNITS}` : setting}`;
  }
  return path;
}

/**
 * The native fused LSTM/GRU kernels of the shared addon (models/native/addon.ts). Optional by
 * design: when the addon is missing, fails to load, or TIDAL_NO_NATIVE=1, loadNativeKernels()
 * returns null and nativeKernelsStatus() says why.
 */
import { addonStatus, loadAddon, type AddonStatus } from '../native/addon.ts';
import type { RecurrenceKernels } from './kernel-api.ts';

export type NativeKernelsStatus = AddonStatus;

let kernels: RecurrenceKernels | null | undefined;

function load(): RecurrenceKernels | null {
  const addon = loadAddon();
  if (!addon) return null;
  return {
    name: `native-${addon.isa}`,
    lstmForward: (a) => addon.lstmForward(a),
    lstmBackward: (a) => addon.lstmBackward(a),
    gruForward: (a) => addon.gruForward(a),
    gruBackward: (a) => addon.gruBackward(a),
  };
}

/** The native kernels, or null when they are not available (never throws). Loaded once. */
export function loadNativeKernels(): RecurrenceKernels | null {
  if (kernels === undefined) kernels = load();
  return kernels;
}

/** Whether the native kernels loaded ('native-avx2-fma' or 'native-generic'), and if not, why. */
export function nativeKernelsStatus(): NativeKernelsStatus {
  return addonStatus();
}

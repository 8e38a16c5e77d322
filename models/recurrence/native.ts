/**
 * Loads the native fused LSTM/GRU kernels (native/, built by scripts/build-native.js at
 * `npm install`). Optional by design: when the addon is missing, fails to load, or
 * TIDAL_NO_NATIVE=1, loadNativeKernels() returns null and nativeKernelsStatus() says why.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RecurrenceKernels } from './kernel-api.ts';

/** Where scripts/build-native.js leaves the addon (node-gyp's output under native/). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/tidal_recurrence.node', import.meta.url));

interface Addon extends Omit<RecurrenceKernels, 'name'> {
  isa: string;
}

export interface NativeKernelsStatus {
  loaded: boolean;
  /** 'native-avx2' or 'native-generic' when loaded, else why not. */
  detail: string;
}

let kernels: RecurrenceKernels | null | undefined;
let status: NativeKernelsStatus = { loaded: false, detail: 'not loaded yet' };

function load(): RecurrenceKernels | null {
  if (process.env.TIDAL_NO_NATIVE === '1') {
    status = { loaded: false, detail: 'disabled by TIDAL_NO_NATIVE=1' };
    return null;
  }
  if (!existsSync(NATIVE_ADDON_PATH)) {
    status = { loaded: false, detail: `addon not built (${NATIVE_ADDON_PATH} missing; run node scripts/build-native.js)` };
    return null;
  }
  try {
    const addon = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Addon;
    const name = `native-${addon.isa}`;
    status = { loaded: true, detail: name };
    return {
      name,
      lstmForward: (a) => addon.lstmForward(a),
      lstmBackward: (a) => addon.lstmBackward(a),
      gruForward: (a) => addon.gruForward(a),
      gruBackward: (a) => addon.gruBackward(a),
    };
  } catch (err) {
    status = { loaded: false, detail: `addon failed to load: ${(err as Error).message}` };
    return null;
  }
}

/** The native kernels, or null when they are not available (never throws). Loaded once. */
export function loadNativeKernels(): RecurrenceKernels | null {
  if (kernels === undefined) kernels = load();
  return kernels;
}

/** Whether the native kernels loaded, and if not, why. */
export function nativeKernelsStatus(): NativeKernelsStatus {
  loadNativeKernels();
  return { ...status };
}

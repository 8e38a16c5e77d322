/**
 * The one native addon (native/, built by scripts/build-native.js at `npm install`), loaded once
 * and shared by the recurrent and layer kernels. Optional by design: when it is missing, fails to
 * load, or TIDAL_NO_NATIVE=1, loadAddon() returns null and addonStatus() says why.
 * TIDAL_NATIVE_ISA=generic|avx2-fma (read by the addon at load) forces an instruction set.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { RecurrenceKernels } from '../recurrence/kernel-api.ts';
import type { LayerKernels } from './kernel-api.ts';

/** Where scripts/build-native.js leaves the addon (node-gyp's output under native/). */
export const NATIVE_ADDON_PATH = fileURLToPath(new URL('../../native/build/Release/tidal_recurrence.node', import.meta.url));

export interface NativeAddon extends Omit<RecurrenceKernels, 'name'>, LayerKernels {
  /** The kernel table chosen at load time: 'avx2-fma' or 'generic'. */
  isa: string;
  /** Frees the calling thread's scratch buffers (re-allocated on the next call). */
  release(): void;
}

export interface AddonStatus {
  loaded: boolean;
  /** 'native-avx2-fma' or 'native-generic' when loaded, else why not. */
  detail: string;
}

let addon: NativeAddon | null | undefined;
let status: AddonStatus = { loaded: false, detail: 'not loaded yet' };

function load(): NativeAddon | null {
  if (process.env.TIDAL_NO_NATIVE === '1') {
    status = { loaded: false, detail: 'disabled by TIDAL_NO_NATIVE=1' };
    return null;
  }
  if (!existsSync(NATIVE_ADDON_PATH)) {
    status = { loaded: false, detail: `addon not built (${NATIVE_ADDON_PATH} missing; run node scripts/build-native.js)` };
    return null;
  }
  try {
    const loaded = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as NativeAddon;
    status = { loaded: true, detail: `native-${loaded.isa}` };
    return loaded;
  } catch (err) {
    status = { loaded: false, detail: `addon failed to load: ${(err as Error).message}` };
    return null;
  }
}

/** The addon, or null when it is not available (never throws). Loaded once. */
export function loadAddon(): NativeAddon | null {
  if (addon === undefined) addon = load();
  return addon;
}

/** Whether the addon loaded, and if not, why. */
export function addonStatus(): AddonStatus {
  loadAddon();
  return { ...status };
}

/**
 * The native code path this process trains with, for the manifest and the job key:
 * 'native-avx2-fma', 'native-generic', or 'none' when the addon is not loaded. Results differ in
 * the last bits between paths (FMA rounding), so same seed + same path => same bytes.
 */
export function nativeKernelPath(): string {
  const a = loadAddon();
  return a ? `native-${a.isa}` : 'none';
}

/** Frees the addon's thread-local scratch buffers, e.g. between jobs of a long-lived worker. */
export function releaseNativeBuffers(): void {
  loadAddon()?.release();
}

/**
 * Picks the tfjs backend: the fastest one present unless the caller names one.
 *
 * tfjs-node(-gpu) cannot be a dependency (its install downloads libtensorflow), so it is found
 * with a guarded dynamic import at run time. WebGPU needs two optional packages that are not
 * dependencies either (Dawn is a large download and most users have no GPU); see WEBGPU_INSTALL.
 * Dawn's Vulkan path is tried first, then its OpenGL ES path over headless EGL, which is also how
 * Mesa's llvmpipe runs WebGPU on a machine without a GPU.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// webgpu before tfjs-node's CPU build: with a hardware adapter its fused WGSL recurrence is the fast path.
export const BACKEND_NAMES = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** How a user with a GPU adds the webgpu backend (not saved: the packages stay optional). */
export const WEBGPU_INSTALL = 'npm install --no-save webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';

/** What was chosen, for the run manifest. */
export interface BackendChoice {
  name: BackendName;
  /** The tfjs backend name as tf.getBackend() reports it. */
  tfBackend: string;
  /** The device behind webgpu and the graphics API Dawn drives it with; absent for other backends. */
  adapter?: string;
  tried: { name: BackendName; error?: string }[];
}

const require = createRequire(import.meta.url);

async function importOptional(specifier: string): Promise<unknown> {
  // A variable specifier keeps bundlers and tsc from resolving a package that may be absent.
  const spec = specifier;
  return import(spec);
}

/** The parts of Dawn's WebGPU objects used here (its types package is not a dependency). */
interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter?: boolean;
}
interface Gpu {
  requestAdapter(options?: Record<string, unknown>): Promise<{ info: GpuAdapterInfo } | null>;
}
interface DawnModule {
  create(options: string[]): Gpu;
  globals: Record<string, unknown>;
}

interface WebGpuAdapter {
  gpu: Gpu;
  info: GpuAdapterInfo;
  api: 'vulkan' | 'opengles';
}

// CPU rasterisers: Mesa's llvmpipe (GL) / lavapipe (Vulkan) / softpipe, Google's SwiftShader,
// Windows' WARP. On them the wasm or native backends are faster than WebGPU.
const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|basic render driver/i;

function isSoftwareAdapter(info: GpuAdapterInfo): boolean {
  return info.isFallbackAdapter === true || SOFTWARE_ADAPTER.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

function describeAdapter({ info, api }: WebGpuAdapter): string {
  const name = [info.vendor, info.device].filter(Boolean).join(' ') || 'unnamed adapter';
  return `${name}${info.description ? ` (${info.description})` : ''} via ${api}`;
}

async function findWebGpuAdapter(dawn: DawnModule): Promise<WebGpuAdapter> {
  const vulkan = dawn.create([]);
  const vulkanAdapter = await vulkan.requestAdapter();
  if (vulkanAdapter) return { gpu: vulkan, info: vulkanAdapter.info, api: 'vulkan' };

  // No display server on a GPU server or in CI.
  process.env.EGL_PLATFORM ??= 'surfaceless';
  const gles = dawn.create(['backend=opengles']);
  // OpenGL ES offers only WebGPU's 'compatibility' feature level and tfjs never asks for it,
  // so every adapter request made through this object asks for it.
  const request = gles.requestAdapter.bind(gles);
  Object.defineProperty(gles, 'requestAdapter', {
    value: (options: Record<string, unknown> = {}) => request({ ...options, featureLevel: 'compatibility' }),
  });
  const glesAdapter = await gles.requestAdapter();
  if (glesAdapter) return { gpu: gles, info: glesAdapter.info, api: 'opengles' };
  throw new Error(
    'Dawn found no WebGPU adapter: none through Vulkan (needs the Vulkan loader, Debian package libvulkan1, ' +
      "and a GPU driver's ICD file; VK_DRIVER_FILES can name it) and none through OpenGL ES (needs libegl1 and libgles2)",
  );
}

/** Loaded and found once a process: Dawn keeps its instances for the life of the process anyway. */
let webgpu: { dawn: DawnModule; adapter: WebGpuAdapter } | null = null;

async function activateWebGpu(auto: boolean): Promise<{ tfBackend: string; adapter: string }> {
  if (!webgpu) {
    let dawn: DawnModule;
    try {
      dawn = (await importOptional('webgpu')) as DawnModule;
    } catch (err) {
      throw new Error(`the optional 'webgpu' package did not load (install it with: ${WEBGPU_INSTALL}): ${(err as Error).message}`);
    }
    webgpu = { dawn, adapter: await findWebGpuAdapter(dawn) };
  }
  const { dawn, adapter: found } = webgpu;
  const adapter = describeAdapter(found);
  if (auto && isSoftwareAdapter(found.info)) {
    throw new Error(`the only WebGPU adapter is a CPU rasteriser, ${adapter}, slower than wasm; --backend webgpu forces it`);
  }
  if (!tf.findBackendFactory('webgpu')) {
    // tfjs-backend-webgpu registers itself on import only if navigator.gpu exists, and its
    // kernels use the WebGPU constants (GPUBufferUsage, ...) that browsers make global.
    for (const [key, value] of Object.entries(dawn.globals)) {
      if (!(key in globalThis)) Object.defineProperty(globalThis, key, { value, configurable: true, writable: true });
    }
    const g = globalThis as { navigator?: object };
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: found.gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu: found.gpu }, configurable: true });
    try {
      await importOptional('@tensorflow/tfjs-backend-webgpu');
    } catch (err) {
      throw new Error(`the optional '@tensorflow/tfjs-backend-webgpu' package did not load (install it with: ${WEBGPU_INSTALL}): ${(err as Error).message}`);
    }
    if (!tf.findBackendFactory('webgpu')) throw new Error('@tensorflow/tfjs-backend-webgpu loaded but registered no webgpu backend');
  }
  // The default picks a split-K matMul for some shapes, whose atomic adds make sums
  // order-dependent; the packed program (3) gives the same bits on every run.
  tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', 3);
  return { tfBackend: 'webgpu', adapter };
}

async function activate(name: BackendName, auto: boolean): Promise<{ tfBackend: string; adapter?: string }> {
  switch (name) {
    case 'tensorflow-gpu':
      await importOptional('@tensorflow/tfjs-node-gpu');
      return { tfBackend: 'tensorflow' };
    case 'tensorflow':
      await importOptional('@tensorflow/tfjs-node');
      return { tfBackend: 'tensorflow' };
    case 'webgpu':
      return activateWebGpu(auto);
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(join(dist, '/'));
      return { tfBackend: 'wasm' };
    }
    case 'cpu':
      return { tfBackend: 'cpu' };
  }
}

/**
 * Activates `requested`, or the first backend of BACKEND_NAMES that loads when it is 'auto'
 * (skipping webgpu when its only adapter is a CPU rasteriser).
 * A named backend that cannot load is an error, not a silent fallback.
 */
export async function selectBackend(requested: BackendName | 'auto' = 'auto'): Promise<BackendChoice> {
  if (requested !== 'auto' && !BACKEND_NAMES.includes(requested)) {
    throw new Error(`unknown backend '${requested}': expected 'auto' or one of ${BACKEND_NAMES.join(', ')}`);
  }
  const auto = requested === 'auto';
  const candidates = auto ? BACKEND_NAMES : [requested];
  const tried: BackendChoice['tried'] = [];
  for (const name of candidates) {
    try {
      const { tfBackend, adapter } = await activate(name, auto);
      // A backend whose factory throws (e.g. the GPU device cannot be created) makes setBackend return false.
      if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend('${tfBackend}') returned false`);
      await tf.ready();
      tried.push({ name });
      return adapter ? { name, tfBackend, adapter, tried } : { name, tfBackend, tried };
    } catch (err) {
      const message = (err as Error).message.split('\n')[0];
      tried.push({ name, error: message });
      if (!auto) throw new Error(`backend '${name}' is not available: ${message}`);
    }
  }
  throw new Error(`no tfjs backend could be activated: ${JSON.stringify(tried)}`);
}

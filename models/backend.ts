/**
 * Picks the tfjs backend: the fastest one present unless the caller names one.
 *
 * tfjs-node(-gpu) cannot be a dependency (its install downloads libtensorflow), so it is found
 * with a guarded dynamic import at run time. WebGPU needs the optional `webgpu` package (Dawn).
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const BACKEND_NAMES = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** What was chosen, for the run manifest. */
export interface BackendChoice {
  name: BackendName;
  /** The tfjs backend name as tf.getBackend() reports it. */
  tfBackend: string;
  tried: { name: BackendName; error?: string }[];
}

const require = createRequire(import.meta.url);

async function importOptional(specifier: string): Promise<unknown> {
  // A variable specifier keeps bundlers and tsc from resolving a package that may be absent.
  const spec = specifier;
  return import(spec);
}

async function activate(name: BackendName): Promise<string> {
  switch (name) {
    case 'tensorflow-gpu':
      await importOptional('@tensorflow/tfjs-node-gpu');
      return 'tensorflow';
    case 'tensorflow':
      await importOptional('@tensorflow/tfjs-node');
      return 'tensorflow';
    case 'webgpu': {
      const webgpu = (await importOptional('webgpu')) as { create: (o: string[]) => unknown };
      const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
      if (!g.navigator?.gpu) {
        Object.defineProperty(globalThis, 'navigator', {
          value: { gpu: webgpu.create([]) },
          configurable: true,
        });
      }
      await importOptional('@tensorflow/tfjs-backend-webgpu');
      return 'webgpu';
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      wasm.setWasmPaths(join(dist, '/'));
      return 'wasm';
    }
    case 'cpu':
      return 'cpu';
  }
}

/**
 * Activates `requested`, or the first backend of BACKEND_NAMES that loads when it is 'auto'.
 * A named backend that cannot load is an error, not a silent fallback.
 */
export async function selectBackend(requested: BackendName | 'auto' = 'auto'): Promise<BackendChoice> {
  const candidates = requested === 'auto' ? BACKEND_NAMES : [requested];
  const tried: BackendChoice['tried'] = [];
  for (const name of candidates) {
    try {
      const tfBackend = await activate(name);
      if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend('${tfBackend}') returned false`);
      await tf.ready();
      tried.push({ name });
      return { name, tfBackend, tried };
    } catch (err) {
      tried.push({ name, error: (err as Error).message.split('\n')[0] });
      if (requested !== 'auto') {
        throw new Error(`backend '${name}' is not available: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  throw new Error(`no tfjs backend could be activated: ${JSON.stringify(tried)}`);
}

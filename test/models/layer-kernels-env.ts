/** TIDAL_LAYER_KERNELS for one piece of a test (models/native/path.ts reads it at every layer call). */

/**
 * Runs fn with the layer kernels forced to `path` (unchanged when undefined) and restores the
 * variable afterwards, after the promise settles when fn is async.
 */
export function withLayerKernels<T>(path: 'ops' | 'native' | undefined, fn: () => T): T {
  const keep = process.env.TIDAL_LAYER_KERNELS;
  if (path) process.env.TIDAL_LAYER_KERNELS = path;
  const restore = () => {
    if (keep === undefined) delete process.env.TIDAL_LAYER_KERNELS;
    else process.env.TIDAL_LAYER_KERNELS = keep;
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

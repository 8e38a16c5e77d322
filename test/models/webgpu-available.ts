// Whether the webgpu tests can run here: the optional packages and a Dawn adapter (a GPU, or
// Mesa's llvmpipe through EGL/GLES). Returns false, or the one line a skip prints.
import { createRequire } from 'node:module';
import { WEBGPU_INSTALL, selectBackend } from '../../models/backend.ts';

const require = createRequire(import.meta.url);

export function installed(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/** False when the optional webgpu packages are installed, else the line a skip prints. */
export function webgpuPackagesMissing(): false | string {
  return installed('webgpu') && installed('@tensorflow/tfjs-backend-webgpu') ? false : `webgpu packages not installed (${WEBGPU_INSTALL})`;
}

export async function webgpuSkipReason(): Promise<false | string> {
  const missing = webgpuPackagesMissing();
  if (missing) return missing;
  try {
    await selectBackend('webgpu');
    await selectBackend('cpu');
    return false;
  } catch (err) {
    return `no WebGPU adapter (apt-get install libegl1 libegl-mesa0 libgles2 mesa-vulkan-drivers libvulkan1): ${(err as Error).message.split('\n')[0]}`;
  }
}

// Builds the native kernels (native/: recurrence, conv, attention, LayerNorm) with npm's bundled node-gyp, at
// `npm install` time. Never fails the install: on any problem it prints one warning line and
// exits 0, and models/native/addon.ts then reports the kernels as unavailable.
// TIDAL_NO_NATIVE=1 skips the build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');

function fallback(reason) {
  console.warn(`native kernels not built (${reason}); falling back to tf-ops layers`);
  process.exit(0);
}

// npm runs lifecycle scripts with npm_execpath = its own CLI; otherwise look next to node.
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}

if (process.env.TIDAL_NO_NATIVE === '1') fallback('TIDAL_NO_NATIVE=1');
if (!existsSync(join(nativeDir, 'binding.gyp'))) fallback('native/binding.gyp missing');
const nodeGyp = findNodeGyp();
if (!nodeGyp) fallback("npm's node-gyp not found");

// Outside npm (which passes its nodedir setting), point node-gyp at this node's own headers so
// it does not try to download them.
const args = [nodeGyp, 'rebuild', '--loglevel=error'];
const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

try {
  const result = spawnSync(process.execPath, args, {
    cwd: nativeDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  if (result.error) fallback(`node-gyp did not run: ${result.error.message}`);
  if (result.status !== 0) {
    const lines = `${result.stderr}\n${result.stdout}`.split('\n').map((l) => l.trim());
    const lastError = lines.find((l) => /stack Error:|error:/.test(l)) ?? lines.find((l) => /ERR!/.test(l));
    fallback(`node-gyp exited with ${result.status}${lastError ? `: ${lastError.slice(0, 200)}` : ''}`);
  }
  if (!existsSync(join(nativeDir, 'build', 'Release', 'tidal_recurrence.node'))) fallback('build produced no tidal_recurrence.node');
  console.log('native kernels built: native/build/Release/tidal_recurrence.node');
} catch (err) {
  fallback(err instanceof Error ? err.message : String(err));
}

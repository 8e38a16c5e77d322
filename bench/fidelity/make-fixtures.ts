/**
 * `npm run fidelity:fixtures`: runs bench/fidelity/make_fixtures.py with the first python3 that
 * can import torch (the one on PATH first, then the system one).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PYTHONS = ['python3', '/usr/bin/python3'];
const script = join(dirname(fileURLToPath(import.meta.url)), 'make_fixtures.py');

const python = PYTHONS.find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
if (!python) {
  console.error(`fidelity:fixtures needs a python3 with torch (tried ${PYTHONS.join(', ')}): apt-get install python3-torch, or pip install torch`);
  process.exit(1);
}
const result = spawnSync(python, [script], { stdio: 'inherit' });
process.exit(result.status ?? 1);

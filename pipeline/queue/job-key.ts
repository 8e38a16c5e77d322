/**
 * The key a queued job carries: what a worker must match to train it and produce the bytes a
 * local run would. A worker checks what it can see for itself (its code, the run folder's data,
 * its backend) and refuses a job whose key differs, saying what differs; the kernels are in the
 * job's own key (TrainJobSpec.kernels), which the training process checks once tfjs is up.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunCatalog, hashFile } from '../../core/index.ts';
import type { BackendName } from '../../models/backend.ts';
import type { TrainJobSpec } from '../train-job.ts';

export interface JobKey {
  /** package.json version. */
  tidal: string;
  /** SHA-256 of the source files that shape training (see codeVersion). */
  code: string;
  /** The job's cache key: its config, recipe, seed, fold and the hashes of the data it reads. */
  config: string;
  /** SHA-256 of the feature layouts and folds.csv the job reads, as the coordinator saw them. */
  data: string;
  backend: BackendName;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Folders that do not change what a job computes (or are not code). */
const SKIP = new Set(['node_modules', 'test', 'bench', 'docs', 'runs', 'input', 'build']);
const CODE_FILE = /\.(ts|js|c|h|gyp|json)$/;

let cachedCode: string | null = null;

/** A hash of every source file (and the lock file's dependency versions) under the checkout. */
export function codeVersion(): string {
  if (cachedCode) return cachedCode;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && CODE_FILE.test(entry.name)) files.push(path);
    }
  };
  walk(ROOT);
  const hash = createHash('sha256');
  for (const path of files.sort()) hash.update(`${relative(ROOT, path)}\0`).update(readFileSync(path)).update('\0');
  cachedCode = hash.digest('hex');
  return cachedCode;
}

export function tidalVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}


const dataHashes = new Map<string, Promise<string>>();

/** One hash over the files a job reads; a file is hashed again only when its size or mtime changed. */
export async function dataVersion(spec: Pick<TrainJobSpec, 'runDir' | 'trainFeatures' | 'testFeatures' | 'round'>): Promise<string> {
  const catalog = new RunCatalog(spec.runDir);
  const paths = [join(catalog.cacheDir, spec.trainFeatures), join(catalog.cacheDir, spec.testFeatures), catalog.folds];
  if (spec.round !== undefined) paths.push(catalog.pseudoLabels(spec.round));
  const parts = await Promise.all(
    paths.map((path) => {
      const { size, mtimeMs } = statSync(path);
      const id = `${path}\0${size}\0${mtimeMs}`;
      let hash = dataHashes.get(id);
      if (!hash) {
        hash = hashFile(path);
        dataHashes.set(id, hash);
        hash.catch(() => dataHashes.delete(id));
      }
      return hash;
    }),
  );
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

const short = (hash: string) => hash.slice(0, 12);

/** Why this worker must not train the job, or null when everything matches. */
export function keyMismatch(job: JobKey, here: Omit<JobKey, 'config'>): string | null {
  const reasons: string[] = [];
  if (job.tidal !== here.tidal) reasons.push(`tidal ${here.tidal} here, ${job.tidal} on the coordinator`);
  if (job.code !== here.code) reasons.push(`code ${short(here.code)} here, ${short(job.code)} on the coordinator (check out the same commit and npm install)`);
  if (job.data !== here.data) reasons.push(`the run folder's data hashes to ${short(here.data)} here, ${short(job.data)} on the coordinator (a stale or different mount?)`);
  if (job.backend !== here.backend) reasons.push(`backend ${here.backend} here, ${job.backend} wanted (start the worker with --backend ${job.backend})`);
  return reasons.length > 0 ? reasons.join('; ') : null;
}

/**
 * What the coordinator and the workers exchange through the queue: one BullMQ job per
 * (model, fold) training job, its id derived from the job so that enqueueing it again (a restarted
 * coordinator) finds the job already there instead of adding a second one.
 */
import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { TrainJobSpec } from '../train-job.ts';
import type { JobKey } from './job-key.ts';

/** The BullMQ queue every coordinator and worker of this Redis database shares. */
export const QUEUE_NAME = 'tidal-train';

export interface QueueJobData {
  label: string;
  epochs: number;
  /** The run folder as the coordinator sees it (absolute); the spec's paths lie under it. */
  runDir: string;
  spec: TrainJobSpec;
  key: JobKey;
}

/** What a worker reports after each epoch (job.updateProgress). */
export interface QueueJobProgress {
  epoch: number;
  epochs: number;
  info: string;
  host: string;
}

/** Same job in the same run folder -> same id; another config or folder -> another id. */
export function queueJobId(spec: TrainJobSpec): string {
  const readable = `${spec.modelId}-fold${spec.fold}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  const digest = createHash('sha256').update(`${spec.key}\n${spec.jobDir}`).digest('hex').slice(0, 16);
  return `${readable}-${digest}`;
}

const PATH_FIELDS = ['jobDir', 'trainFeatures', 'testFeatures', 'foldsPath'] as const;

/**
 * The spec with its run-folder paths moved from `runDir` to `runsRoot/<run folder name>`, for a
 * worker that mounts the shared runs folder elsewhere. Paths outside the run folder are errors:
 * the worker could not find them.
 */
export function mapRunsRoot(spec: TrainJobSpec, runDir: string, runsRoot: string | undefined): TrainJobSpec {
  if (runsRoot === undefined) return spec;
  const base = runDir.split(sep).filter(Boolean).pop()!;
  const mapped = { ...spec };
  for (const field of PATH_FIELDS) {
    const inside = relative(runDir, spec[field]);
    if (inside.startsWith('..') || isAbsolute(inside)) throw new Error(`${field} ${spec[field]} lies outside the run folder ${runDir}; --runs-root cannot map it`);
    mapped[field] = join(runsRoot, base, inside);
  }
  return mapped;
}

export const SPEC_PATH_FIELDS = PATH_FIELDS;

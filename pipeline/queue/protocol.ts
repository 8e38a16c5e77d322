/**
 * What the coordinator and the workers exchange through the queue: one BullMQ job per
 * (model, fold) training job, its id derived from the job so that enqueueing it again (a restarted
 * coordinator) finds the job already there instead of adding a second one.
 */
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import type { TrainJobSpec } from '../train-job.ts';
import type { JobKey } from './job-key.ts';

/** The BullMQ queue every coordinator and worker of this Redis database shares. */
export const QUEUE_NAME = 'tidal-train';

export interface QueueJobData {
  label: string;
  epochs: number;
  /** The run folder as the coordinator sees it (absolute). */
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
  const digest = createHash('sha256').update(`${spec.key}\n${spec.runDir}`).digest('hex').slice(0, 16);
  return `${readable}-${digest}`;
}

/**
 * The spec with its run folder moved from `runDir` to `runsRoot/<run folder name>`, for a worker
 * that mounts the shared runs folder elsewhere (every path a job reads or writes lies in it).
 */
export function mapRunsRoot(spec: TrainJobSpec, runDir: string, runsRoot: string | undefined): TrainJobSpec {
  if (runsRoot === undefined) return spec;
  return { ...spec, runDir: join(runsRoot, basename(runDir)) };
}

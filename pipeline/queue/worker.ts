/**
 * `tidal worker`'s engine: a BullMQ Worker that takes (model, fold) jobs from the queue and trains
 * each in its own process with the same code as the local pool (runTrainProcess), reporting epochs
 * as job progress. Training resumes from the job folder's last saved epoch, so a job whose worker
 * died continues where it stopped on whichever worker takes it next; a job whose done.json is
 * written is never trained again.
 *
 * A job is refused (failed without retry, the reason shown by the coordinator) when this worker's
 * code, data, backend or kernels differ from the coordinator's: it would not make the same bytes.
 */
import { hostname } from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { BackendName } from '../../models/backend.ts';
import { runTrainProcess } from '../job-pool.ts';
import { jobFilesOf, readDone } from '../train-job.ts';
import { codeVersion, dataVersion, keyMismatch, tidalVersion } from './job-key.ts';
import { QUEUE_NAME, mapRunsRoot, type QueueJobData, type QueueJobProgress } from './protocol.ts';
import { checkRedisReachable, connectRedis, redactRedisUrl } from './redis-connection.ts';

export interface QueueWorkerOptions {
  url: string;
  /** Jobs trained at once, each in its own process. */
  concurrency: number;
  /** The backend this machine trains on; jobs made for another are refused. */
  backend: BackendName;
  /** Where this machine mounts the coordinator's runs folder, when not at the same path. */
  runsRoot?: string;
  /** How long a job's lock lasts without renewal: how soon a dead worker's job goes back to the queue. */
  lockDurationMs: number;
  log: (line: string) => void;
}

export interface QueueWorker {
  /** This worker's name on the jobs it takes (host:pid). */
  name: string;
  /** Resolves when the worker is connected and taking jobs. */
  ready: Promise<void>;
  /** Stops taking jobs without waiting for running ones (they go back to the queue when their locks expire). */
  close(): Promise<void>;
}

/** A stalled job goes back to the queue this many times before it fails (each machine death is one). */
const MAX_STALLS = 10;

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const { url, log } = options;
  const shown = redactRedisUrl(url);
  await checkRedisReachable(url);
  const name = `${hostname()}:${process.pid}`;
  const here = { tidal: tidalVersion(), code: codeVersion(), backend: options.backend };

  const processJob = async (job: Job<QueueJobData>, _token?: string, signal?: AbortSignal) => {
    const { label, key, runDir } = job.data;
    let spec;
    let data: string;
    try {
      spec = mapRunsRoot(job.data.spec, runDir, options.runsRoot);
      data = await dataVersion(spec);
    } catch (err) {
      throw new UnrecoverableError(`${name} cannot read ${label}'s data: ${(err as Error).message} (mount the run folder at ${runDir}, or pass --runs-root)`);
    }
    const mismatch = keyMismatch(key, { ...here, data });
    if (mismatch) throw new UnrecoverableError(`${name} refuses ${label}: ${mismatch}`);
    const done = readDone(jobFilesOf(spec), spec.key);
    if (done) {
      log(`${label}: already done, not trained again`);
      return { ...done, info: `best MAE ${done.bestValidMae.toFixed(4)} at epoch ${done.bestEpoch}` };
    }
    log(`${label}: training (attempt ${job.attemptsMade + 1})`);
    const summary = await runTrainProcess(label, spec, {
      signal,
      onEpoch: (epoch, epochs, info) => {
        log(`${label}: epoch ${epoch}/${epochs} ${info}`);
        const progress: QueueJobProgress = { epoch, epochs, info, host: name };
        job.updateProgress(progress).catch(() => {});
      },
    }).catch((err: Error) => {
      // The coordinator names the job itself: keep its failure reason to the cause.
      throw new Error(err.message.startsWith(`${label}: `) ? err.message.slice(label.length + 2) : err.message);
    });
    log(`${label}: ${String(summary.info ?? 'done')}`);
    return summary;
  };

  const client = connectRedis(url);
  const worker = new Worker<QueueJobData>(QUEUE_NAME, processJob, {
    connection: client,
    concurrency: options.concurrency,
    name,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.lockDurationMs,
    maxStalledCount: MAX_STALLS,
  });
  // A lock this worker could not renew may already be another worker's: stop training that job.
  worker.on('lockRenewalFailed', (ids) => ids.forEach((id) => worker.cancelJob(id, 'its lock was lost')));
  worker.on('failed', (job, err) => log(`${job?.data.label ?? 'a job'} failed: ${err.message}`));
  let lastError = 0;
  worker.on('error', (err) => {
    if (Date.now() - lastError < 10_000) return;
    lastError = Date.now();
    log(`queue ${shown}: ${err.message} (reconnecting)`);
  });
  log(`worker ${name} on ${shown}: backend ${here.backend}, code ${here.code.slice(0, 12)}, ${options.concurrency} job(s) at once`);
  return {
    name,
    ready: worker.waitUntilReady(),
    async close() {
      await worker.close(true);
      // BullMQ leaves a client it was given open.
      client.disconnect();
    },
  };
}

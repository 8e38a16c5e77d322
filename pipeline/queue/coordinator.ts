/**
 * The coordinator's side of training on the queue: runJobsOnQueue() has the shape of runJobPool()
 * but, instead of forking the jobs, puts each one on a BullMQ queue for `tidal worker` processes
 * on any machine, shows their progress from the queue's events, and resolves when all are done.
 *
 * The queue, not this process, holds the work: a coordinator killed and started again finds its
 * jobs by id (running, waiting or done) and waits for them; a job that vanished from Redis (a
 * restart without persistence) is enqueued again unless its done.json is already written.
 */
import { resolve } from 'node:path';
import { Queue, QueueEvents, type Job } from 'bullmq';
import type { PoolJob } from '../job-pool.ts';
import type { JobProgress, Progress } from '../progress.ts';
import { jobFilesOf, readDone, type TrainJobSpec } from '../train-job.ts';
import { codeVersion, dataVersion, tidalVersion } from './job-key.ts';
import { QUEUE_NAME, queueJobId, type QueueJobData, type QueueJobProgress } from './protocol.ts';
import { checkRedisReachable, connectRedis, redactRedisUrl } from './redis-connection.ts';

export interface QueueRunOptions {
  /** redis://[:password@]host:port[/db] or rediss://… */
  url: string;
  /** The run folder; workers must see it at the same absolute path (or map it with --runs-root). */
  runDir: string;
  /** Tries per job before the run fails (BullMQ `attempts`); default 2. */
  attempts?: number;
  /** How often pending jobs are read back besides the events, which a Redis restart can lose; default 2000 ms. */
  pollMs?: number;
}

type Outcome = { kind: 'done'; summary: Record<string, unknown> } | { kind: 'failed'; error: string } | { kind: 'cancelled' };

interface Tracked {
  id: string;
  data: QueueJobData;
  bar: JobProgress | null;
  host: string | null;
  attemptsSeen: number;
  outcome: Outcome | null;
  /** Reads of this job's state run one after another (events and polls both trigger them). */
  syncing: Promise<void>;
}

/** Keep finished jobs a week, so a coordinator restarted in that time still finds them. */
const KEEP_SECONDS = 7 * 24 * 3600;

function absoluteSpec(spec: TrainJobSpec): TrainJobSpec {
  return { ...spec, runDir: resolve(spec.runDir) };
}

const jobFiles = (spec: TrainJobSpec) => jobFilesOf(spec);

/**
 * Enqueues every job, waits for all of them and returns their summaries in order. After the first
 * job that fails for good, jobs not yet started are taken off the queue, running ones finish, and
 * the failure is thrown (as the local pool does).
 */
export async function runJobsOnQueue(jobs: PoolJob<TrainJobSpec>[], options: QueueRunOptions, progress: Progress): Promise<Record<string, unknown>[]> {
  const { url } = options;
  const shown = redactRedisUrl(url);
  await checkRedisReachable(url);
  const attempts = options.attempts ?? 2;
  const runDir = resolve(options.runDir);
  const code = codeVersion();
  const tidal = tidalVersion();

  const tracked = new Map<string, Tracked>();
  for (const job of jobs) {
    const spec = absoluteSpec(job.spec);
    const key = { tidal, code, config: spec.key, data: await dataVersion(spec), backend: spec.backend };
    const id = queueJobId(spec);
    tracked.set(id, { id, data: { label: job.label, epochs: job.epochs, runDir, spec, key }, bar: null, host: null, attemptsSeen: 0, outcome: null, syncing: Promise.resolve() });
  }

  // BullMQ leaves clients it was given open on close(): they are closed here, last.
  const clients = [connectRedis(url), connectRedis(url)];
  const queue = new Queue<QueueJobData>(QUEUE_NAME, { connection: clients[0] });
  const events = new QueueEvents(QUEUE_NAME, { connection: clients[1] });
  let lastRedisError = 0;
  const redisError = (err: Error) => {
    if (Date.now() - lastRedisError < 10_000) return;
    lastRedisError = Date.now();
    progress.log(`queue ${shown}: ${err.message} (reconnecting)`);
  };
  queue.on('error', redisError);
  events.on('error', redisError);

  let poll: NodeJS.Timeout | undefined;
  try {
    await events.waitUntilReady();
    return await new Promise<Record<string, unknown>[]>((resolveAll, rejectAll) => {
      let stopping = false;
      const bar = (t: Tracked) => (t.bar ??= progress.job(t.data.label, t.data.epochs));
      const on = (t: Tracked) => (t.host ? ` on ${t.host}` : '');

      const add = (t: Tracked) =>
        queue.add('train', t.data, {
          jobId: t.id,
          attempts,
          backoff: { type: 'fixed', delay: 1000 },
          removeOnComplete: { age: KEEP_SECONDS },
          removeOnFail: { age: KEEP_SECONDS },
        });

      const finishIfAllSettled = () => {
        const all = [...tracked.values()];
        if (all.some((t) => !t.outcome)) return;
        clearInterval(poll);
        const failed = all.flatMap((t) => (t.outcome!.kind === 'failed' ? [t.outcome!.error] : []));
        if (failed.length > 0) rejectAll(new Error(failed.join('\n')));
        else resolveAll(all.map((t) => (t.outcome as { summary: Record<string, unknown> }).summary));
      };

      const stopQueued = async () => {
        for (const t of tracked.values()) {
          if (t.outcome) continue;
          // 0 when a worker holds the job: that one finishes and settles through its events.
          if ((await queue.remove(t.id)) === 1) t.outcome = { kind: 'cancelled' };
        }
      };

      const settle = (t: Tracked, outcome: Outcome) => {
        if (t.outcome) return;
        t.outcome = outcome;
        if (outcome.kind === 'done') bar(t).finish(String(outcome.summary.info ?? 'done'));
        else if (outcome.kind === 'failed') {
          bar(t).finish('failed');
          progress.log(outcome.error);
          if (!stopping) {
            stopping = true;
            stopQueued().then(finishIfAllSettled, redisError);
            return;
          }
        }
        finishIfAllSettled();
      };

      const readState = async (t: Tracked) => {
        if (t.outcome) return;
        const { spec, label } = t.data;
        const job: Job<QueueJobData> | undefined = await queue.getJob(t.id);
        if (!job) {
          const done = readDone(jobFiles(spec), spec.key);
          if (done) return settle(t, { kind: 'done', summary: { ...done, info: 'done' } });
          if (stopping) return settle(t, { kind: 'cancelled' });
          await add(t);
          progress.log(`${label}: missing from the queue (Redis restarted without its data?); enqueued again`);
          return;
        }
        if (job.processedBy) t.host = job.processedBy;
        const state = await job.getState();
        if (state === 'completed') {
          if (!readDone(jobFiles(spec), spec.key)) {
            return settle(t, { kind: 'failed', error: `${label}: finished${on(t)}, but ${jobFiles(spec).done} is not here: does that worker see this run folder (same path, or --runs-root)?` });
          }
          return settle(t, { kind: 'done', summary: job.returnvalue as Record<string, unknown> });
        }
        if (state === 'failed') {
          return settle(t, { kind: 'failed', error: `${label} failed${on(t)} after ${job.attemptsMade} of ${attempts} attempt(s): ${job.failedReason}` });
        }
        if (job.attemptsMade > t.attemptsSeen) {
          t.attemptsSeen = job.attemptsMade;
          progress.log(`${label}: attempt ${job.attemptsMade} of ${attempts} failed${on(t)}: ${job.failedReason}; retrying`);
        }
      };

      const sync = (t: Tracked) => {
        t.syncing = t.syncing.then(() => readState(t)).catch((err: Error) => redisError(err));
      };
      const syncId = ({ jobId }: { jobId: string }) => {
        const t = tracked.get(jobId);
        if (t) sync(t);
      };

      events.on('progress', ({ jobId, data }) => {
        const t = tracked.get(jobId);
        if (!t || t.outcome || typeof data !== 'object') return;
        const p = data as QueueJobProgress;
        if (p.host !== t.host) {
          t.host = p.host;
          progress.log(`${t.data.label}: training on ${p.host}`);
        }
        bar(t).update(p.epoch, `${p.info} on ${p.host}`);
      });
      events.on('stalled', ({ jobId }) => {
        const t = tracked.get(jobId);
        if (!t) return;
        progress.log(`${t.data.label}: its worker${on(t)} stopped renewing the job's lock (died or lost Redis); back on the queue`);
        sync(t);
      });
      for (const name of ['completed', 'failed', 'waiting', 'delayed', 'removed'] as const) events.on(name, syncId);

      const enqueue = async () => {
        for (const t of tracked.values()) {
          const { spec, label } = t.data;
          let existing: Job<QueueJobData> | undefined = await queue.getJob(t.id);
          if (existing) {
            const state = await existing.getState();
            const stale = state === 'failed' || (state === 'completed' && !readDone(jobFiles(spec), spec.key));
            if (stale) {
              await existing.remove();
              existing = undefined;
            } else {
              t.attemptsSeen = existing.attemptsMade;
              progress.log(`${label}: already on the queue (${state}${existing.processedBy ? ` on ${existing.processedBy}` : ''}); re-attached`);
            }
          }
          if (!existing) await add(t);
        }
        for (const t of tracked.values()) sync(t);
        poll = setInterval(() => tracked.forEach((t) => !t.outcome && sync(t)), options.pollMs ?? 2000);
      };
      enqueue().catch(rejectAll);
    });
  } finally {
    clearInterval(poll);
    await Promise.allSettled([events.close(), queue.close()]);
    for (const client of clients) client.disconnect();
  }
}

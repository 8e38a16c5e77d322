/**
 * Runs training jobs in child processes, at most `concurrency` at once (p-limit).
 *
 * Processes rather than worker threads: each job gets its own tfjs backend and WASM heap (capped
 * at 4 GB a process), its memory is returned to the system when it ends, and a native addon need
 * not be worker-safe. A child exits when its parent goes away, so a killed run leaves no orphans.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import type { Progress } from './progress.ts';

export type JobMessage =
  | { type: 'epoch'; epoch: number; epochs: number; info: string }
  | { type: 'done'; summary: Record<string, unknown> }
  | { type: 'error'; message: string; stack?: string };

export interface PoolJob<Spec> {
  label: string;
  /** Epochs in the job, for its progress bar. */
  epochs: number;
  spec: Spec;
}

const WORKER = fileURLToPath(new URL('./train-job-worker.ts', import.meta.url));

export interface TrainProcessHandlers {
  onEpoch(epoch: number, epochs: number, info: string): void;
  /** Aborting kills the training process (its outputs so far stay, for a resume). */
  signal?: AbortSignal;
}

/** Trains one job spec in a child process; resolves to its summary (`info` is a one-line result). */
export function runTrainProcess<Spec>(label: string, spec: Spec, handlers: TrainProcessHandlers): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    const abort = () => child.kill('SIGKILL');
    handlers.signal?.addEventListener('abort', abort, { once: true });
    const settle = () => {
      settled = true;
      handlers.signal?.removeEventListener('abort', abort);
    };
    child.on('message', (message: JobMessage) => {
      if (message.type === 'epoch') handlers.onEpoch(message.epoch, message.epochs, message.info);
      else if (message.type === 'done') {
        settle();
        resolve(message.summary);
      } else if (message.type === 'error') {
        settle();
        reject(new Error(`${label}: ${message.message}`));
      }
    });
    child.on('exit', (code, signal) => {
      if (!settled) {
        settle();
        const why = handlers.signal?.aborted ? `stopped: ${String(handlers.signal.reason ?? 'aborted')}` : `exited (${signal ?? `code ${code}`}) before finishing`;
        reject(new Error(`${label}: training process ${why}`));
      }
    });
    child.send({ type: 'start', spec });
  });
}

async function runChild<Spec>(job: PoolJob<Spec>, progress: Progress): Promise<Record<string, unknown>> {
  const bar = progress.job(job.label, job.epochs);
  try {
    const summary = await runTrainProcess(job.label, job.spec, { onEpoch: (epoch, _epochs, info) => bar.update(epoch, info) });
    bar.finish(String(summary.info ?? 'done'));
    return summary;
  } catch (err) {
    bar.finish('failed');
    throw err;
  }
}

/**
 * Runs every job; after the first failure no new job starts, running ones finish (their outputs
 * are kept for the next run), and the first error is thrown.
 */
export async function runJobPool<Spec>(jobs: PoolJob<Spec>[], concurrency: number, progress: Progress): Promise<Record<string, unknown>[]> {
  const limit = pLimit(concurrency);
  let failure: Error | null = null;
  const results = await Promise.all(
    jobs.map((job) =>
      limit(async () => {
        if (failure) return null;
        try {
          return await runChild(job, progress);
        } catch (err) {
          failure ??= err as Error;
          return null;
        }
      }),
    ),
  );
  if (failure) throw failure;
  return results as Record<string, unknown>[];
}

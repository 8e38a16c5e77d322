/**
 * Entry point of a training process forked by the job pool: receives one job spec, reports each
 * epoch and the result over IPC, and exits when the parent goes away (a killed run leaves no
 * orphan training on).
 */
import type { JobMessage } from './job-pool.ts';
import { runTrainJob, type TrainJobSpec } from './train-job.ts';

function send(message: JobMessage): void {
  process.send?.(message);
}

let finished = false;
process.on('disconnect', () => {
  if (!finished) process.exit(1);
});
process.once('message', async (message: { type: 'start'; spec: TrainJobSpec }) => {
  try {
    const done = await runTrainJob(message.spec, (epoch, epochs, info) => send({ type: 'epoch', epoch, epochs, info }));
    finished = true;
    send({ type: 'done', summary: { ...done, info: `best MAE ${done.bestValidMae.toFixed(4)} at epoch ${done.bestEpoch}` } });
    process.disconnect();
  } catch (err) {
    finished = true;
    send({ type: 'error', message: (err as Error).message, stack: (err as Error).stack });
    process.disconnect();
    process.exitCode = 1;
  }
});

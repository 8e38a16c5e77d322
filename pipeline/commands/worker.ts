/**
 * `tidal worker`: trains (model, fold) jobs from the queue a `tidal run --queue` coordinator
 * fills, on this machine (pipeline/queue/worker.ts). Runs until stopped; a stopped or killed
 * worker's jobs go back to the queue when their locks expire, and another worker resumes them.
 */
import { Option, type Command } from 'commander';
import { integerAtLeast } from './integer-option.ts';
import { resolve } from 'node:path';
import { BACKEND_NAMES, selectBackend, type BackendName } from '../../models/backend.ts';
import { startQueueWorker } from '../queue/index.ts';

interface WorkerFlags {
  queue: string;
  concurrency: number;
  backend: BackendName | 'auto';
  runsRoot?: string;
  lockDuration: number;
}


export function register(program: Command): void {
  program
    .command('worker')
    .description(
      'Train (model, fold) jobs from a Redis queue filled by `tidal run --queue URL`, on any machine that ' +
        'sees the run folder at the same path (or under --runs-root). Runs until stopped.',
    )
    .requiredOption('--queue <url>', 'the Redis the coordinator uses: redis://[:password@]host:port[/db] or rediss://…')
    .option('--concurrency <n>', 'jobs trained at once, each in its own process', integerAtLeast(1), 1)
    .addOption(new Option('--backend <name>', 'tfjs backend to train on; must be the one the coordinator chose').choices(['auto', ...BACKEND_NAMES]).default('auto'))
    .option('--runs-root <dir>', "where this machine mounts the coordinator's runs folder (the parent of its run folders), when not at the same path")
    .option('--lock-duration <ms>', "how long a job's lock lasts without renewal: how soon a dead worker's job goes back to the queue", integerAtLeast(1000), 30_000)
    .action(async (flags: WorkerFlags) => {
      const backend = await selectBackend(flags.backend);
      const worker = await startQueueWorker({
        url: flags.queue,
        concurrency: flags.concurrency,
        backend: backend.name,
        runsRoot: flags.runsRoot === undefined ? undefined : resolve(flags.runsRoot),
        lockDurationMs: flags.lockDuration,
        log: (line) => console.log(line),
      });
      await worker.ready;
      console.log(`worker ${worker.name}: waiting for jobs (Ctrl-C to stop)`);
      const stop = (signal: string) => {
        console.log(`worker ${worker.name}: ${signal}, stopping; its running jobs go back to the queue when their locks expire`);
        // Exiting ends the training processes too (they stop when their parent goes away).
        worker.close().finally(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}

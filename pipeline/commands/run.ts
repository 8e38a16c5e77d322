/**
 * `tidal run`: the whole pipeline from a config file or a preset (pipeline/run.ts).
 */
import { Option, type Command } from 'commander';
import { integerAtLeast } from './integer-option.ts';
import { join } from 'node:path';
import { BACKEND_NAMES } from '../../models/backend.ts';
import { parseRunConfig, readRunConfig, type RunConfig } from '../config.ts';
import { loadPreset, presetNames } from '../presets.ts';
import { checkRedisReachable } from '../queue/index.ts';
import { STOP_STAGES, checkRun, runPipeline, type StopStage } from '../run.ts';

interface RunFlags {
  config?: string;
  preset?: string;
  input?: string;
  out?: string;
  seed?: number;
  jobs?: number;
  backend?: string;
  until?: StopStage;
  check?: boolean;
  queue?: string;
  attempts: number;
}


/** The config the flags describe: the file or preset, with the command-line overrides applied and checked. */
export function configFromFlags(flags: RunFlags): RunConfig {
  if (Boolean(flags.config) === Boolean(flags.preset)) throw new Error('give exactly one of --config FILE or --preset NAME');
  const base = flags.config ? readRunConfig(flags.config) : loadPreset(flags.preset!);
  const merged: Record<string, unknown> = { ...base };
  if (flags.input !== undefined) merged.input = { kind: 'kaggle', dir: flags.input };
  if (flags.seed !== undefined) merged.seed = flags.seed;
  if (flags.jobs !== undefined) merged.jobs = flags.jobs;
  if (flags.backend !== undefined) merged.backend = flags.backend;
  return parseRunConfig(merged, flags.config ?? `preset ${flags.preset}`);
}

export function register(program: Command): void {
  program
    .command('run')
    .description(
      'Run the pipeline: ingest -> features -> folds -> k-fold training -> OOF and test predictions -> ' +
        'blend -> post-processing -> submission.csv. Every stage is cached in the run folder; rerunning ' +
        'the same command resumes where a killed run stopped.',
    )
    .option('--config <file>', 'run config (JSON); see README "Config"')
    .option('--preset <name>', `a shipped config: ${presetNames().join(', ')}`)
    .option('--input <dir>', 'read train.csv, test.csv, sample_submission.csv from this folder instead of the config\'s input')
    .option('--out <dir>', 'run folder (default runs/<config name>)')
    .option('--seed <n>', 'the one seed every other seed derives from', integerAtLeast(0))
    .option('--jobs <n>', '(model, fold) jobs trained at once, each in its own process', integerAtLeast(1))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: the fastest present)').choices(['auto', ...BACKEND_NAMES]))
    .addOption(new Option('--until <stage>', 'stop after this stage; a later run without it continues').choices([...STOP_STAGES]))
    .option('--check', 'check the whole config (every name, key and value) and stop; nothing is written')
    .option('--queue <url>', 'train on `tidal worker` processes through this Redis (redis://[:password@]host:port[/db]) instead of local processes; see README "Across machines"')
    .option('--attempts <n>', 'with --queue: tries per job before the run fails', integerAtLeast(1), 2)
    .action(async (flags: RunFlags) => {
      const config = configFromFlags(flags);
      const source = flags.config ?? `preset ${flags.preset}`;
      if (flags.check) {
        const plan = checkRun(config, source);
        console.log(`${source}: config OK (${plan.models.map((m) => m.id).join(', ')}; ${config.folds.k} folds)`);
        return;
      }
      // Before the data stages: an unreachable queue is found in a second, not after the features.
      if (flags.queue) await checkRedisReachable(flags.queue);
      const queue = flags.queue ? { url: flags.queue, attempts: flags.attempts } : undefined;
      await runPipeline({ config, source, outDir: flags.out ?? join('runs', config.name), until: flags.until, queue });
    });
}

/**
 * The `tidal` command line. Each command lives in pipeline/commands/<name>.ts and exports
 * `register(program)`; adding a command is one file plus one line in COMMANDS below.
 */
import { Command, CommanderError } from 'commander';
import { register as simulate } from './commands/simulate.ts';
import { register as score } from './commands/score.ts';
import { register as submit } from './commands/submit.ts';
import { register as run } from './commands/run.ts';
import { register as report } from './commands/report.ts';
import { register as compare } from './commands/compare.ts';
import { register as worker } from './commands/worker.ts';

const COMMANDS: ((program: Command) => void)[] = [simulate, run, score, submit, report, compare, worker];

export function buildProgram(): Command {
  const program = new Command('tidal')
    .description('Ventilator pressure prediction: simulate or ingest breaths, train k-fold models, blend, submit.')
    .showHelpAfterError()
    .exitOverride();
  for (const add of COMMANDS) add(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    // Errors from our own checks already name the file, row and column: print them plainly.
    console.error(`tidal: ${(err as Error).message}`);
    if (process.env.TIDAL_DEBUG) console.error((err as Error).stack);
    process.exitCode = 1;
  }
}

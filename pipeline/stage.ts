/**
 * The stage contract: a stage is a function of typed inputs and the run plan with a declared key
 * (the hash of everything its outputs depend on). `runStage` does the rest for every stage alike:
 * it skips a stage whose record in stages/STAGE.json has the same key and whose outputs are still
 * there, and otherwise runs it, times it and records key, seconds and result (manifest included).
 */
import { hashJson } from '../core/index.ts';
import type { BackendChoice, KernelPaths } from '../models/index.ts';
import type { RunPlan } from './plan.ts';
import type { QueueRunOptions } from './queue/index.ts';
import type { RunFolder } from './run-folder.ts';

/** The queue to train on (its run folder is the run's). */
export type QueueOptions = Omit<QueueRunOptions, 'runDir'>;

export interface StageContext {
  run: RunFolder;
  plan: RunPlan;
  backend: BackendChoice;
  kernels: KernelPaths;
  /** A summary line for the terminal and log.txt. */
  print(line: string): void;
  /** Progress bars (true) or plain lines (false); default: bars when stdout is a terminal. */
  tty?: boolean;
  /** Where the train stage sends its jobs: a queue of `tidal worker` processes, or local processes. */
  queue?: QueueOptions;
  /** Data loaded once per process and shared by later stages (breath tables). */
  memo: Map<string, unknown>;
}

export interface Stage<Input, Result> {
  name: string;
  /** Everything the outputs depend on, by content (never by path: a moved run folder resumes). */
  key(input: Input, ctx: StageContext): unknown | Promise<unknown>;
  /** Computes the outputs, writes them through the catalog and returns a JSON-serialisable result. */
  run(input: Input, ctx: StageContext): Promise<Result>;
  /** A recorded result is trusted only while this holds (its files are still on disk). */
  outputsPresent?(result: Result, ctx: StageContext): boolean;
  /** What to tell the user when the recorded result is reused (nothing when absent). */
  reusedMessage?(result: Result): string;
}

/** The stage's result: recorded when its key matches, computed (and recorded) otherwise. */
export async function runStage<Input, Result>(stage: Stage<Input, Result>, input: Input, ctx: StageContext): Promise<Result> {
  const key = hashJson(await stage.key(input, ctx));
  const prior = ctx.run.stage<Result>(stage.name, key);
  if (prior && (stage.outputsPresent?.(prior.result, ctx) ?? true)) {
    ctx.run.completeStage(stage.name, prior, true);
    if (stage.reusedMessage) ctx.print(`${stage.name}: ${stage.reusedMessage(prior.result)}`);
    return prior.result;
  }
  const started = Date.now();
  const result = await stage.run(input, ctx);
  ctx.run.completeStage(stage.name, { key, seconds: (Date.now() - started) / 1000, result }, false);
  return result;
}

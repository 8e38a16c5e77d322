/**
 * `tidal run`: the whole pipeline, as a list of stages (pipeline/stages/). The config is checked
 * whole before anything runs; each stage then runs through `runStage`, which skips it when its
 * key (a hash of what it depends on) matches its record and recomputes it otherwise. A killed
 * run resumes from its finished stages and jobs and the last saved epoch of the others.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hashFile, writeFileAtomic } from '../core/index.ts';
import { kernelPaths, selectBackend } from '../models/index.ts';
import type { RunConfig } from './config.ts';
import type { QueueOptions } from './stage.ts';
import { planRun, type RunPlan } from './plan.ts';
import { RunFolder } from './run-folder.ts';
import { runStage, type StageContext } from './stage.ts';
import { featuresStage } from './stages/features.ts';
import { foldsStage } from './stages/folds.ts';
import { breathTables, ingestStage } from './stages/ingest.ts';
import { currentInputs, inputStage } from './stages/input.ts';
import { predictionsRoundStage, predictionsStage, type ModelScore } from './stages/predictions.ts';
import { PSEUDO_ROUND, pseudoLabelStage } from './stages/pseudo-label.ts';
import { reportStage, summaryLines, type RoundOutputs } from './stages/report.ts';
import { submitRoundStage, submitStage, type SubmitInput, type SubmitResult } from './stages/submit.ts';
import { trainRoundStage, trainStage, type TrainInput } from './stages/train.ts';

export interface RunOptions {
  config: RunConfig;
  /** The run folder (default runs/NAME). */
  outDir: string;
  /** Where the config came from, for error messages (a file path or preset name). */
  source?: string;
  /** Progress bars (true) or plain lines (false); default: bars when stdout is a terminal. */
  tty?: boolean;
  /** Stop after this stage (e.g. prepare data on one machine and train on another). */
  until?: StopStage;
  /** Where summary lines go (default console.log); the run's log.txt gets them too. */
  print?: (line: string) => void;
  /** Train the jobs on `tidal worker` processes through this queue instead of local processes. */
  queue?: QueueOptions;
}

export const STOP_STAGES = ['ingest', 'features', 'folds', 'train'] as const;
export type StopStage = (typeof STOP_STAGES)[number];

export interface RunSummary {
  runDir: string;
  backend: string;
  models: ModelScore[];
  submission: SubmitResult;
  /** The pseudo-labelled second round's scores and submission (config `pseudoLabel`). */
  round2?: { models: ModelScore[]; submission: SubmitResult };
  seconds: number;
}

const require = createRequire(import.meta.url);

function versions(): { tidal: string; tfjs: string } {
  const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const tfjs = (require('@tensorflow/tfjs/package.json') as { version: string }).version;
  return { tidal: own.version, tfjs };
}

/** The config checked whole (every name and value) without running anything: `tidal run --check`. */
export function checkRun(config: RunConfig, source = config.name): RunPlan {
  return planRun(config, source);
}

/** Runs the stages in order; resolves to the summary, or to null when `until` stopped it early. */
export async function runPipeline(options: RunOptions): Promise<RunSummary | null> {
  const started = Date.now();
  const plan = planRun(options.config, options.source ?? options.config.name);
  const { config } = plan;
  const run = new RunFolder(options.outDir);
  const print = (line: string) => {
    (options.print ?? console.log)(line);
    run.log(line);
  };
  try {
    writeFileAtomic(run.catalog.config, `${JSON.stringify(config, null, 2)}\n`);
    const backend = await selectBackend(config.backend);
    const kernels = kernelPaths();
    const prior = run.readManifest();
    run.writeManifest({
      ...versions(),
      node: process.version,
      backend: backend.name,
      backendTried: backend.tried,
      adapter: backend.adapter,
      kernels,
      seed: config.seed,
      inputs: {},
      inputHashes: {},
      stages: prior?.stages ?? {},
      metrics: prior?.metrics ?? {},
    });
    const adapter = backend.adapter ? `, adapter ${backend.adapter}` : '';
    print(`run ${config.name} -> ${run.dir} (backend ${backend.name}${adapter}; kernels: recurrent ${kernels.recurrence}, layers ${kernels.layers})`);
    return await runStages({ run, plan, backend, kernels, print, tty: options.tty, queue: options.queue, memo: new Map() }, options.until, started);
  } catch (err) {
    // The log is the run's record: it ends with why the run stopped.
    run.log(`error: ${(err as Error).message}`);
    throw err;
  }
}

async function runStages(ctx: StageContext, until: StopStage | undefined, started: number): Promise<RunSummary | null> {
  const { run, plan, print } = ctx;
  const stopHere = (stage: StopStage) => {
    if (until !== stage) return false;
    print(`stopped after ${stage} (--until ${stage}); rerun without --until to continue`);
    return true;
  };

  const files = await currentInputs(ctx, await runStage(inputStage, plan.config, ctx));
  run.updateManifest((m) => {
    m.inputs = files.paths as Record<string, string>;
    m.inputHashes = files.hashes as Record<string, string>;
  });
  const ingested = await runStage(ingestStage, files, ctx);
  print(`ingest: ${ingested.train.nBreaths} train breaths, ${ingested.test.nBreaths} test breaths`);
  if (stopHere('ingest')) return null;

  const layouts = await runStage(featuresStage, files, ctx);
  if (stopHere('features')) return null;

  const { k } = await runStage(foldsStage, files, ctx);
  if (stopHere('folds')) return null;

  const trained = await runStage(trainStage, { files, layouts, k }, ctx);
  if (stopHere('train')) return null;

  const tables = await breathTables(ctx, files);
  const predictions = await runStage(predictionsStage, { trained, train: tables.train, k }, ctx);
  const submitted = await runStage(submitStage, { files, tables, trained, predictions }, ctx);
  const round2 = plan.pseudoLabel ? await runPseudoLabelled(ctx, { files, tables, trained, predictions }, { files, layouts, k }) : undefined;
  await runStage(reportStage, { predictions, submitted, round2 }, ctx);

  const seconds = (Date.now() - started) / 1000;
  const submission = round2 ? run.catalog.roundSubmission(PSEUDO_ROUND) : run.catalog.submission;
  const paths = { submission, htmlReport: run.catalog.htmlReport, runDir: run.dir };
  for (const line of summaryLines({ predictions, submitted, round2 }, plan.config.blend.models, paths, seconds)) print(line);
  const summary: RunSummary = { runDir: run.dir, backend: ctx.backend.name, models: predictions.models, submission: submitted, seconds };
  return round2 ? { ...summary, round2: { models: round2.predictions.models, submission: round2.submitted } } : summary;
}

/**
 * Pseudo-labelling: round 1's blend labels the test breaths, then every (model, fold) job trains
 * again on its fold's breaths plus the labelled test breaths, and the round is blended into
 * round-2/submission.csv. Round 1's outputs stay as they are.
 */
async function runPseudoLabelled(ctx: StageContext, round1: SubmitInput, data: TrainInput): Promise<RoundOutputs> {
  const pseudo = ctx.plan.pseudoLabel!;
  await runStage(pseudoLabelStage(pseudo), round1, ctx);
  // The labels as they are on disk key the round's jobs: a resume never trains on other labels.
  const labelsHash = await hashFile(ctx.run.catalog.pseudoLabels(PSEUDO_ROUND));
  const trained = await runStage(trainRoundStage({ round: PSEUDO_ROUND, models: pseudo.models, labelsHash }), data, ctx);
  const predictions = await runStage(predictionsRoundStage(PSEUDO_ROUND), { trained, train: round1.tables.train, k: data.k }, ctx);
  const submitted = await runStage(submitRoundStage(PSEUDO_ROUND), { ...round1, trained, predictions }, ctx);
  return { predictions, submitted };
}

/**
 * Stage `train`: every (model, fold) job of the plan, each in its own process, at most `jobs` at
 * once. A job is keyed by the content it trains on (model, config, recipe, fold, scaler, seed,
 * backend, feature layout, data and folds); a job whose done.json carries its key is not rerun,
 * and one killed midway resumes from its last saved epoch. `trainRoundStage` is the same for a
 * pseudo-labelled round: its jobs' keys add the round and the labels file's hash.
 */
import { deriveSeed, hashFile, hashJson } from '../../core/index.ts';
import { resolveRecipe } from '../../models/index.ts';
import { runJobPool, type PoolJob } from '../job-pool.ts';
import { redactRedisUrl, runJobsOnQueue } from '../queue/index.ts';
import { createProgress } from '../progress.ts';
import type { PlannedModel } from '../plan.ts';
import type { Stage, StageContext } from '../stage.ts';
import { jobFilesOf, readDone, type TrainJobSpec } from '../train-job.ts';
import type { FeatureLayouts } from './features.ts';
import type { InputFiles } from './input.ts';

export interface TrainInput {
  files: InputFiles;
  layouts: FeatureLayouts;
  k: number;
}

/** A pseudo-labelled round: its number, its models (round-2 recipes) and its labels' hash. */
export interface PseudoRound {
  round: number;
  models: PlannedModel[];
  labelsHash: string;
}

export interface TrainedJob {
  modelId: string;
  fold: number;
  key: string;
  /** Set for a pseudo-labelled round's jobs. */
  round?: number;
}

export interface TrainResult {
  jobs: TrainedJob[];
}

/** Every job of the plan with its content key. */
export async function planJobs(input: TrainInput, ctx: StageContext, pseudo?: PseudoRound): Promise<TrainJobSpec[]> {
  const { config } = ctx.plan;
  const folds = await hashFile(ctx.run.catalog.folds);
  const specs: TrainJobSpec[] = [];
  for (const model of pseudo?.models ?? ctx.plan.models) {
    const layout = input.layouts.sets[model.featureSet];
    for (let fold = 0; fold < input.k; fold++) {
      const spec: Omit<TrainJobSpec, 'key'> = {
        runDir: ctx.run.dir,
        modelId: model.id,
        modelName: model.definition.name,
        config: model.config,
        recipe: model.recipeInput,
        trainFeatures: layout.train,
        testFeatures: layout.test,
        fold,
        scaler: config.scaler,
        seed: deriveSeed(config.seed, 'model', model.id, 'fold', fold),
        backend: ctx.backend.name,
        kernels: ctx.kernels,
        round: pseudo?.round,
      };
      const key = hashJson({
        ...spec,
        runDir: undefined,
        trainFeatures: undefined,
        testFeatures: undefined,
        featureSet: layout.hash,
        train: input.files.hashes.train,
        test: input.files.hashes.test,
        folds,
        pseudoLabels: pseudo?.labelsHash,
      });
      specs.push({ ...spec, key });
    }
  }
  return specs;
}

function trainStageFor(name: string, pseudo?: PseudoRound): Stage<TrainInput, TrainResult> {
  return {
    name,
    key: async (input, ctx) => (await planJobs(input, ctx, pseudo)).map((s) => s.key),
    async run(input, ctx) {
      const specs = await planJobs(input, ctx, pseudo);
      const roundLabel = (spec: TrainJobSpec) => (spec.round === undefined ? '' : `round ${spec.round} `);
      const todo: PoolJob<TrainJobSpec>[] = specs
        .filter((spec) => !readDone(jobFilesOf(spec), spec.key))
        .map((spec) => ({ label: `${roundLabel(spec)}${spec.modelId} fold ${spec.fold}`, epochs: resolveRecipe(spec.recipe).epochs, spec }));
      if (todo.length > 0) {
        const where = ctx.queue ? `on the queue ${redactRedisUrl(ctx.queue.url)}` : `${ctx.plan.config.jobs} at a time`;
        ctx.print(`${name}: ${todo.length} of ${specs.length} (model, fold) jobs to run, ${where}`);
        const progress = createProgress(todo.length, { tty: ctx.tty, log: ctx.print });
        try {
          if (ctx.queue) await runJobsOnQueue(todo, { ...ctx.queue, runDir: ctx.run.dir }, progress);
          else await runJobPool(todo, ctx.plan.config.jobs, progress);
        } finally {
          progress.stop();
        }
      } else {
        ctx.print(`${name}: all ${specs.length} jobs already done`);
      }
      return { jobs: specs.map((s) => ({ modelId: s.modelId, fold: s.fold, key: s.key, round: s.round })) };
    },
    reusedMessage: (result) => `all ${result.jobs.length} jobs already done`,
    outputsPresent: (result, ctx) => result.jobs.every((job) => readDone(jobFilesOf({ ...job, runDir: ctx.run.dir }), job.key) !== null),
  };
}

export const trainStage = trainStageFor('train');

/** A pseudo-labelled round's training: stage `train-round-N`, its jobs under round-N/. */
export function trainRoundStage(pseudo: PseudoRound): Stage<TrainInput, TrainResult> {
  return trainStageFor(`train-round-${pseudo.round}`, pseudo);
}

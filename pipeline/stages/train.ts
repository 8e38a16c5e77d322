/**
 * Stage `train`: every (model, fold) job of the plan, each in its own process, at most `jobs` at
 * once. A job is keyed by the content it trains on (model, config, recipe, fold, scaler, seed,
 * backend, feature layout, data and folds); a job whose done.json carries its key is not rerun,
 * and one killed midway resumes from its last saved epoch.
 */
import { deriveSeed, hashFile, hashJson } from '../../core/index.ts';
import { resolveRecipe } from '../../models/index.ts';
import { runJobPool, type PoolJob } from '../job-pool.ts';
import { redactRedisUrl, runJobsOnQueue } from '../queue/index.ts';
import { createProgress } from '../progress.ts';
import type { Stage, StageContext } from '../stage.ts';
import { readDone, type TrainJobSpec } from '../train-job.ts';
import type { FeatureLayouts } from './features.ts';
import type { InputFiles } from './input.ts';

export interface TrainInput {
  files: InputFiles;
  layouts: FeatureLayouts;
  k: number;
}

export interface TrainedJob {
  modelId: string;
  fold: number;
  key: string;
}

export interface TrainResult {
  jobs: TrainedJob[];
}

/** Every job of the plan with its content key. */
export async function planJobs(input: TrainInput, ctx: StageContext): Promise<TrainJobSpec[]> {
  const { config } = ctx.plan;
  const folds = await hashFile(ctx.run.catalog.folds);
  const specs: TrainJobSpec[] = [];
  for (const model of ctx.plan.models) {
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
      });
      specs.push({ ...spec, key });
    }
  }
  return specs;
}

export const trainStage: Stage<TrainInput, TrainResult> = {
  name: 'train',
  key: async (input, ctx) => (await planJobs(input, ctx)).map((s) => s.key),
  async run(input, ctx) {
    const specs = await planJobs(input, ctx);
    const todo: PoolJob<TrainJobSpec>[] = specs
      .filter((spec) => !readDone(ctx.run.catalog.job(spec.modelId, spec.fold), spec.key))
      .map((spec) => ({ label: `${spec.modelId} fold ${spec.fold}`, epochs: resolveRecipe(spec.recipe).epochs, spec }));
    if (todo.length > 0) {
      const where = ctx.queue ? `on the queue ${redactRedisUrl(ctx.queue.url)}` : `${ctx.plan.config.jobs} at a time`;
      ctx.print(`train: ${todo.length} of ${specs.length} (model, fold) jobs to run, ${where}`);
      const progress = createProgress(todo.length, { tty: ctx.tty, log: ctx.print });
      try {
        if (ctx.queue) await runJobsOnQueue(todo, { ...ctx.queue, runDir: ctx.run.dir }, progress);
        else await runJobPool(todo, ctx.plan.config.jobs, progress);
      } finally {
        progress.stop();
      }
    } else {
      ctx.print(`train: all ${specs.length} jobs already done`);
    }
    return { jobs: specs.map((s) => ({ modelId: s.modelId, fold: s.fold, key: s.key })) };
  },
  reusedMessage: (result) => `all ${result.jobs.length} jobs already done`,
  outputsPresent: (result, ctx) => result.jobs.every((job) => readDone(ctx.run.catalog.job(job.modelId, job.fold), job.key) !== null),
};

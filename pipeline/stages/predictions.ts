/**
 * Stage `predictions`: each planned model's out-of-fold predictions for every train row and its
 * test predictions per fold, gathered from its jobs into predictions/MODEL/, with the model's
 * out-of-fold score. A pseudo-labelled round's (`predictionsRoundStage`) go to round-N/predictions/.
 */
import { existsSync } from 'node:fs';
import { RunCatalog } from '../../core/index.ts';
import { ROWS_PER_BREATH, type BreathTable } from '../../dataset/index.ts';
import { inspiratoryMaeFromUOut, saveModelPredictions } from '../../submissions/index.ts';
import type { Stage } from '../stage.ts';
import { jobFilesOf, readDone, readJobResult } from '../train-job.ts';
import type { TrainResult } from './train.ts';

export interface ModelScore {
  model: string;
  oofMae: number;
  folds: { fold: number; validMae: number; bestEpoch: number }[];
}

export interface PredictionsResult {
  models: ModelScore[];
  k: number;
}

type PredictionsInput = { trained: TrainResult; train: BreathTable; k: number };

function predictionsStageFor(name: string, round: number): Stage<PredictionsInput, PredictionsResult> {
  return {
    name,
    key: ({ trained }) => trained.jobs.map((j) => j.key),
    async run({ trained, train, k }, ctx) {
      const models: ModelScore[] = [];
      for (const { id } of ctx.plan.models) {
        const oof = new Float32Array(train.nBreaths * ROWS_PER_BREATH).fill(Number.NaN);
        const testByFold: Float32Array[] = [];
        const folds: ModelScore['folds'] = [];
        for (const job of trained.jobs.filter((j) => j.modelId === id)) {
          const files = jobFilesOf({ ...job, runDir: ctx.run.dir });
          const result = readJobResult(files);
          const done = readDone(files, job.key)!;
          result.validIdx.forEach((b, i) => oof.set(result.oof.subarray(i * ROWS_PER_BREATH, (i + 1) * ROWS_PER_BREATH), b * ROWS_PER_BREATH));
          testByFold.push(result.test);
          folds.push({ fold: job.fold, validMae: done.bestValidMae, bestEpoch: done.bestEpoch });
        }
        saveModelPredictions(ctx.run.catalog.roundDir(round), id, { oof, testByFold });
        models.push({ model: id, oofMae: inspiratoryMaeFromUOut(oof, train.pressure!, train.uOut), folds });
      }
      return { models, k };
    },
    outputsPresent: (result, ctx) =>
      result.models.every(({ model }) => {
        const files = new RunCatalog(ctx.run.catalog.roundDir(round)).predictions(model);
        return existsSync(files.oof) && Array.from({ length: result.k }, (_, k) => files.testFold(k)).every((f) => existsSync(f));
      }),
  };
}

export const predictionsStage = predictionsStageFor('predictions', 1);

/** A pseudo-labelled round's predictions: stage `predictions-round-N`, under round-N/predictions/. */
export function predictionsRoundStage(round: number): Stage<PredictionsInput, PredictionsResult> {
  return predictionsStageFor(`predictions-round-${round}`, round);
}

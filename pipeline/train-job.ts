/**
 * One (model, fold) training job, run in its own process by the job pool. It reads everything it
 * needs from the run folder (feature layouts, folds.csv), so nothing is shared in memory with the
 * parent, and writes its results atomically into its job folder:
 *
 *   jobs/MODEL/fold-K/scaler.json       the scaler fitted on this fold's training breaths
 *   jobs/MODEL/fold-K/checkpoint/       the best epoch's model (model.save)
 *   jobs/MODEL/fold-K/checkpoint.resume the trainer's resume state while training
 *   jobs/MODEL/fold-K/oof.arrow         predictions of the fold's validation breaths (their rows)
 *   jobs/MODEL/fold-K/test.arrow        predictions of every test row
 *   jobs/MODEL/fold-K/done.json         written last: the job's key and scores
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../dataset/index.ts';
import { applyScaler, fitScaler, readLayoutArrow, writeScaler, type ScalerKind } from '../features/index.ts';
import { foldBreathIndices, readFoldsCsv } from '../folds/index.ts';
import { selectBackend, type BackendName } from '../models/backend.ts';
import { getModel } from '../models/registry.ts';
import { fitFold, resolveRecipe, type RecipeInput } from '../models/training/index.ts';
import { writeJobHistory } from './job-history.ts';
import { readPredictionColumn, writePredictionColumn } from '../submissions/index.ts';

export interface TrainJobSpec {
  /** Cache key of everything the job reads; a done.json with another key is stale. */
  key: string;
  jobDir: string;
  modelId: string;
  modelName: string;
  config: object;
  recipe: RecipeInput;
  trainFeatures: string;
  testFeatures: string;
  foldsPath: string;
  fold: number;
  scaler: ScalerKind;
  seed: number;
  backend: BackendName;
}

export interface TrainJobResult {
  /** Validation breath indices (into the train table) and their row predictions. */
  validIdx: Int32Array;
  oof: Float32Array;
  test: Float32Array;
  bestEpoch: number;
  bestValidMae: number;
}

export interface DoneRecord {
  key: string;
  bestEpoch: number;
  bestValidMae: number;
  epochsRun: number;
  seconds: number;
}

const DONE = 'done.json';

/** The finished job's record when its outputs are complete and were made under `key`. */
export function readDone(jobDir: string, key: string): DoneRecord | null {
  const path = join(jobDir, DONE);
  if (!existsSync(path)) return null;
  const record = JSON.parse(readFileSync(path, 'utf8')) as DoneRecord;
  return record.key === key ? record : null;
}

export function readJobResult(jobDir: string): { validIdx: Int32Array; oof: Float32Array; test: Float32Array } {
  const validIdx = Int32Array.from(JSON.parse(readFileSync(join(jobDir, 'valid-breaths.json'), 'utf8')) as number[]);
  return { validIdx, oof: readPredictionColumn(join(jobDir, 'oof.arrow')), test: readPredictionColumn(join(jobDir, 'test.arrow')) };
}

export async function runTrainJob(
  spec: TrainJobSpec,
  onEpoch: (epoch: number, epochs: number, info: string) => void,
): Promise<DoneRecord> {
  const started = Date.now();
  // A resume state made under another key (changed config) must not be continued.
  const keyFile = join(spec.jobDir, 'key.txt');
  if (existsSync(keyFile) && readFileSync(keyFile, 'utf8') !== spec.key) rmSync(spec.jobDir, { recursive: true, force: true });
  writeFileAtomic(keyFile, spec.key);

  await selectBackend(spec.backend);
  const [{ layout: train }, { layout: test }] = await Promise.all([readLayoutArrow(spec.trainFeatures), readLayoutArrow(spec.testFeatures)]);
  if (!train.target) throw new Error(`${spec.trainFeatures}: the training layout has no target`);
  const { train: trainIdx, valid: validIdx } = foldBreathIndices(readFoldsCsv(spec.foldsPath), train.breathId, spec.fold);

  // Fitted on this fold's training breaths only; validation and test rows are only transformed.
  const scaler = fitScaler(spec.scaler, train, trainIdx);
  writeScaler(join(spec.jobDir, 'scaler.json'), scaler);
  const scaledTrain = applyScaler(scaler, train);
  const scaledTest = applyScaler(scaler, test);

  const definition = getModel(spec.modelName);
  const epochs = resolveRecipe(spec.recipe).epochs;
  const result = await fitFold({
    definition,
    config: spec.config,
    data: {
      x: scaledTrain.features,
      mask: train.inspiratory,
      target: train.target,
      nBreaths: train.nBreaths,
      nFeatures: train.nFeatures,
      featureNames: train.featureNames,
    },
    trainIdx,
    validIdx,
    test: { x: scaledTest.features, nBreaths: test.nBreaths, mask: test.inspiratory },
    recipe: spec.recipe,
    seed: spec.seed,
    checkpointDir: join(spec.jobDir, 'checkpoint'),
    onEpoch: (record) => onEpoch(record.epoch, epochs, `valid MAE ${record.validMae.toFixed(4)}`),
  });
  if (!result.test) throw new Error('the trainer returned no test predictions');
  writeJobHistory(spec.jobDir, result.history);

  writeFileAtomic(join(spec.jobDir, 'valid-breaths.json'), JSON.stringify(Array.from(validIdx)));
  writePredictionColumn(join(spec.jobDir, 'oof.arrow'), result.oof);
  writePredictionColumn(join(spec.jobDir, 'test.arrow'), result.test);
  const done: DoneRecord = {
    key: spec.key,
    bestEpoch: result.bestEpoch,
    bestValidMae: result.bestValidMae,
    epochsRun: result.history.length,
    seconds: (Date.now() - started) / 1000,
  };
  writeFileAtomic(join(spec.jobDir, DONE), `${JSON.stringify(done, null, 2)}\n`);
  return done;
}

/**
 * One (model, fold) training job, run in its own process by the job pool. It reads everything it
 * needs from the run folder (feature layouts, folds.csv), so nothing is shared in memory with the
 * parent, and writes its results atomically into its job folder (core/run-catalog.ts, JobFiles);
 * done.json, written last, holds the key the outputs were made under.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RunCatalog, writeFileAtomic, type JobFiles } from '../core/index.ts';
import { applyScaler, fitScaler, readLayoutArrow, writeScaler, type FeatureLayout, type ScalerKind } from '../features/index.ts';
import { foldBreathIndices, readFoldsCsv } from '../folds/index.ts';
import { kernelPaths, selectBackend, type BackendName, type KernelPaths } from '../models/index.ts';
import { getModel } from '../models/registry.ts';
import { fitFold, resolveRecipe, type RecipeInput } from '../models/training/index.ts';
import { writeJobHistory } from './job-history.ts';
import { readPseudoLabels, withPseudoLabels } from './pseudo-labels.ts';
import { readPredictionColumn, writePredictionColumn } from '../submissions/index.ts';

export interface TrainJobSpec {
  /** Cache key of everything the job reads, by content; a done.json with another key is stale. */
  key: string;
  runDir: string;
  modelId: string;
  modelName: string;
  config: object;
  recipe: RecipeInput;
  /** Feature layout files inside the run's cache folder. */
  trainFeatures: string;
  testFeatures: string;
  fold: number;
  scaler: ScalerKind;
  seed: number;
  backend: BackendName;
  /** The kernels the job must train with (part of its key: they differ in the last bits). */
  kernels: KernelPaths;
  /**
   * A pseudo-labelled round (2): the job also trains on every test breath, labelled by the run
   * catalog's pseudoLabels(round), and lives under round-N/. Absent in round 1.
   */
  round?: number;
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

/** The job's folder in the run catalog (round 1's, or a pseudo-labelled round's). */
export function jobFilesOf(spec: Pick<TrainJobSpec, 'runDir' | 'modelId' | 'fold' | 'round'>): JobFiles {
  return new RunCatalog(spec.runDir).job(spec.modelId, spec.fold, spec.round);
}

/** The finished job's record when its outputs are complete and were made under `key`. */
export function readDone(job: JobFiles, key: string): DoneRecord | null {
  if (!existsSync(job.done)) return null;
  const record = JSON.parse(readFileSync(job.done, 'utf8')) as DoneRecord;
  return record.key === key ? record : null;
}

export function readJobResult(job: JobFiles): { validIdx: Int32Array; oof: Float32Array; test: Float32Array } {
  const validIdx = Int32Array.from(JSON.parse(readFileSync(job.validBreaths, 'utf8')) as number[]);
  return { validIdx, oof: readPredictionColumn(job.oof), test: readPredictionColumn(job.test) };
}

/**
 * The job's train and test layouts, scaled by a scaler fitted on the fold's training breaths only
 * (validation and test rows are only transformed), and the fold's breaths. The features are scaled
 * in place, so a job never holds a raw and a scaled copy (at Kaggle size each is over a gigabyte);
 * a pseudo-labelled round scales both into one array, train rows then test rows, which
 * withPseudoLabels then trains on without joining them again.
 */
async function scaledLayouts(spec: TrainJobSpec, catalog: RunCatalog, job: JobFiles): Promise<{ train: FeatureLayout; test: FeatureLayout; trainIdx: Int32Array; validIdx: Int32Array }> {
  const trainFeatures = join(catalog.cacheDir, spec.trainFeatures);
  const [{ layout: train }, { layout: test }] = await Promise.all([readLayoutArrow(trainFeatures), readLayoutArrow(join(catalog.cacheDir, spec.testFeatures))]);
  if (!train.target) throw new Error(`${trainFeatures}: the training layout has no target`);
  const { train: trainIdx, valid: validIdx } = foldBreathIndices(readFoldsCsv(catalog.folds), train.breathId, spec.fold);
  const scaler = fitScaler(spec.scaler, train, trainIdx);
  writeScaler(job.scaler, scaler);
  const joined = spec.round === undefined ? null : new Float32Array(train.features.length + test.features.length);
  return {
    train: applyScaler(scaler, train, joined ? joined.subarray(0, train.features.length) : train.features),
    test: applyScaler(scaler, test, joined ? joined.subarray(train.features.length) : test.features),
    trainIdx,
    validIdx,
  };
}

export async function runTrainJob(
  spec: TrainJobSpec,
  onEpoch: (epoch: number, epochs: number, info: string) => void,
): Promise<DoneRecord> {
  const started = Date.now();
  const catalog = new RunCatalog(spec.runDir);
  const job = jobFilesOf(spec);
  // A resume state made under another key (changed config) must not be continued.
  if (existsSync(job.key) && readFileSync(job.key, 'utf8') !== spec.key) rmSync(job.dir, { recursive: true, force: true });
  writeFileAtomic(job.key, spec.key);

  await selectBackend(spec.backend);
  const kernels = kernelPaths();
  if (kernels.recurrence !== spec.kernels.recurrence || kernels.layers !== spec.kernels.layers) {
    throw new Error(
      `this process would train ${spec.modelId} fold ${spec.fold} with kernels ${JSON.stringify(kernels)}, but the run's key was made for ` +
        `${JSON.stringify(spec.kernels)}: run it where the same native build and backend are present (or rerun the run here)`,
    );
  }
  const { train, test, trainIdx, validIdx } = await scaledLayouts(spec, catalog, job);

  const definition = getModel(spec.modelName);
  const epochs = resolveRecipe(spec.recipe).epochs;
  const trainData = {
    x: train.features,
    mask: train.inspiratory,
    target: train.target!,
    nBreaths: train.nBreaths,
    nFeatures: train.nFeatures,
    featureNames: train.featureNames,
  };
  // A pseudo-labelled round trains on the fold's breaths plus every test breath (appended after
  // the train breaths); it validates on the fold's own breaths only, so its OOF stays honest.
  const pseudo = spec.round === undefined ? null : readPseudoLabels(catalog.pseudoLabels(spec.round));
  const data = pseudo ? withPseudoLabels(trainData, { x: test.features, mask: test.inspiratory, nBreaths: test.nBreaths }, pseudo) : trainData;
  const fitIdx = pseudo ? Int32Array.from([...trainIdx, ...Array.from({ length: test.nBreaths }, (_, b) => train.nBreaths + b)]) : trainIdx;
  const result = await fitFold({
    definition,
    config: spec.config,
    data,
    trainIdx: fitIdx,
    validIdx,
    test: { x: test.features, nBreaths: test.nBreaths, mask: test.inspiratory },
    recipe: spec.recipe,
    seed: spec.seed,
    checkpointDir: job.checkpoint,
    resumeDir: job.resume,
    onEpoch: (record) => onEpoch(record.epoch, epochs, `valid MAE ${record.validMae.toFixed(4)}`),
  });
  if (!result.test) throw new Error('the trainer returned no test predictions');

  writeFileAtomic(job.validBreaths, JSON.stringify(Array.from(validIdx)));
  writePredictionColumn(job.oof, result.oof);
  writePredictionColumn(job.test, result.test);
  writeJobHistory(job.history, result.history);
  const done: DoneRecord = {
    key: spec.key,
    bestEpoch: result.bestEpoch,
    bestValidMae: result.bestValidMae,
    epochsRun: result.history.length,
    seconds: (Date.now() - started) / 1000,
  };
  writeFileAtomic(job.done, `${JSON.stringify(done, null, 2)}\n`);
  return done;
}

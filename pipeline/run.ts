/**
 * `tidal run`: the whole pipeline, every stage cached in the run folder and restartable.
 *
 *   1. resolve   config -> config.json, manifest.json, the tfjs backend
 *   2. ingest    simulated or Kaggle CSVs -> breath tables (Arrow cache, checked input)
 *   3. features  breath tables -> [breaths, 80, F] layouts, one per feature set (Arrow cache)
 *   4. folds     seeded (stratified) group k-fold by breath -> folds.csv
 *   5. train     every (model, fold) job in its own process -> OOF + test predictions, checkpoints
 *   6. collect   jobs -> predictions/MODEL (OOF for every train row, test per fold)
 *   7. submit    fold and model blend, controller inversion, grid snapping -> submission.csv
 *   8. report    CV and test scores against the per-(R, C, time) baseline -> manifest, summary
 *
 * A stage's key hashes everything it reads; a rerun with the same config skips what is done, a
 * changed config recomputes what depends on the change, and a killed run resumes from its last
 * finished job and the last saved epoch of the others.
 */
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROWS_PER_BREATH, deriveSeed, hashFile, hashJson, writeFileAtomic, type BreathTable } from '../dataset/index.ts';
import { checkTestIdsMatchSample, loadBreathTableCached, readSampleSubmission } from '../dataset/index.ts';
import { SIMULATED_FILE_NAMES, writeSimulatedFiles } from '../dataset/simulated-files.ts';
import { buildFeaturesCached, featureCachePath, featureSetHash } from '../features/index.ts';
import { loadOrCreateFolds } from '../folds/index.ts';
import { selectBackend } from '../models/backend.ts';
import { fitRcTimeMean, predictRcTimeMean } from '../models/baselines/rc-time-mean.ts';
import { getModel } from '../models/registry.ts';
import { resolveRecipe, type RecipeInput } from '../models/training/index.ts';
import { buildSubmission, formatReport, inspiratoryMae, saveModelPredictions, type SubmissionReport } from '../submissions/index.ts';
import { checkOverrideKeys, modelEntryId, type ModelEntryConfig, type RunConfig } from './config.ts';
import { runJobPool, type PoolJob } from './job-pool.ts';
import { createProgress } from './progress.ts';
import { redactRedisUrl, runJobsOnQueue, type QueueRunOptions } from './queue/index.ts';
import { RunFolder } from './run-folder.ts';
import { readDone, readJobResult, type TrainJobSpec } from './train-job.ts';

export interface RunOptions {
  config: RunConfig;
  /** The run folder (default runs/NAME). */
  outDir: string;
  /** Progress bars (true) or plain lines (false); default: bars when stdout is a terminal. */
  tty?: boolean;
  /** Stop after this stage (e.g. prepare data on one machine and train on another). */
  until?: StopStage;
  /** Where summary lines go (default console.log); the run's log.txt gets them too. */
  print?: (line: string) => void;
  /** Train on `tidal worker` processes through this Redis queue instead of local processes. */
  queue?: Omit<QueueRunOptions, 'runDir'>;
}

export const STOP_STAGES = ['ingest', 'features', 'folds', 'train'] as const;
export type StopStage = (typeof STOP_STAGES)[number];

export interface ModelScore {
  model: string;
  oofMae: number;
  folds: { fold: number; validMae: number; bestEpoch: number }[];
}

export interface RunSummary {
  runDir: string;
  backend: string;
  models: ModelScore[];
  submission: SubmissionReport;
  /** Inspiratory MAE of the submission on the test answers (simulated runs, or when answers are given). */
  testMae: number | null;
  /** The per-(R, C, time-step) mean baseline on the same test rows. */
  baselineTestMae: number | null;
  seconds: number;
}

interface InputFiles {
  train: string;
  test: string;
  sampleSubmission: string;
  answers?: string;
}

const require = createRequire(import.meta.url);

function versions(): { tidal: string; tfjs: string } {
  const own = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  const tfjs = (require('@tensorflow/tfjs/package.json') as { version: string }).version;
  return { tidal: own.version, tfjs };
}

/** A model entry's config: its size's defaults with the overrides on top (unknown keys are errors). */
export function resolveModelConfig(entry: ModelEntryConfig): object {
  const definition = getModel(entry.name);
  const base = definition[entry.size];
  checkOverrideKeys(entry.config, base, `models '${modelEntryId(entry)}' config`);
  return { ...base, ...entry.config };
}

/** The run's recipe with the entry's overrides on top; nested objects merge one level deep. */
export function resolveEntryRecipe(shared: Record<string, unknown>, entry: ModelEntryConfig): RecipeInput {
  const merged: Record<string, unknown> = { ...shared };
  for (const [key, value] of Object.entries(entry.recipe)) {
    const prior = merged[key];
    const bothObjects = prior && typeof prior === 'object' && value && typeof value === 'object' && !Array.isArray(value);
    merged[key] = bothObjects ? { ...(prior as object), ...(value as object) } : value;
  }
  resolveRecipe(merged as RecipeInput);
  return merged as RecipeInput;
}

/** Runs the stages in order; resolves to the summary, or to null when `until` stopped it early. */
export async function runPipeline(options: RunOptions): Promise<RunSummary | null> {
  const started = Date.now();
  const { config } = options;
  const run = new RunFolder(options.outDir);
  const print = (line: string) => {
    (options.print ?? console.log)(line);
    run.log(line);
  };
  const stopHere = (stage: StopStage) => {
    if (options.until !== stage) return false;
    print(`stopped after ${stage} (--until ${stage}); rerun without --until to continue`);
    return true;
  };

  // 1. resolve
  writeFileAtomic(run.configPath, `${JSON.stringify(config, null, 2)}\n`);
  const backend = await selectBackend(config.backend);
  const prior = run.readManifest();
  run.writeManifest({
    ...versions(),
    node: process.version,
    backend: backend.name,
    backendTried: backend.tried,
    seed: config.seed,
    inputs: {},
    inputHashes: {},
    stages: prior?.stages ?? {},
    metrics: prior?.metrics ?? {},
  });
  print(`run ${config.name} -> ${run.dir} (backend ${backend.name})`);

  // 2. ingest
  const files = await ingestFiles(config, run, print);
  const [trainLoad, testLoad] = [
    await loadBreathTableCached(files.train, run.cacheDir, 'train'),
    await loadBreathTableCached(files.test, run.cacheDir, 'test'),
  ];
  const sample = await readSampleSubmission(files.sampleSubmission);
  checkTestIdsMatchSample(testLoad.table, sample, { test: files.test, sampleSubmission: files.sampleSubmission });
  const train = trainLoad.table;
  const test = testLoad.table;
  run.updateManifest((m) => {
    m.inputs = { ...files };
    m.inputHashes = { train: trainLoad.hash, test: testLoad.hash };
  });
  print(`ingest: ${train.nBreaths} train breaths, ${test.nBreaths} test breaths`);
  if (stopHere('ingest')) return null;

  // 3. features
  const entries = config.models.map((entry) => {
    const definition = getModel(entry.name);
    return { entry, id: modelEntryId(entry), featureSet: entry.featureSet ?? definition.featureSet, config: resolveModelConfig(entry) };
  });
  const featureSets = [...new Set(entries.map((e) => e.featureSet))];
  const featureStart = Date.now();
  for (const set of featureSets) {
    await buildFeaturesCached(train, set, run.cacheDir, trainLoad.hash);
    await buildFeaturesCached(test, set, run.cacheDir, testLoad.hash);
  }
  run.completeStage('features', { key: hashJson({ trainLoad: trainLoad.hash, test: testLoad.hash, featureSets }), seconds: (Date.now() - featureStart) / 1000, summary: { featureSets } });

  if (stopHere('features')) return null;

  // 4. folds
  const foldsKey = hashJson({ breathIds: hashJson(Array.from(train.breathId)), k: config.folds.k, stratified: config.folds.stratified, seed: config.seed, file: config.folds.file ? await hashFile(config.folds.file) : null });
  if (!run.stage('folds', foldsKey)) {
    rmSync(run.foldsPath, { force: true });
    if (config.folds.file) copyFileSync(config.folds.file, run.foldsPath);
  }
  const foldsStart = Date.now();
  const folds = loadOrCreateFolds(run.foldsPath, train, { nFolds: config.folds.k, seed: deriveSeed(config.seed, 'folds'), stratified: config.folds.stratified });
  run.completeStage('folds', { key: foldsKey, seconds: (Date.now() - foldsStart) / 1000, summary: { k: folds.nFolds } });

  if (stopHere('folds')) return null;

  // 5. train
  const jobs: PoolJob<TrainJobSpec>[] = [];
  const specs: TrainJobSpec[] = [];
  for (const { entry, id, featureSet, config: modelConfig } of entries) {
    const recipe = resolveEntryRecipe(config.recipe, entry);
    for (let fold = 0; fold < folds.nFolds; fold++) {
      const spec: TrainJobSpec = {
        key: '',
        jobDir: run.jobDir(id, fold),
        modelId: id,
        modelName: entry.name,
        config: modelConfig,
        recipe,
        trainFeatures: featureCachePath(run.cacheDir, trainLoad.hash, featureSet),
        testFeatures: featureCachePath(run.cacheDir, testLoad.hash, featureSet),
        foldsPath: run.foldsPath,
        fold,
        scaler: config.scaler,
        seed: deriveSeed(config.seed, 'model', id, 'fold', fold),
        backend: backend.name,
      };
      spec.key = hashJson({ ...spec, key: undefined, jobDir: undefined, featureSet: featureSetHash(featureSet), train: trainLoad.hash, test: testLoad.hash, folds: foldsKey });
      specs.push(spec);
      if (!readDone(spec.jobDir, spec.key)) jobs.push({ label: `${id} fold ${fold}`, epochs: resolveRecipe(recipe).epochs, spec });
    }
  }
  const trainStart = Date.now();
  if (jobs.length > 0) {
    print(`train: ${jobs.length} of ${specs.length} (model, fold) jobs to run, ${options.queue ? `on the queue ${redactRedisUrl(options.queue.url)}` : `${config.jobs} at a time`}`);
    const progress = createProgress(jobs.length, { tty: options.tty, log: print });
    try {
      await (options.queue ? runJobsOnQueue(jobs, { ...options.queue, runDir: run.dir }, progress) : runJobPool(jobs, config.jobs, progress));
    } finally {
      progress.stop();
    }
  } else {
    print(`train: all ${specs.length} jobs already done`);
  }
  run.completeStage('train', { key: hashJson(specs.map((s) => s.key)), seconds: (Date.now() - trainStart) / 1000, summary: { jobs: specs.length, ran: jobs.length } });

  if (stopHere('train')) return null;

  // 6. collect
  const models: ModelScore[] = [];
  for (const { id } of entries) {
    const oof = new Float32Array(train.nBreaths * ROWS_PER_BREATH).fill(Number.NaN);
    const testByFold: Float32Array[] = [];
    const foldScores: ModelScore['folds'] = [];
    for (const spec of specs.filter((s) => s.modelId === id)) {
      const result = readJobResult(spec.jobDir);
      const done = readDone(spec.jobDir, spec.key)!;
      result.validIdx.forEach((b, i) => oof.set(result.oof.subarray(i * ROWS_PER_BREATH, (i + 1) * ROWS_PER_BREATH), b * ROWS_PER_BREATH));
      testByFold.push(result.test);
      foldScores.push({ fold: spec.fold, validMae: done.bestValidMae, bestEpoch: done.bestEpoch });
    }
    saveModelPredictions(run.dir, id, { oof, testByFold });
    models.push({ model: id, oofMae: inspiratoryMae(oof, train.pressure!, train.uOut), folds: foldScores });
  }

  // 7. submit
  const submitStart = Date.now();
  const submission = await buildSubmission({
    runDir: run.dir,
    train,
    test,
    sampleSubmission: files.sampleSubmission,
    answers: files.answers,
    foldsPath: run.foldsPath,
    foldCombine: config.blend.folds,
    modelCombine: config.blend.models,
    postprocess: config.postprocess,
    out: run.submissionPath,
  });
  run.completeStage('submit', { key: hashJson({ specs: specs.map((s) => s.key), blend: config.blend, postprocess: config.postprocess }), seconds: (Date.now() - submitStart) / 1000, summary: {} });

  // 8. report
  const summary = await report({ run, config, train, test, models, submission, backend: backend.name, started, print });
  return summary;
}

async function ingestFiles(config: RunConfig, run: RunFolder, print: (line: string) => void): Promise<InputFiles> {
  const input = config.input;
  if (input.kind === 'kaggle') {
    const files: InputFiles = {
      train: join(input.dir, 'train.csv'),
      test: join(input.dir, 'test.csv'),
      sampleSubmission: join(input.dir, 'sample_submission.csv'),
      answers: input.answers,
    };
    const missing = Object.entries(files).filter(([, path]) => path !== undefined && !existsSync(path));
    if (missing.length > 0) {
      throw new Error(
        `the ${config.name} run reads the Kaggle files, but ${missing.map(([, p]) => p).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing. ` +
          `Download them from https://www.kaggle.com/competitions/ventilator-pressure-prediction/data into ${input.dir}/, ` +
          `or simulate a data set: npx tidal run --preset default`,
      );
    }
    return files;
  }
  const testBreaths = input.testBreaths ?? Math.floor(input.breaths / 2);
  const key = hashJson({ breaths: input.breaths, testBreaths, seed: config.seed });
  const files: InputFiles = {
    train: join(run.inputDir, SIMULATED_FILE_NAMES.train),
    test: join(run.inputDir, SIMULATED_FILE_NAMES.test),
    sampleSubmission: join(run.inputDir, SIMULATED_FILE_NAMES.sampleSubmission),
    answers: join(run.inputDir, SIMULATED_FILE_NAMES.answers),
  };
  if (!run.stage('simulate', key) || Object.values(files).some((p) => !existsSync(p!))) {
    const t0 = Date.now();
    await writeSimulatedFiles(run.inputDir, { breaths: input.breaths, testBreaths, seed: deriveSeed(config.seed, 'simulate') });
    run.completeStage('simulate', { key, seconds: (Date.now() - t0) / 1000, summary: { breaths: input.breaths, testBreaths } });
    print(`simulate: ${input.breaths} train and ${testBreaths} test breaths -> ${run.inputDir}`);
  }
  return files;
}

interface ReportInput {
  run: RunFolder;
  config: RunConfig;
  train: BreathTable;
  test: BreathTable;
  models: ModelScore[];
  submission: SubmissionReport;
  backend: string;
  started: number;
  print: (line: string) => void;
}

async function report(r: ReportInput): Promise<RunSummary> {
  let testMae: number | null = null;
  let baselineTestMae: number | null = null;
  // buildSubmission already read the answers (test-table order): score the baseline on the same array.
  const answers = r.submission.inputs.answers;
  if (answers) {
    const baseline = predictRcTimeMean(fitRcTimeMean(r.train), r.test);
    baselineTestMae = inspiratoryMae(baseline, answers, r.test.uOut);
    testMae = r.submission.testMae ?? null;
  }
  const seconds = (Date.now() - r.started) / 1000;
  const fmt = (x: number | null) => (x === null ? 'n/a' : x.toFixed(4));
  r.print('');
  r.print(`CV inspiratory MAE (out of fold):`);
  for (const m of r.models) r.print(`  ${m.model.padEnd(24)} ${fmt(m.oofMae)}   folds: ${m.folds.map((f) => f.validMae.toFixed(4)).join(' ')}`);
  r.print(`  ${'blend'.padEnd(24)} ${fmt(r.submission.blendOofMae)} (${r.config.blend.models}, cross-validated)`);
  r.print(`  ${'blend + post-processing'.padEnd(24)} ${fmt(r.submission.postprocessedOofMae)}`);
  r.print(`controller inversion: ${(100 * r.submission.inversionCoverage).toFixed(1)}% of inspiratory test rows solved`);
  if (testMae !== null) {
    const ratio = baselineTestMae! / testMae;
    const versus = ratio >= 1 ? `${ratio.toFixed(1)}x lower error` : `${(1 / ratio).toFixed(1)}x higher error`;
    r.print(`test inspiratory MAE: submission ${fmt(testMae)}, per-(R, C, time) baseline ${fmt(baselineTestMae)} (${versus} than the baseline)`);
  }
  r.print(`submission: ${r.run.submissionPath}`);
  r.print(`run folder: ${r.run.dir} (${seconds.toFixed(0)} s)`);
  writeFileAtomic(r.run.path('report.md'), `# Run ${r.config.name}\n\nOut-of-fold inspiratory MAE, overall and per (R, C):\n\n${formatReport(r.submission.report)}\n`);
  r.run.updateManifest((m) => {
    m.metrics = {
      models: r.models,
      blendOofMae: r.submission.blendOofMae,
      inversionCoverage: r.submission.inversionCoverage,
      testMae,
      baselineTestMae,
    };
  });
  return { runDir: r.run.dir, backend: r.backend, models: r.models, submission: r.submission, testMae, baselineTestMae, seconds };
}

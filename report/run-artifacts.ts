/**
 * Everything the HTML report reads from a finished run folder, checked on the way in:
 *
 *   manifest.json                 versions, backend, seed, input hashes, stage timings, metrics
 *   config.json                   the resolved config (blend method, name)
 *   folds.csv                     the fold of each train breath
 *   cache/                        the parsed train breath table (via the input's hash)
 *   predictions/MODEL/oof.arrow   each model's out-of-fold predictions
 *   blend/oof.arrow               the cross-validated blend's (refitted when an older run lacks it)
 *   jobs/MODEL/fold-K/            history.json (per-epoch curves), done.json (job seconds)
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { loadBreathTableCached, type BreathTable } from '../dataset/index.ts';
import { foldsOf, readFoldsCsv } from '../folds/index.ts';
import type { EpochRecord } from '../models/training/resume-state.ts';
import { readJobHistory } from '../pipeline/job-history.ts';
import { RunCatalog } from '../core/index.ts';
import { blendMethods, crossValidatedBlend, readBlendOof, readPredictionColumn } from '../submissions/index.ts';

const FoldScoreSchema = z.object({ fold: z.number().int(), validMae: z.number(), bestEpoch: z.number().int() });
const ModelScoresSchema = z.array(z.object({ model: z.string(), oofMae: z.number(), folds: z.array(FoldScoreSchema) })).min(1);
/** How the submission was made (submissions/submission-recipe.ts); runs from before it was recorded have none. */
const BlendRecipeSchema = z.object({ folds: z.string(), agreement: z.number(), models: z.string(), invert: z.boolean(), tolerance: z.number(), snap: z.boolean() });
const MetricsSchema = z.object({
  models: ModelScoresSchema,
  blend: BlendRecipeSchema.optional(),
  blendOofMae: z.number(),
  inversionCoverage: z.number(),
  testMae: z.number().nullable(),
  // Runs from before these scores existed have neither.
  blendTestMae: z.number().nullable().default(null),
  baselineTestMae: z.number().nullable(),
  /** Model id -> weight, for weighted blends. */
  blendWeights: z.record(z.string(), z.number()).nullable().default(null),
  /** The pseudo-labelled second round (config `pseudoLabel`). */
  round2: z.object({ models: ModelScoresSchema, blend: BlendRecipeSchema.optional(), blendOofMae: z.number(), postprocessedOofMae: z.number(), testMae: z.number().nullable() }).optional(),
  modelContributions: z.array(z.object({ model: z.string(), blendOofMaeWithout: z.number(), cost: z.number() })).default([]),
});
const ManifestSchema = z.object({
  tidal: z.string(),
  node: z.string(),
  tfjs: z.string(),
  backend: z.string(),
  backendTried: z.array(z.object({ name: z.string(), error: z.string().optional() })).default([]),
  seed: z.number(),
  inputs: z.record(z.string(), z.string()),
  inputHashes: z.record(z.string(), z.string()),
  stages: z.record(z.string(), z.object({ seconds: z.number(), at: z.string() })),
  metrics: MetricsSchema,
});
const ConfigSchema = z.looseObject({ name: z.string(), blend: z.looseObject({ models: z.string() }) });

export type RunMetrics = z.infer<typeof MetricsSchema>;
export type ReportManifest = z.infer<typeof ManifestSchema>;

export interface JobArtifacts {
  model: string;
  fold: number;
  /** Per-epoch records; empty for a job finished before histories were kept. */
  history: EpochRecord[];
  /** The job's wall seconds (done.json), a timing. */
  seconds: number | null;
}

export interface RunArtifacts {
  runDir: string;
  /** manifest.json as written (shown verbatim) and checked. */
  manifestJson: Record<string, unknown>;
  manifest: ReportManifest;
  configJson: Record<string, unknown>;
  name: string;
  /** The blend method of blend/oof.arrow: the recorded recipe's (`tidal submit` may have changed it), else the config's. */
  blendMethod: string;
  train: BreathTable;
  /** Fold of each train breath. */
  breathFold: Int32Array;
  /** Out-of-fold predictions per train row: each model's, in manifest order. */
  oofByModel: Map<string, Float32Array>;
  blendOof: Float32Array;
  jobs: JobArtifacts[];
}

function readJson(path: string, what: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${what}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
}

/** A finished run's manifest, checked (a run stopped early or still training has no metrics). */
export function readRunManifest(runDir: string): { json: Record<string, unknown>; manifest: ReportManifest } {
  const path = new RunCatalog(runDir).manifest;
  const json = readJson(path, 'not a run folder (run `tidal run` first)');
  if (!json.metrics || Object.keys(json.metrics as object).length === 0) {
    throw new Error(`${path}: the run has no metrics yet; finish it with \`tidal run\` (same config and --out) first`);
  }
  return { json, manifest: parse(ManifestSchema, json, path) };
}

export async function readRunArtifacts(runDirInput: string): Promise<RunArtifacts> {
  const catalog = new RunCatalog(runDirInput);
  const runDir = catalog.dir;
  const { json: manifestJson, manifest } = readRunManifest(runDir);
  // The report cannot show its own stage's timing, so it shows none: `tidal report` then writes the
  // same bytes as the run's report stage did.
  delete manifest.stages.report;
  delete (manifestJson.stages as Record<string, unknown> | undefined)?.report;
  const configPath = catalog.config;
  const configJson = readJson(configPath, 'the run folder has no resolved config');
  const config = parse(ConfigSchema, configJson, configPath);

  const trainCsv = manifest.inputs.train;
  if (!trainCsv) throw new Error(`${catalog.manifest}: inputs.train is missing`);
  const trainPath = isAbsolute(trainCsv) ? trainCsv : resolve(runDir, trainCsv);
  if (!existsSync(trainPath)) throw new Error(`the report needs the run's train table: ${trainPath} (manifest.json inputs.train) is missing`);
  const { table: train } = await loadBreathTableCached(trainPath, catalog.cacheDir, 'train');
  if (!train.pressure) throw new Error(`${trainPath}: the train table has no pressure column`);
  const breathFold = Int32Array.from(foldsOf(readFoldsCsv(catalog.folds), train.breathId));

  const oofByModel = new Map<string, Float32Array>();
  for (const { model } of manifest.metrics.models) oofByModel.set(model, readPredictionColumn(catalog.predictions(model).oof));
  const blendMethod = manifest.metrics.blend?.models ?? config.blend.models;
  // The blend was fitted over the models sorted by id (pipeline/stages/submit.ts).
  const blendModels = [...oofByModel.keys()].sort();
  // Runs from before blend/oof.arrow existed: refit the same cross-validated blend (deterministic).
  const blendOof =
    readBlendOof(runDir) ?? crossValidatedBlend(blendMethods.get(blendMethod), blendModels.map((m) => oofByModel.get(m)!), train, breathFold).oof;

  const jobs: JobArtifacts[] = [];
  for (const { model, folds } of manifest.metrics.models) {
    for (const { fold } of folds) {
      const job = catalog.job(model, fold);
      const done = existsSync(job.done) ? (JSON.parse(readFileSync(job.done, 'utf8')) as { seconds?: number }) : {};
      jobs.push({ model, fold, history: readJobHistory(job.history) ?? [], seconds: typeof done.seconds === 'number' ? done.seconds : null });
    }
  }
  return { runDir, manifestJson, manifest, configJson, name: config.name, blendMethod, train, breathFold, oofByModel, blendOof, jobs };
}

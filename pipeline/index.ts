export { runPipeline, checkRun, STOP_STAGES, type StopStage, type RunOptions, type RunSummary } from './run.ts';
export { planRun, mergeRecipe, type RunPlan, type PlannedModel } from './plan.ts';
export { runStage, type Stage, type StageContext } from './stage.ts';
export { RunConfigSchema, ConfigError, parseRunConfig, readRunConfig, modelEntryId, type RunConfig, type ModelEntryConfig } from './config.ts';
export { loadPreset, presetNames, presetPath } from './presets.ts';
export { RunFolder, type Manifest, type StageRecord } from './run-folder.ts';
export type { ModelScore } from './stages/predictions.ts';
export { buildProgram, main } from './cli.ts';
export { runJobsOnQueue, startQueueWorker, redactRedisUrl, type QueueRunOptions, type QueueWorkerOptions } from './queue/index.ts';

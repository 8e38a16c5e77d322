export { runPipeline, STOP_STAGES, type StopStage, resolveEntryRecipe, resolveModelConfig, type RunOptions, type RunSummary, type ModelScore } from './run.ts';
export { RunConfigSchema, ConfigError, parseRunConfig, readRunConfig, checkOverrideKeys, modelEntryId, type RunConfig, type ModelEntryConfig } from './config.ts';
export { loadPreset, presetNames, presetPath } from './presets.ts';
export { RunFolder, type Manifest, type StageRecord } from './run-folder.ts';
export { buildProgram, main } from './cli.ts';
export { runJobsOnQueue, startQueueWorker, redactRedisUrl, type QueueRunOptions, type QueueWorkerOptions } from './queue/index.ts';

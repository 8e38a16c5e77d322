/**
 * Stage `input`: the run's Kaggle-format files, either the user's (checked to exist, hashed) or
 * written by the simulator into the run folder. The key is the files' content, so edited input
 * files retrain what depends on them and a moved run folder does not.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { deriveSeed, hashFile } from '../../core/index.ts';
import { writeSimulatedFiles } from '../../simulator/index.ts';
import type { RunConfig } from '../config.ts';
import type { Stage, StageContext } from '../stage.ts';

export type InputName = 'train' | 'test' | 'sampleSubmission' | 'answers';

export interface InputFiles {
  /** Paths as given (the user's files), or relative to the run folder (simulated files). */
  paths: Partial<Record<InputName, string>>;
  /** SHA-256 of each file's bytes. */
  hashes: Partial<Record<InputName, string>>;
}

const KAGGLE_FILES: Record<Exclude<InputName, 'answers'>, string> = {
  train: 'train.csv',
  test: 'test.csv',
  sampleSubmission: 'sample_submission.csv',
};

/** An input's absolute path (simulated inputs are stored relative to the run folder). */
export function inputPath(ctx: StageContext, files: InputFiles, name: InputName): string | undefined {
  const path = files.paths[name];
  return path === undefined ? undefined : isAbsolute(path) ? path : resolve(ctx.run.dir, path);
}

function kagglePaths(input: Extract<RunConfig['input'], { kind: 'kaggle' }>, runName: string): Partial<Record<InputName, string>> {
  const paths: Partial<Record<InputName, string>> = {};
  for (const [name, file] of Object.entries(KAGGLE_FILES)) paths[name as InputName] = resolve(input.dir, file);
  if (input.answers) paths.answers = resolve(input.answers);
  const missing = Object.values(paths).filter((p) => !existsSync(p!));
  if (missing.length > 0) {
    throw new Error(
      `the ${runName} run reads the Kaggle files, but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing. ` +
        `Download them from https://www.kaggle.com/competitions/ventilator-pressure-prediction/data into ${input.dir}/, ` +
        `or simulate a data set: npx tidal run --preset default`,
    );
  }
  for (const p of Object.values(paths)) {
    if (!statSync(p!).isFile()) throw new Error(`${p}: expected a CSV file, found a directory`);
  }
  return paths;
}

/** The files' content hashes, computed once per process. */
async function hashAll(ctx: StageContext, paths: Partial<Record<InputName, string>>): Promise<InputFiles['hashes']> {
  const hashes: InputFiles['hashes'] = {};
  for (const [name, path] of Object.entries(paths)) {
    const file = resolve(ctx.run.dir, path!);
    const memoKey = `hash:${file}`;
    if (!ctx.memo.has(memoKey)) ctx.memo.set(memoKey, await hashFile(file));
    hashes[name as InputName] = ctx.memo.get(memoKey) as string;
  }
  return hashes;
}

/**
 * The input files with the hashes of their bytes now: a recorded result may carry the hashes of
 * files edited since, and every later key must see the edit.
 */
export async function currentInputs(ctx: StageContext, files: InputFiles): Promise<InputFiles> {
  return { paths: files.paths, hashes: await hashAll(ctx, files.paths) };
}

export const inputStage: Stage<RunConfig, InputFiles> = {
  name: 'input',
  async key(config, ctx) {
    const input = config.input;
    if (input.kind === 'simulate') return { simulate: input.breaths, testBreaths: input.testBreaths ?? Math.floor(input.breaths / 2), seed: config.seed };
    return { kaggle: await hashAll(ctx, kagglePaths(input, config.name)) };
  },
  async run(config, ctx) {
    const input = config.input;
    if (input.kind === 'kaggle') {
      const paths = kagglePaths(input, config.name);
      return { paths, hashes: await hashAll(ctx, paths) };
    }
    const testBreaths = input.testBreaths ?? Math.floor(input.breaths / 2);
    const written = await writeSimulatedFiles(ctx.run.catalog.inputDir, { breaths: input.breaths, testBreaths, seed: deriveSeed(config.seed, 'simulate') });
    ctx.print(`simulate: ${input.breaths} train and ${testBreaths} test breaths -> ${ctx.run.catalog.inputDir}`);
    const paths: InputFiles['paths'] = {};
    for (const name of ['train', 'test', 'sampleSubmission', 'answers'] as const) paths[name] = relative(ctx.run.dir, written[name]);
    return { paths, hashes: await hashAll(ctx, paths) };
  },
  outputsPresent(files, ctx) {
    return (Object.keys(files.paths) as InputName[]).every((name) => existsSync(inputPath(ctx, files, name)!));
  },
};

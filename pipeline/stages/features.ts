/**
 * Stage `features`: one [breaths, 80, F] layout per feature set the planned models use, for train
 * and test, cached as Arrow files named by the data's and the feature set's hashes.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildFeaturesCached, featureCachePath, featureSetHash } from '../../features/index.ts';
import type { Stage } from '../stage.ts';
import { breathTables } from './ingest.ts';
import type { InputFiles } from './input.ts';

/** Per feature set, the layout files' names inside the run's cache folder. */
export interface FeatureLayouts {
  sets: Record<string, { train: string; test: string; hash: string }>;
}

export const featuresStage: Stage<InputFiles, FeatureLayouts> = {
  name: 'features',
  key: (files, ctx) => ({
    train: files.hashes.train,
    test: files.hashes.test,
    sets: [...new Set(ctx.plan.models.map((m) => m.featureSet))].map((set) => [set, featureSetHash(set)]),
  }),
  async run(files, ctx) {
    const { train, test } = await breathTables(ctx, files);
    const cacheDir = ctx.run.catalog.cacheDir;
    const sets: FeatureLayouts['sets'] = {};
    for (const set of new Set(ctx.plan.models.map((m) => m.featureSet))) {
      await buildFeaturesCached(train, set, cacheDir, files.hashes.train!);
      await buildFeaturesCached(test, set, cacheDir, files.hashes.test!);
      sets[set] = {
        train: basename(featureCachePath(cacheDir, files.hashes.train!, set)),
        test: basename(featureCachePath(cacheDir, files.hashes.test!, set)),
        hash: featureSetHash(set),
      };
    }
    return { sets };
  },
  outputsPresent: (layouts, ctx) =>
    Object.values(layouts.sets).every((s) => existsSync(join(ctx.run.catalog.cacheDir, s.train)) && existsSync(join(ctx.run.catalog.cacheDir, s.test))),
};

/**
 * Stage `folds`: folds.csv, drawn by seeded (stratified) group k-fold over breaths, or copied from
 * the config's shared folds file.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { deriveSeed, hashFile } from '../../core/index.ts';
import { loadOrCreateFolds } from '../../folds/index.ts';
import type { Stage } from '../stage.ts';
import { breathTables } from './ingest.ts';
import type { InputFiles } from './input.ts';

export interface FoldsResult {
  k: number;
}

export const foldsStage: Stage<InputFiles, FoldsResult> = {
  name: 'folds',
  async key(files, ctx) {
    const { folds, seed } = ctx.plan.config;
    return { train: files.hashes.train, k: folds.k, stratified: folds.stratified, seed, file: folds.file ? await hashFile(folds.file) : null };
  },
  async run(files, ctx) {
    const { folds, seed } = ctx.plan.config;
    const path = ctx.run.catalog.folds;
    rmSync(path, { force: true });
    if (folds.file) copyFileSync(folds.file, path);
    const { train } = await breathTables(ctx, files);
    const assignment = loadOrCreateFolds(path, train, { nFolds: folds.k, seed: deriveSeed(seed, 'folds'), stratified: folds.stratified });
    return { k: assignment.nFolds };
  },
  outputsPresent: (_, ctx) => existsSync(ctx.run.catalog.folds),
};

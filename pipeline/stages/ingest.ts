/**
 * Stage `ingest`: the train and test CSVs parsed, checked (every bad value named by file, line
 * and column) and cached as Arrow tables keyed by the CSV's content; the test ids checked against
 * the sample submission's.
 */
import { checkTestIdsMatchSample, loadBreathTableCached, readSampleSubmission, type BreathTable } from '../../dataset/index.ts';
import type { Stage, StageContext } from '../stage.ts';
import { inputPath, type InputFiles } from './input.ts';

export interface IngestResult {
  train: { nBreaths: number; hash: string };
  test: { nBreaths: number; hash: string };
}

export interface BreathTables {
  train: BreathTable;
  test: BreathTable;
}

/** The parsed tables, read once per process (from the Arrow cache after the first run). */
export async function breathTables(ctx: StageContext, files: InputFiles): Promise<BreathTables> {
  const memo = ctx.memo.get('breathTables') as BreathTables | undefined;
  if (memo) return memo;
  const [train, test] = [
    await loadBreathTableCached(inputPath(ctx, files, 'train')!, ctx.run.catalog.cacheDir, 'train'),
    await loadBreathTableCached(inputPath(ctx, files, 'test')!, ctx.run.catalog.cacheDir, 'test'),
  ];
  const tables = { train: train.table, test: test.table };
  ctx.memo.set('breathTables', tables);
  return tables;
}

export const ingestStage: Stage<InputFiles, IngestResult> = {
  name: 'ingest',
  key: (files) => ({ train: files.hashes.train, test: files.hashes.test, sampleSubmission: files.hashes.sampleSubmission }),
  async run(files, ctx) {
    const { train, test } = await breathTables(ctx, files);
    const sampleSubmission = inputPath(ctx, files, 'sampleSubmission')!;
    checkTestIdsMatchSample(test, await readSampleSubmission(sampleSubmission), { test: inputPath(ctx, files, 'test')!, sampleSubmission });
    return { train: { nBreaths: train.nBreaths, hash: files.hashes.train! }, test: { nBreaths: test.nBreaths, hash: files.hashes.test! } };
  },
};

/**
 * A simulated data set as Kaggle files: what `tidal simulate` writes and what a run on the
 * built-in default reads back through the same CSV path as the real competition files.
 */
import { join } from 'node:path';
import { rowCount } from '../dataset/breath-table.ts';
import { simulateDataset } from './simulator.ts';
import { writeBreathCsv, writeIdValueCsv } from '../dataset/write-csv.ts';

export interface SimulatedFiles {
  train: string;
  test: string;
  sampleSubmission: string;
  /** id,pressure: the true test pressures, for scoring a submission. */
  answers: string;
  trainRows: number;
  testRows: number;
}

export const SIMULATED_FILE_NAMES = {
  train: 'train.csv',
  test: 'test.csv',
  sampleSubmission: 'sample_submission.csv',
  answers: 'test_answers.csv',
} as const;

export async function writeSimulatedFiles(dir: string, options: { breaths: number; testBreaths: number; seed: number }): Promise<SimulatedFiles> {
  const { train, test } = simulateDataset(options);
  const answers = test.pressure!;
  const files = {
    train: join(dir, SIMULATED_FILE_NAMES.train),
    test: join(dir, SIMULATED_FILE_NAMES.test),
    sampleSubmission: join(dir, SIMULATED_FILE_NAMES.sampleSubmission),
    answers: join(dir, SIMULATED_FILE_NAMES.answers),
  };
  await writeBreathCsv(files.train, train, { withPressure: true });
  await writeBreathCsv(files.test, test, { withPressure: false });
  await writeIdValueCsv(files.sampleSubmission, test.id, new Float64Array(answers.length), 'pressure');
  await writeIdValueCsv(files.answers, test.id, answers, 'pressure');
  return { ...files, trainRows: rowCount(train), testRows: rowCount(test) };
}

/** `tidal score`: a submission file against an answers file, with R, C and u_out from test.csv. */
import { readTestCsv } from '../dataset/index.ts';
import { inspiratoryMaeByRc, type RcScore } from './inspiratory-mae.ts';
import { readIdValues } from './read-id-values.ts';

export interface ScoreFiles {
  submission: string;
  answers: string;
  test: string;
}

export async function scoreSubmissionFiles(files: ScoreFiles): Promise<RcScore[]> {
  const test = await readTestCsv(files.test);
  const pred = await readIdValues(files.submission, test.id);
  const answers = await readIdValues(files.answers, test.id);
  return inspiratoryMaeByRc(pred, answers, test);
}

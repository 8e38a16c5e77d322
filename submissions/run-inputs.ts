/**
 * What building a submission needs besides predictions: the train and test breath tables, the
 * sample submission's id order, the folds and, when known, the test answers. Anything not given
 * is read from the run folder: paths from manifest.json's `inputs` ({ train, test,
 * sampleSubmission, answers? }), folds from folds.csv.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { RunCatalog } from '../core/index.ts';
import { readSampleSubmission, readTestCsv, readTrainCsv, type BreathTable } from '../dataset/index.ts';
import { foldsOf, readFoldsCsv } from '../folds/index.ts';
import { readIdValues } from './read-id-values.ts';

export interface SubmissionInputs {
  train: BreathTable;
  test: BreathTable;
  /** Ids of sample_submission.csv, in its order: the order of submission.csv. */
  sampleIds: Int32Array;
  /** Fold of each train breath, in table order. */
  breathFold: Int32Array;
  /** True pressure per test row (table order), when the answers are known. */
  answers?: Float64Array;
}

/** Parts already at hand; the rest comes from the run folder. */
export interface InputSources {
  runDir?: string;
  train?: BreathTable;
  test?: BreathTable;
  /** Path of sample_submission.csv. */
  sampleSubmission?: string;
  /** Path of folds.csv (breath_id,fold); default runDir/folds.csv. */
  foldsPath?: string;
  /** Path of the test answers (id,pressure); default the manifest's, if any. */
  answers?: string;
}

type ManifestInputs = Partial<Record<'train' | 'test' | 'sampleSubmission' | 'answers', string>>;

function readManifestInputs(runDir: string): ManifestInputs {
  const path = new RunCatalog(runDir).manifest;
  if (!existsSync(path)) return {};
  const inputs = (JSON.parse(readFileSync(path, 'utf8')) as { inputs?: ManifestInputs }).inputs ?? {};
  const at = (p: string | undefined) => (typeof p === 'string' ? (isAbsolute(p) ? p : resolve(runDir, p)) : undefined);
  return { train: at(inputs.train), test: at(inputs.test), sampleSubmission: at(inputs.sampleSubmission), answers: at(inputs.answers) };
}

export async function resolveInputs(sources: InputSources): Promise<SubmissionInputs> {
  const manifest = sources.runDir ? readManifestInputs(sources.runDir) : {};
  const need = (key: 'train' | 'test' | 'sampleSubmission', given: string | undefined): string => {
    const path = given ?? manifest[key];
    if (!path) {
      throw new Error(`building a submission needs the ${key} input: pass it, or give a run folder whose manifest.json lists inputs.${key}`);
    }
    return path;
  };
  const train = sources.train ?? (await readTrainCsv(need('train', undefined)));
  const test = sources.test ?? (await readTestCsv(need('test', undefined)));
  const sampleIds = (await readSampleSubmission(need('sampleSubmission', sources.sampleSubmission))).id;
  const foldsPath = sources.foldsPath ?? (sources.runDir ? new RunCatalog(sources.runDir).folds : undefined);
  if (!foldsPath) throw new Error('building a submission needs the folds: pass foldsPath or a run folder with folds.csv');
  const breathFold = Int32Array.from(foldsOf(readFoldsCsv(foldsPath), train.breathId));
  const answersPath = sources.answers ?? manifest.answers;
  const answers = answersPath ? await readIdValues(answersPath, test.id) : undefined;
  return { train, test, sampleIds, breathFold, answers };
}

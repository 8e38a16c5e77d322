/**
 * Readers for the competition's files: train.csv, test.csv (no pressure) and
 * sample_submission.csv. Every check runs here, before anything downstream sees the data, and
 * each failure is an InputError naming the file, line and column. Breath files' time_step, u_in
 * and pressure must also lie in their physical ranges (physical-ranges.ts); an id,pressure file
 * (sample submission, submission, answers) only needs finite pressures.
 *
 * Breath files come back as a BreathTable with breaths ordered by ascending breath_id and rows
 * by time_step (ties by id), whatever the order of the file (see group-breaths.ts).
 */
import { C_VALUES, R_VALUES, type BreathTable } from './breath-table.ts';
import { lineOfRow, readCsvColumns, type CsvColumnSpec } from './csv-columns.ts';
import { checkUniqueIds, groupBreaths } from './group-breaths.ts';
import { InputError } from './input-error.ts';
import { PRESSURE_RANGE, TIME_STEP_RANGE, U_IN_RANGE } from './physical-ranges.ts';

/** train: with pressure; test: without it. */
export type BreathCsvKind = 'train' | 'test';

const INT32 = { kind: 'int32' } as const;
const FLOAT64 = { kind: 'float64' } as const;

const BREATH_COLUMNS: readonly CsvColumnSpec[] = [
  { name: 'id', type: INT32 },
  { name: 'breath_id', type: INT32 },
  { name: 'R', type: { kind: 'choice', values: R_VALUES } },
  { name: 'C', type: { kind: 'choice', values: C_VALUES } },
  { name: 'time_step', type: { kind: 'float64', range: TIME_STEP_RANGE } },
  { name: 'u_in', type: { kind: 'float64', range: U_IN_RANGE } },
  { name: 'u_out', type: { kind: 'choice', values: [0, 1] } },
];
const PRESSURE_COLUMN: CsvColumnSpec = { name: 'pressure', type: { kind: 'float64', range: PRESSURE_RANGE } };

export async function readBreathCsv(path: string, { kind }: { kind: BreathCsvKind }): Promise<BreathTable> {
  const specs = kind === 'train' ? [...BREATH_COLUMNS, PRESSURE_COLUMN] : BREATH_COLUMNS;
  const { rows, columns } = await readCsvColumns(path, specs);
  if (rows === 0) throw new InputError({ file: path, line: 2 }, 'no data rows after the header');
  return groupBreaths(path, {
    rows,
    id: columns.get('id') as Int32Array,
    breathId: columns.get('breath_id') as Int32Array,
    R: columns.get('R') as Uint8Array,
    C: columns.get('C') as Uint8Array,
    timeStep: columns.get('time_step') as Float64Array,
    uIn: columns.get('u_in') as Float64Array,
    uOut: columns.get('u_out') as Uint8Array,
    pressure: kind === 'train' ? (columns.get('pressure') as Float64Array) : null,
  });
}

export function readTrainCsv(path: string): Promise<BreathTable> {
  return readBreathCsv(path, { kind: 'train' });
}

export function readTestCsv(path: string): Promise<BreathTable> {
  return readBreathCsv(path, { kind: 'test' });
}

/** sample_submission.csv: one row per test row, in file order. */
export interface SampleSubmission {
  id: Int32Array;
  pressure: Float64Array;
}

export async function readSampleSubmission(path: string): Promise<SampleSubmission> {
  const { rows, columns } = await readCsvColumns(path, [
    { name: 'id', type: INT32 },
    { name: 'pressure', type: FLOAT64 },
  ]);
  const id = columns.get('id') as Int32Array;
  checkUniqueIds(path, { rows, id });
  return { id, pressure: columns.get('pressure') as Float64Array };
}

/**
 * The test file and the sample submission must list the same ids: a submission built from one
 * would otherwise be rejected (or mis-scored) against the other. Names one example id each way.
 */
export function checkTestIdsMatchSample(
  test: BreathTable,
  sample: { id: Int32Array },
  paths: { test: string; sampleSubmission: string },
): void {
  const testIds = test.id.slice().sort();
  const sampleIds = sample.id.slice().sort();
  let i = 0;
  let j = 0;
  let missing = 0;
  let extra = 0;
  let missingExample = 0;
  let extraExample = 0;
  while (i < testIds.length || j < sampleIds.length) {
    if (j === sampleIds.length || (i < testIds.length && testIds[i] < sampleIds[j])) {
      if (missing++ === 0) missingExample = testIds[i];
      i++;
    } else if (i === testIds.length || sampleIds[j] < testIds[i]) {
      if (extra++ === 0) extraExample = sampleIds[j];
      j++;
    } else {
      i++;
      j++;
    }
  }
  if (missing === 0 && extra === 0) return;
  const problems: string[] = [];
  if (missing > 0) problems.push(`${missing} id${missing > 1 ? 's' : ''} of ${paths.test} missing (e.g. id ${missingExample})`);
  if (extra > 0) {
    const line = lineOfRow(sample.id.indexOf(extraExample));
    problems.push(`${extra} id${extra > 1 ? 's' : ''} not in ${paths.test} (e.g. id ${extraExample} on line ${line})`);
  }
  throw new InputError(
    { file: paths.sampleSubmission, column: 'id' },
    `ids do not match the test file: ${problems.join('; ')}; expected exactly the ids of ${paths.test}`,
  );
}

/**
 * Values outside what a ventilator can produce are refused at ingest, with file, line and column,
 * so no absurd or non-finite number reaches a feature or a tensor.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  InputError,
  PRESSURE_RANGE,
  TIME_STEP_RANGE,
  U_IN_RANGE,
  readSampleSubmission,
  readTestCsv,
  readTrainCsv,
} from '../../dataset/index.ts';
import { PRESSURE_MAX, PRESSURE_MIN } from '../../core/index.ts';
import { writeSimulatedFiles } from '../../simulator/index.ts';
import { getField, readLines, setField, smallTables, tempDir, writeLines, writeTableCsv } from './make-table.ts';

const dir = tempDir();
const { train } = smallTables();

/** train.csv with one field replaced; resolves to the error (or null when the file is accepted). */
async function readEdited(name: string, line: number, column: string, value: string): Promise<InputError | null> {
  const source = await writeTableCsv(dir, `${name}.source.csv`, train);
  const path = writeLines(join(dir, `${name}.csv`), setField(readLines(source), line, column, value));
  return readTrainCsv(path).then(
    () => null,
    (err: unknown) => {
      assert.ok(err instanceof InputError, String(err));
      assert.equal(err.file, path);
      return err;
    },
  );
}

async function expectRefused(line: number, column: string, value: string, ...fragments: string[]): Promise<void> {
  const err = await readEdited(`${column}-${line}`, line, column, value);
  assert.ok(err, `${column} = ${value} on line ${line} was accepted`);
  assert.equal(err.line, line);
  assert.equal(err.column, column);
  assert.ok(err.message.includes(`:${line}, column ${column}`), err.message);
  for (const f of fragments) assert.ok(err.message.includes(f), `${err.message} lacks "${f}"`);
}

describe('physical ranges at ingest', () => {
  it('are the documented ones: time_step [0, 10] s, u_in [0, 100] %, pressure [-5, 70] cmH2O', () => {
    assert.deepEqual([TIME_STEP_RANGE.min, TIME_STEP_RANGE.max], [0, 10]);
    assert.deepEqual([U_IN_RANGE.min, U_IN_RANGE.max], [0, 100]);
    assert.deepEqual([PRESSURE_RANGE.min, PRESSURE_RANGE.max], [-5, 70]);
  });

  it('leave a margin around the pressure grid, so every grid pressure is accepted', () => {
    assert.ok(PRESSURE_RANGE.min < PRESSURE_MIN - 1, `${PRESSURE_RANGE.min} vs grid ${PRESSURE_MIN}`);
    assert.ok(PRESSURE_RANGE.max > PRESSURE_MAX + 1, `${PRESSURE_RANGE.max} vs grid ${PRESSURE_MAX}`);
  });

  it('refuse a huge or negative u_in', async () => {
    await expectRefused(9, 'u_in', '1e300', 'u_in', '1e+300', '[0, 100]');
    await expectRefused(10, 'u_in', '100.5', '[0, 100]');
    await expectRefused(11, 'u_in', '-0.01', '[0, 100]');
  });

  it('refuse a pressure outside [-5, 70]', async () => {
    await expectRefused(20, 'pressure', '1e300', '[-5, 70]');
    await expectRefused(21, 'pressure', '70.2', '[-5, 70]');
    await expectRefused(22, 'pressure', '-5.5', '[-5, 70]');
  });

  it('refuse a negative or too large time_step', async () => {
    await expectRefused(2, 'time_step', '-0.001', '[0, 10]');
    await expectRefused(81, 'time_step', '10.5', '[0, 10]');
  });

  it('accept the bounds themselves', async () => {
    const lines = readLines(await writeTableCsv(dir, 'bounds.source.csv', train));
    let edited = setField(lines, 2, 'time_step', '0');
    edited = setField(edited, 81, 'time_step', '10');
    edited = setField(edited, 3, 'u_in', '0');
    edited = setField(edited, 4, 'u_in', '100');
    edited = setField(edited, 5, 'pressure', '-5');
    edited = setField(edited, 6, 'pressure', '70');
    const back = await readTrainCsv(writeLines(join(dir, 'bounds.csv'), edited));
    assert.equal(back.timeStep[0], 0);
    assert.equal(back.timeStep[79], 10);
    assert.deepEqual([back.uIn[1], back.uIn[2]], [0, 100]);
    assert.deepEqual([back.pressure![3], back.pressure![4]], [-5, 70]);
  });

  it('apply to test.csv too, and check time order inside a breath after a range check passes', async () => {
    const { test } = smallTables();
    const source = await writeTableCsv(dir, 'test-range.source.csv', test, false);
    const bad = writeLines(join(dir, 'test-range.csv'), setField(readLines(source), 30, 'u_in', '250'));
    await assert.rejects(readTestCsv(bad), (err: unknown) => err instanceof InputError && err.line === 30 && err.column === 'u_in');
    // A time_step in range but repeating the previous row's is still refused by the time-order check.
    const line = 40;
    const tie = writeLines(join(dir, 'test-tie.csv'), setField(readLines(source), line, 'time_step', getField(readLines(source), line - 1, 'time_step')));
    await assert.rejects(readTestCsv(tie), (err: unknown) => err instanceof InputError && err.column === 'time_step' && /does not increase/.test(err.message));
  });

  it('do not apply to an id,pressure file (a submission may predict anything finite)', async () => {
    const path = writeLines(join(dir, 'submission.csv'), ['id,pressure', '1,80', '2,-7']);
    assert.deepEqual(Array.from((await readSampleSubmission(path)).pressure), [80, -7]);
  });

  it('hold for what `tidal simulate` writes, on several seeds', async () => {
    for (const seed of [1, 2, 3, 4]) {
      const files = await writeSimulatedFiles(join(dir, `simulated-${seed}`), { breaths: 300, testBreaths: 150, seed });
      assert.equal((await readTrainCsv(files.train)).nBreaths, 300);
      assert.equal((await readTestCsv(files.test)).nBreaths, 150);
      // The answers are pressures too: a run that scores against them reads them as such.
      const answers = (await readSampleSubmission(files.answers)).pressure;
      assert.ok(answers.every((p) => p >= PRESSURE_RANGE.min && p <= PRESSURE_RANGE.max));
    }
  });
});

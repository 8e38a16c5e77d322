import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSampleSubmission, readTestCsv, readTrainCsv, rowCount } from '../../dataset/index.ts';
import { writeBreathCsv, writeIdValueCsv } from '../../dataset/write-csv.ts';
import { readLines, smallTables, tempDir } from './make-table.ts';

const dir = tempDir();
const { train, test } = smallTables(21, 5, 3);

describe('writeBreathCsv', () => {
  it('writes the Kaggle header and one line per row, in table order', async () => {
    const path = join(dir, 'train.csv');
    await writeBreathCsv(path, train, { withPressure: true });
    const lines = readLines(path);
    assert.equal(lines[0], 'id,breath_id,R,C,time_step,u_in,u_out,pressure');
    assert.equal(lines.length, rowCount(train) + 1);
    // Row 83 is the 4th row of the 2nd breath; floats in shortest round-trip form.
    const i = 83;
    const b = 1;
    assert.deepEqual(lines[i + 1].split(','), [
      String(train.id[i]),
      String(train.breathId[b]),
      String(train.R[b]),
      String(train.C[b]),
      String(train.timeStep[i]),
      String(train.uIn[i]),
      String(train.uOut[i]),
      String(train.pressure![i]),
    ]);
    assert.ok(readFileSync(path, 'utf8').endsWith('\n'));
  });

  it('round-trips exactly through readTrainCsv and readTestCsv', async () => {
    const trainPath = join(dir, 'round-trip-train.csv');
    await writeBreathCsv(trainPath, train, { withPressure: true });
    assert.deepEqual(await readTrainCsv(trainPath), train);
    const testPath = join(dir, 'round-trip-test.csv');
    await writeBreathCsv(testPath, test, { withPressure: false });
    assert.equal(readLines(testPath)[0], 'id,breath_id,R,C,time_step,u_in,u_out');
    assert.deepEqual(await readTestCsv(testPath), { ...test, pressure: null });
  });

  it('writes the same bytes for the same table', async () => {
    const a = join(dir, 'same-a.csv');
    const b = join(dir, 'same-b.csv');
    await writeBreathCsv(a, train, { withPressure: true });
    await writeBreathCsv(b, smallTables(21, 5, 3).train, { withPressure: true });
    assert.ok(readFileSync(a).equals(readFileSync(b)));
  });

  it('refuses withPressure for a table without pressure, leaving no file behind', async () => {
    const path = join(dir, 'no-pressure', 'train.csv');
    await assert.rejects(writeBreathCsv(path, { ...test, pressure: null }, { withPressure: true }), /no pressure/);
    assert.equal(existsSync(join(dir, 'no-pressure')), false);
  });
});

describe('writeIdValueCsv', () => {
  it('writes id,pressure rows that read back exactly', async () => {
    const path = join(dir, 'answers.csv');
    await writeIdValueCsv(path, test.id, test.pressure!);
    const lines = readLines(path);
    assert.equal(lines[0], 'id,pressure');
    assert.equal(lines[5], `${test.id[4]},${String(test.pressure![4])}`);
    const back = await readSampleSubmission(path);
    assert.deepEqual(back.id, test.id);
    assert.deepEqual(back.pressure, test.pressure);
  });

  it('names the value column and writes float32 values as their exact doubles', async () => {
    const path = join(dir, 'oof.csv');
    const values = Float32Array.from([0.1, 2.5, -3.25]);
    await writeIdValueCsv(path, Int32Array.from([7, 8, 9]), values, 'oof');
    assert.deepEqual(readLines(path), ['id,oof', `7,${String(values[0])}`, '8,2.5', '9,-3.25']);
    assert.equal(Number(readLines(path)[1].split(',')[1]), values[0]);
  });

  it('refuses ids and values of different lengths', async () => {
    await assert.rejects(writeIdValueCsv(join(dir, 'bad.csv'), Int32Array.from([1, 2]), Float64Array.from([1])), /2 ids but 1 values/);
  });

  it('refuses a non-finite value, naming its id, and leaves no file', async () => {
    const path = join(dir, 'nan.csv');
    await assert.rejects(writeIdValueCsv(path, Int32Array.from([4, 5, 6]), Float64Array.from([1, NaN, 2])), /pressure of id 5 is NaN/);
    assert.equal(existsSync(path), false);
  });

  it('leaves no temporary files next to its outputs', () => {
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  });
});

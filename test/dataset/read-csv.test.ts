import { strict as assert } from 'node:assert';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError, checkTestIdsMatchSample, readBreathCsv, readSampleSubmission, readTestCsv, readTrainCsv, rowCount } from '../../dataset/index.ts';
import { createRng } from '../../core/index.ts';
import { writeIdValueCsv } from '../../dataset/write-csv.ts';
import { getField, readLines, setField, smallTables, tempDir, writeLines, writeTableCsv } from './make-table.ts';

const dir = tempDir();
const { train, test } = smallTables();

/** Rewrites a valid train.csv with `edit` applied to its lines and expects an InputError there. */
async function expectInputError(
  name: string,
  edit: (lines: string[]) => string[],
  where: { line?: number; column?: string },
  ...fragments: (string | RegExp)[]
): Promise<InputError> {
  const source = await writeTableCsv(dir, `${name}.source.csv`, train);
  const path = writeLines(join(dir, `${name}.csv`), edit(readLines(source)));
  const err = await readTrainCsv(path).then(
    () => assert.fail(`${name}: expected an InputError`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof InputError, `${name}: got ${String(err)}`);
  assert.equal(err.file, path);
  assert.equal(err.line, where.line);
  assert.equal(err.column, where.column);
  assert.ok(err.message.includes(path), err.message);
  if (where.line !== undefined) assert.ok(err.message.includes(`:${where.line}`), err.message);
  if (where.column !== undefined) assert.ok(err.message.includes(where.column), err.message);
  for (const f of fragments) assert.match(err.message, typeof f === 'string' ? new RegExp(escape(f)) : f);
  return err;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Line (1-based) of the row at table index i in a file written in table order. */
function lineOf(i: number): number {
  return i + 2;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const rng = createRng(seed, 'test', 'shuffle');
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('readTrainCsv / readTestCsv', () => {
  it('reads a written train file back into the same table', async () => {
    const path = await writeTableCsv(dir, 'train.csv', train);
    assert.deepEqual(await readTrainCsv(path), train);
  });

  it('reads a file larger than one 8 MiB read chunk, lines split across chunks', async () => {
    const big = smallTables(4, 1_800, 0).train;
    const path = await writeTableCsv(dir, 'big.csv', big);
    assert.ok(statSync(path).size > 9 * 2 ** 20);
    assert.deepEqual(await readTrainCsv(path), big);
  });

  it('reads a test file (no pressure column) with pressure null', async () => {
    const path = await writeTableCsv(dir, 'test.csv', test, false);
    const back = await readTestCsv(path);
    assert.equal(back.pressure, null);
    assert.deepEqual(back, { ...test, pressure: null });
    assert.deepEqual(await readBreathCsv(path, { kind: 'test' }), back);
  });

  it('accepts CRLF line ends and a missing final newline', async () => {
    const lines = readLines(await writeTableCsv(dir, 'lf.csv', train));
    const crlf = join(dir, 'crlf.csv');
    writeFileSync(crlf, lines.join('\r\n') + '\r\n');
    assert.deepEqual(await readTrainCsv(crlf), train);
    const bare = join(dir, 'no-final-newline.csv');
    writeFileSync(bare, lines.join('\n'));
    assert.deepEqual(await readTrainCsv(bare), train);
    const bareCrlf = join(dir, 'no-final-newline-crlf.csv');
    writeFileSync(bareCrlf, lines.join('\r\n'));
    assert.deepEqual(await readTrainCsv(bareCrlf), train);
  });

  it('finds columns by name in any order', async () => {
    const lines = readLines(await writeTableCsv(dir, 'ordered-columns.csv', train));
    const header = lines[0].split(',');
    const order = [7, 4, 0, 6, 2, 1, 5, 3];
    const moved = lines.map((line) => {
      const fields = line.split(',');
      return order.map((k) => fields[k]).join(',');
    });
    assert.notDeepEqual(moved[0].split(','), header);
    assert.deepEqual(await readTrainCsv(writeLines(join(dir, 'moved-columns.csv'), moved)), train);
  });

  it('loads shuffled rows into the same table as the ordered file', async () => {
    const lines = readLines(await writeTableCsv(dir, 'ordered.csv', train));
    const rows = shuffled(lines.slice(1), 11);
    assert.notDeepEqual(rows, lines.slice(1));
    const back = await readTrainCsv(writeLines(join(dir, 'shuffled.csv'), [lines[0], ...rows]));
    assert.deepEqual(back, train);
  });

  it('orders breaths by breath_id and rows by time_step, whatever the ids say', async () => {
    // A re-split: breaths reversed, rows reversed inside each breath, ids renumbered from 1.
    const lines = readLines(await writeTableCsv(dir, 'resplit-source.csv', train));
    const rows = lines.slice(1).reverse();
    const renumbered = rows.map((row, i) => [String(i + 1), ...row.split(',').slice(1)].join(','));
    const back = await readTrainCsv(writeLines(join(dir, 'resplit.csv'), [lines[0], ...renumbered]));
    assert.deepEqual(back.breathId, train.breathId);
    assert.deepEqual(back.timeStep, train.timeStep);
    assert.deepEqual(back.uIn, train.uIn);
    assert.deepEqual(back.pressure, train.pressure);
    // The last row of the table was the first line after reversing: id 1.
    assert.equal(back.id[rowCount(back) - 1], 1);
    assert.equal(back.id[0], rowCount(back));
  });

  it('reads floats with 10 significant digits and exponent notation exactly as Number() does', async () => {
    let lines = readLines(await writeTableCsv(dir, 'precision-source.csv', train));
    const expected = { time_step: [] as number[], u_in: [] as number[], pressure: [] as number[] };
    const forms = [(x: number) => x.toPrecision(10), (x: number) => x.toExponential(9), (x: number) => x.toExponential(16).toUpperCase()];
    for (let line = 2; line <= lines.length; line++) {
      for (const column of ['time_step', 'u_in', 'pressure'] as const) {
        const text = forms[line % 3](Number(getField(lines, line, column)));
        lines = setField(lines, line, column, text);
        expected[column].push(Number(text));
      }
    }
    const back = await readTrainCsv(writeLines(join(dir, 'precision.csv'), lines));
    assert.deepEqual(Array.from(back.timeStep), expected.time_step);
    assert.deepEqual(Array.from(back.uIn), expected.u_in);
    assert.deepEqual(Array.from(back.pressure!), expected.pressure);
  });

  it('parses long and unusual decimals exactly as Number() does', async () => {
    // An id,pressure file: its pressure has no physical range, so any magnitude can be tried.
    const rng = createRng(9, 'test', 'decimals');
    const texts: string[] = [];
    for (let line = 2; line <= rowCount(train) + 1; line++) {
      // 1 to 24 significant digits with the point anywhere, sometimes a sign or leading zeros.
      const digits = 1 + Math.floor(rng() * 24);
      let mantissa = String(1 + Math.floor(rng() * 9));
      for (let k = 1; k < digits; k++) mantissa += Math.floor(rng() * 10);
      const point = Math.floor(rng() * (digits + 1));
      let text = `${mantissa.slice(0, point) || '0'}.${mantissa.slice(point)}`;
      if (line % 7 === 0) text = `00${text}`;
      if (line % 11 === 0) text = `+${text}`;
      if (line % 13 === 0) text = `${text}e-3`;
      texts.push(text);
    }
    const back = await readSampleSubmission(writeLines(join(dir, 'decimals.csv'), ['id,pressure', ...texts.map((t, i) => `${i + 1},${t}`)]));
    assert.deepEqual(Array.from(back.pressure), texts.map(Number));
  });
});

describe('readTrainCsv validation', () => {
  it('rejects a missing column', async () => {
    await expectInputError('missing-column', (lines) => lines.map((l) => l.split(',').slice(0, 7).join(',')), { line: 1, column: 'pressure' }, 'missing column "pressure"');
  });

  it('rejects an unknown column', async () => {
    await expectInputError('unknown-column', (lines) => lines.map((l, i) => `${l},${i === 0 ? 'flow' : '1'}`), { line: 1, column: 'flow' }, 'unknown column "flow"');
  });

  it('rejects an empty value', async () => {
    await expectInputError('empty-value', (lines) => setField(lines, 7, 'u_in', ''), { line: 7, column: 'u_in' }, 'empty value');
  });

  it('rejects a non-numeric value', async () => {
    await expectInputError('non-numeric', (lines) => setField(lines, 12, 'time_step', '0.1x'), { line: 12, column: 'time_step' }, 'expected a number, got "0.1x"');
    await expectInputError('space', (lines) => setField(lines, 13, 'pressure', ' 5.2'), { line: 13, column: 'pressure' }, 'expected a number');
  });

  it('rejects non-finite values', async () => {
    await expectInputError('nan', (lines) => setField(lines, 30, 'pressure', 'NaN'), { line: 30, column: 'pressure' }, 'finite');
    await expectInputError('inf', (lines) => setField(lines, 31, 'u_in', 'inf'), { line: 31, column: 'u_in' }, 'finite');
    await expectInputError('overflow', (lines) => setField(lines, 32, 'u_in', '1e400'), { line: 32, column: 'u_in' }, 'finite');
  });

  it('rejects u_out other than 0 or 1', async () => {
    await expectInputError('u-out', (lines) => setField(lines, 40, 'u_out', '2'), { line: 40, column: 'u_out' }, 'one of 0, 1', 'got 2');
  });

  it('rejects R outside {5, 20, 50} and C outside {10, 20, 50}', async () => {
    await expectInputError('bad-r', (lines) => setField(lines, 2, 'R', '7'), { line: 2, column: 'R' }, 'one of 5, 20, 50');
    await expectInputError('bad-c', (lines) => setField(lines, 3, 'C', '20.5'), { line: 3, column: 'C' }, 'one of 10, 20, 50');
  });

  it('rejects a non-integer id', async () => {
    await expectInputError('float-id', (lines) => setField(lines, 5, 'id', '4.5'), { line: 5, column: 'id' }, 'an integer');
  });

  it('rejects R or C changing inside a breath', async () => {
    const line = lineOf(80 + 17); // a row inside the second breath
    const otherR = train.R[1] === 50 ? '5' : '50';
    await expectInputError('r-changes', (lines) => setField(lines, line, 'R', otherR), { line, column: 'R' }, `breath ${train.breathId[1]}`);
    const otherC = train.C[2] === 10 ? '20' : '10';
    await expectInputError('c-changes', (lines) => setField(lines, lineOf(160 + 79), 'C', otherC), { line: lineOf(160 + 79), column: 'C' }, `breath ${train.breathId[2]}`);
  });

  it('rejects a breath without 80 rows, naming the breath and its count', async () => {
    const dropped = lineOf(80 + 40);
    await expectInputError('short-breath', (lines) => lines.filter((_, i) => i + 1 !== dropped), { line: lineOf(80), column: 'breath_id' }, `breath ${train.breathId[1]} has 79 rows`);
    // Shuffled, the row count is still checked per breath.
    await expectInputError(
      'long-breath',
      (lines) => {
        const copy = setField(setField(lines, lineOf(3), 'id', '99999'), lineOf(3), 'time_step', '2.99');
        return [...lines, copy[lineOf(3) - 1]];
      },
      { line: lineOf(0), column: 'breath_id' },
      `breath ${train.breathId[0]} has 81 rows`,
    );
  });

  it('rejects a repeated time_step inside a breath, naming the breath and lines', async () => {
    const line = lineOf(160 + 10);
    await expectInputError(
      'time-tie',
      (lines) => setField(lines, line, 'time_step', getField(lines, line - 1, 'time_step')),
      { line, column: 'time_step' },
      `breath ${train.breathId[2]}`,
      `line ${line - 1}`,
    );
  });

  it('orders tied rows by id, so the repeat named is the row with the larger id', async () => {
    // Ids 1 and 2 get the same time_step and swap lines: id 2 is now on line 2, id 1 on line 3.
    // Ordered by (time_step, id), id 2 comes second, so it is the repeat: line 2 repeats line 3.
    const lines = readLines(await writeTableCsv(dir, 'tie-source.csv', train));
    const tied = setField(lines, 2, 'time_step', getField(lines, 3, 'time_step'));
    const swapped = [tied[0], tied[2], tied[1], ...tied.slice(3)];
    const path = writeLines(join(dir, 'tie-swapped.csv'), swapped);
    await assert.rejects(readTrainCsv(path), (err: unknown) => err instanceof InputError && err.line === 2 && err.message.includes('repeats line 3'));
  });

  it('rejects a duplicate id, naming both lines', async () => {
    await expectInputError('duplicate-id', (lines) => setField(lines, 300, 'id', getField(lines, 20, 'id')), { line: 300, column: 'id' }, 'duplicate id', 'line 20');
  });

  it('rejects a line with the wrong number of fields', async () => {
    await expectInputError('too-few', (lines) => lines.map((l, i) => (i + 1 === 50 ? l.split(',').slice(0, 6).join(',') : l)), { line: 50 }, 'expected 8 fields', 'found 6');
    await expectInputError('too-many', (lines) => lines.map((l, i) => (i + 1 === 51 ? `${l},3` : l)), { line: 51 }, 'found 9');
  });

  it('rejects an empty line inside the file', async () => {
    await expectInputError('blank-line', (lines) => [...lines.slice(0, 9), '', ...lines.slice(9)], { line: 10 }, 'empty line');
  });

  it('rejects a header-only file', async () => {
    await expectInputError('header-only', (lines) => lines.slice(0, 1), { line: 2 }, 'no data rows');
  });
});

describe('readSampleSubmission / checkTestIdsMatchSample', () => {
  it('reads id,pressure and accepts ids matching the test file', async () => {
    const path = join(dir, 'sample_submission.csv');
    await writeIdValueCsv(path, test.id, new Float64Array(test.id.length));
    const sample = await readSampleSubmission(path);
    assert.deepEqual(sample.id, test.id);
    assert.deepEqual(sample.pressure, new Float64Array(test.id.length));
    checkTestIdsMatchSample(test, sample, { test: 'test.csv', sampleSubmission: path });
  });

  it('names a test id missing from the sample submission', async () => {
    const path = join(dir, 'sample-missing.csv');
    const ids = test.id.filter((id) => id !== test.id[123]);
    await writeIdValueCsv(path, ids, new Float64Array(ids.length));
    const sample = await readSampleSubmission(path);
    assert.throws(
      () => checkTestIdsMatchSample(test, sample, { test: 'test.csv', sampleSubmission: path }),
      (err: unknown) => err instanceof InputError && err.file === path && err.column === 'id' && err.message.includes(`1 id of test.csv missing (e.g. id ${test.id[123]})`),
    );
  });

  it('names an extra id of the sample submission and its line', async () => {
    const path = join(dir, 'sample-extra.csv');
    const ids = Int32Array.from([...test.id.slice(0, 10), 777777, ...test.id.slice(10)]);
    await writeIdValueCsv(path, ids, new Float64Array(ids.length));
    const sample = await readSampleSubmission(path);
    assert.throws(
      () => checkTestIdsMatchSample(test, sample, { test: 'test.csv', sampleSubmission: path }),
      (err: unknown) => err instanceof InputError && err.message.includes('id 777777 on line 12'),
    );
  });

  it('rejects a duplicate id in the sample submission', async () => {
    const path = join(dir, 'sample-duplicate.csv');
    writeFileSync(path, 'id,pressure\n1,0\n2,0\n1,0\n');
    await assert.rejects(readSampleSubmission(path), (err: unknown) => err instanceof InputError && err.line === 4 && err.message.includes('line 2'));
  });

  it('rejects a sample submission with breath columns', async () => {
    const path = await writeTableCsv(dir, 'not-a-sample.csv', test, false);
    await assert.rejects(readSampleSubmission(path), (err: unknown) => err instanceof InputError && err.line === 1 && /unknown column "breath_id"/.test(err.message));
  });
});

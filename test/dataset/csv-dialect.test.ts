/**
 * CSV as common readers (pandas, Python's csv, spreadsheets) write and read it: quoted fields,
 * blank lines after the last row, and messages that say what is wrong with an id or a path.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError, loadBreathTableCached, readSampleSubmission, readTestCsv, readTrainCsv } from '../../dataset/index.ts';
import { readLines, setField, smallTables, tempDir, writeLines, writeTableCsv } from './make-table.ts';

const dir = tempDir();
const { train } = smallTables();

/** Every field of every line in double quotes, as csv.QUOTE_ALL writes them. */
function quoteAll(lines: readonly string[]): string[] {
  return lines.map((line) => line.split(',').map((f) => `"${f}"`).join(','));
}

async function rejection(promise: Promise<unknown>): Promise<InputError> {
  const err = await promise.then(
    () => assert.fail('expected an InputError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof InputError, String(err));
  return err;
}

describe('quoted fields', () => {
  it('reads a file with every header name and value quoted into the same table', async () => {
    const lines = readLines(await writeTableCsv(dir, 'plain.csv', train));
    assert.deepEqual(await readTrainCsv(writeLines(join(dir, 'quoted.csv'), quoteAll(lines))), train);
  });

  it('reads some quoted fields among plain ones, with CRLF line ends', async () => {
    const lines = readLines(await writeTableCsv(dir, 'mixed.source.csv', train));
    const mixed = lines.map((line, i) => line.split(',').map((f, k) => ((i + k) % 3 === 0 ? `"${f}"` : f)).join(','));
    const path = join(dir, 'mixed.csv');
    writeFileSync(path, mixed.join('\r\n') + '\r\n');
    assert.deepEqual(await readTrainCsv(path), train);
  });

  it('reads quoted decimals exactly as Number() does, long ones and exponents included', async () => {
    const texts = ['0', '-0.5', '+3', '.25', '7.', '1e3', '2.5E-3', '0.1000000000000000055511151231257827', '123456789012345678901234.5', '4.9e-324', '1e308'];
    const path = writeLines(join(dir, 'quoted-decimals.csv'), ['"id","pressure"', ...texts.map((t, i) => `"${i + 1}","${t}"`)]);
    assert.deepEqual(Array.from((await readSampleSubmission(path)).pressure), texts.map(Number));
  });

  it('reads "" inside a quoted header name as one quote (RFC 4180)', async () => {
    const path = writeLines(join(dir, 'escaped-header.csv'), ['"id","pre""ssure"', '1,2']);
    const err = await rejection(readSampleSubmission(path));
    // The name is pre"ssure, not a garbled ""pre""ssure"".
    assert.match(err.message, /unknown column "pre"ssure"/);
  });

  it('names the line and column of a bad quoted value', async () => {
    const lines = readLines(await writeTableCsv(dir, 'bad-quoted.source.csv', train));
    const unclosed = await rejection(readTrainCsv(writeLines(join(dir, 'unclosed.csv'), setField(lines, 7, 'u_in', '"5.5'))));
    assert.equal(unclosed.line, 7);
    assert.equal(unclosed.column, 'u_in');
    assert.match(unclosed.message, /no closing quote/);
    const text = await rejection(readTrainCsv(writeLines(join(dir, 'quoted-text.csv'), setField(lines, 8, 'pressure', '"high"'))));
    assert.equal(text.line, 8);
    assert.equal(text.column, 'pressure');
    assert.match(text.message, /expected a number, got "high"/);
    const trailing = await rejection(readTrainCsv(writeLines(join(dir, 'after-quote.csv'), setField(lines, 9, 'time_step', '"0.1"x'))));
    assert.equal(trailing.line, 9);
    assert.match(trailing.message, /after the closing quote/);
    const empty = await rejection(readTrainCsv(writeLines(join(dir, 'empty-quoted.csv'), setField(lines, 10, 'u_in', '""'))));
    assert.equal(empty.line, 10);
    assert.match(empty.message, /empty value/);
  });

  it('checks quoted values like plain ones: physical range and integer ids', async () => {
    const lines = readLines(await writeTableCsv(dir, 'quoted-range.source.csv', train));
    const range = await rejection(readTrainCsv(writeLines(join(dir, 'quoted-range.csv'), setField(lines, 11, 'u_in', '"1e300"'))));
    assert.equal(range.line, 11);
    assert.match(range.message, /outside \[0, 100\]/);
    const id = await rejection(readTrainCsv(writeLines(join(dir, 'quoted-id.csv'), setField(lines, 12, 'id', '"4.5"'))));
    assert.equal(id.column, 'id');
    assert.match(id.message, /an integer/);
  });
});

describe('blank lines', () => {
  it('accepts one or several blank lines after the last row', async () => {
    const lines = readLines(await writeTableCsv(dir, 'blank.source.csv', train));
    assert.deepEqual(await readTrainCsv(writeLines(join(dir, 'one-blank.csv'), [...lines, ''])), train);
    assert.deepEqual(await readTrainCsv(writeLines(join(dir, 'three-blank.csv'), [...lines, '', '', ''])), train);
    const crlf = join(dir, 'blank-crlf.csv');
    writeFileSync(crlf, [...lines, '', ''].join('\r\n') + '\r\n');
    assert.deepEqual(await readTrainCsv(crlf), train);
  });

  it('still refuses a blank line between rows, naming its line', async () => {
    const lines = readLines(await writeTableCsv(dir, 'middle.source.csv', train));
    const path = writeLines(join(dir, 'middle-blank.csv'), [...lines.slice(0, 20), '', '', ...lines.slice(20), '']);
    const err = await rejection(readTrainCsv(path));
    assert.equal(err.line, 21);
    assert.match(err.message, /empty line/);
  });

  it('still refuses a header followed only by blank lines', async () => {
    const lines = readLines(await writeTableCsv(dir, 'header-blank.source.csv', train));
    const err = await rejection(readTrainCsv(writeLines(join(dir, 'header-blank.csv'), [lines[0], '', ''])));
    assert.equal(err.line, 2);
    assert.match(err.message, /no data rows/);
  });
});

describe('ids', () => {
  it('says a 12-digit id is larger than the largest id supported', async () => {
    const lines = readLines(await writeTableCsv(dir, 'big-id.source.csv', train));
    const err = await rejection(readTrainCsv(writeLines(join(dir, 'big-id.csv'), setField(lines, 5, 'id', '123456789012'))));
    assert.equal(err.line, 5);
    assert.equal(err.column, 'id');
    assert.match(err.message, /id 123456789012 is larger than the largest id supported, 2\^31-1/);
    const breath = await rejection(readTrainCsv(writeLines(join(dir, 'big-breath-id.csv'), setField(lines, 6, 'breath_id', '2147483648'))));
    assert.equal(breath.column, 'breath_id');
    assert.match(breath.message, /breath_id 2147483648 is larger than the largest breath_id supported/);
  });

  it('accepts the largest supported id', async () => {
    const path = writeLines(join(dir, 'max-id.csv'), ['id,pressure', '2147483647,1']);
    assert.deepEqual(Array.from((await readSampleSubmission(path)).id), [2147483647]);
  });
});

describe('paths', () => {
  it('names a folder given where a CSV file is expected, and what was expected', async () => {
    const folder = join(dir, 'a-folder.csv');
    mkdirSync(folder);
    for (const read of [readTrainCsv, readTestCsv, readSampleSubmission]) {
      const err = await rejection(read(folder));
      assert.equal(err.file, folder);
      assert.ok(err.message.startsWith(`${folder}: is a folder, not a file; expected a CSV file with the columns id,`), err.message);
      assert.doesNotMatch(err.message, /EISDIR/);
    }
  });

  it('names a folder given as a run input before hashing it for the cache', async () => {
    const folder = join(dir, 'input', 'train.csv');
    mkdirSync(folder, { recursive: true });
    const err = await rejection(loadBreathTableCached(folder, join(dir, 'cache'), 'train'));
    assert.equal(err.message, `${folder}: is a folder, not a file; expected the train CSV file`);
  });

  it('names a missing file and what was expected', async () => {
    const missing = join(dir, 'nowhere', 'train.csv');
    const err = await rejection(readTrainCsv(missing));
    assert.equal(err.file, missing);
    assert.match(err.message, /no such file; expected a CSV file with the columns id,breath_id,R,C,time_step,u_in,u_out,pressure/);
    assert.doesNotMatch(err.message, /ENOENT/);
  });
});

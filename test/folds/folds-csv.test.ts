import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../dataset/input-error.ts';
import { assignFolds, loadOrCreateFolds, parseFoldsCsv, readFoldsCsv, writeFoldsCsv } from '../../folds/index.ts';
import { sampleTrain } from '../features/sample-data.ts';

const table = sampleTrain(120, 3);
const options = { nFolds: 5, seed: 8, stratified: true };

test('folds.csv round trip: same assignment, same bytes, no temporary left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-folds-'));
  const assignment = assignFolds(table, options);
  const path = join(dir, 'folds.csv');
  writeFoldsCsv(path, assignment);
  const text = readFileSync(path, 'utf8');
  assert.ok(text.startsWith('breath_id,fold\n'));
  assert.equal(text.trimEnd().split('\n').length, table.nBreaths + 1);
  assert.deepEqual(readFoldsCsv(path), assignment);
  writeFoldsCsv(join(dir, 'again.csv'), readFoldsCsv(path));
  assert.equal(readFileSync(join(dir, 'again.csv'), 'utf8'), text);
  assert.deepEqual(readdirSync(dir).sort(), ['again.csv', 'folds.csv']);
});

test('rows in any order and CRLF line ends read back to the same assignment', () => {
  const assignment = assignFolds(table, options);
  const lines = [...assignment.breathIds].map((id, i) => `${id},${assignment.folds[i]}`).reverse();
  assert.deepEqual(parseFoldsCsv(`breath_id,fold\r\n${lines.join('\r\n')}\r\n`, 'x.csv'), assignment);
});

test('bad folds.csv files fail naming the file, line and column', () => {
  const cases: [string, number | undefined, string | undefined, RegExp][] = [
    ['id,fold\n1,0\n', 1, undefined, /header/],
    ['breath_id,fold\n1,0\n2\n', 3, undefined, /expected 2 fields/],
    ['breath_id,fold\n1,0\nx,1\n', 3, 'breath_id', /non-negative integer, got 'x'/],
    ['breath_id,fold\n1,0\n2,-1\n', 3, 'fold', /integer 0\.\.254, got '-1'/],
    ['breath_id,fold\n1,0\n2,1\n1,1\n', 4, 'breath_id', /already appears on line 2/],
    ['breath_id,fold\n1,0\n2,2\n', undefined, 'fold', /fold 1 has no breath/],
    ['breath_id,fold\n1,0\n2,0\n', undefined, 'fold', /at least 2 folds/],
  ];
  for (const [text, line, column, message] of cases) {
    assert.throws(
      () => parseFoldsCsv(text, 'runs/a/folds.csv'),
      (err: unknown) =>
        err instanceof InputError &&
        err.file === 'runs/a/folds.csv' &&
        err.line === line &&
        err.column === column &&
        message.test(err.message),
      JSON.stringify(text),
    );
  }
});

test('loadOrCreateFolds writes folds once and reuses the file afterwards', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-folds-'));
  const path = join(dir, 'folds.csv');
  const created = loadOrCreateFolds(path, table, options);
  assert.deepEqual(readFoldsCsv(path), created);
  // A file drawn with another seed is what a shared folds.csv looks like: it wins over the options.
  const shared = assignFolds(table, { ...options, seed: 99 });
  writeFoldsCsv(path, shared);
  assert.deepEqual(loadOrCreateFolds(path, table, options), shared);
  assert.throws(() => loadOrCreateFolds(path, table, { ...options, nFolds: 4 }), /has 5 folds, the run asks for 4/);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  writeFileSync(path, `${lines.slice(0, -1).join('\n')}\n`);
  const dropped = Number(lines[lines.length - 1].split(',')[0]);
  assert.throws(() => loadOrCreateFolds(path, table, options), new RegExp(`breath_id ${dropped} of the data has no fold`));
  writeFileSync(path, `${lines.join('\n')}\n999999,0\n`);
  assert.throws(() => loadOrCreateFolds(path, table, options), /breath_id 999999 is not in the data/);
});

test('blank lines after the last breath are accepted; one between breaths is not', () => {
  const text = 'breath_id,fold\n1,0\n2,1\n3,0\n';
  const expected = parseFoldsCsv(text, 'f.csv');
  assert.deepEqual(parseFoldsCsv(`${text}\n\n`, 'f.csv'), expected);
  assert.deepEqual(parseFoldsCsv(text.replaceAll('\n', '\r\n') + '\r\n', 'f.csv'), expected);
  assert.throws(() => parseFoldsCsv('breath_id,fold\n1,0\n\n2,1\n', 'f.csv'), (err: unknown) => err instanceof InputError && err.line === 3);
});

test('a folder or a missing path given as folds file names the path and what was expected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-folds-path-'));
  for (const path of [dir, join(dir, 'missing.csv')]) {
    assert.throws(
      () => readFoldsCsv(path),
      (err: unknown) =>
        err instanceof InputError && err.file === path && err.message.startsWith(`${path}: `) && /expected a folds CSV file \(breath_id,fold\)/.test(err.message) && !/EISDIR|ENOENT/.test(err.message),
    );
  }
});

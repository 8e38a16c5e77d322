import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createAtomicWriteStream, writeFileAtomic } from '../../core/index.ts';

test('a committed stream appears whole under its name, with no temp file left', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-atomic-'));
  const path = join(dir, 'out.csv');
  const out = createAtomicWriteStream(path);
  for (let i = 0; i < 1000; i++) await out.write(`${i},${i * 0.5}\n`);
  assert.ok(!existsSync(path), 'nothing under the final name before commit');
  await out.commit();
  const lines = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1000);
  assert.equal(lines[999], '999,499.5');
  assert.deepEqual(readdirSync(dir), ['out.csv']);
});

test('an abort right after opening, with writes queued, leaves no file and raises nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-atomic-'));
  const out = createAtomicWriteStream(join(dir, 'out.csv'));
  out.stream.write('x'.repeat(1 << 20));
  out.abort();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(readdirSync(dir), []);
});

test('writeFileAtomic replaces an existing file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-atomic-'));
  const path = join(dir, 'a.json');
  writeFileAtomic(path, 'old');
  writeFileAtomic(path, 'new');
  assert.equal(readFileSync(path, 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir), ['a.json']);
});

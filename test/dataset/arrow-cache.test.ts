import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { loadBreathTableCached, readTestCsv, readTrainCsv } from '../../dataset/index.ts';
import { getField, readLines, setField, smallTables, tempDir, writeLines, writeTableCsv } from './make-table.ts';

describe('loadBreathTableCached', () => {
  const { train, test } = smallTables(31, 5, 3);

  it('parses once, then loads the same table from the cache', async () => {
    const dir = tempDir();
    // 64,000 rows: enough for the parser to hand back views into larger arrays, which the cache must cut to size.
    const big = smallTables(32, 800, 0).train;
    const csv = await writeTableCsv(dir, 'train.csv', big);
    const cacheDir = join(dir, 'cache');
    const first = await loadBreathTableCached(csv, cacheDir, 'train');
    assert.equal(first.fromCache, false);
    assert.deepEqual(first.table, big);
    const written = statSync(first.cachePath);
    const second = await loadBreathTableCached(csv, cacheDir, 'train');
    assert.equal(second.fromCache, true);
    assert.equal(second.cachePath, first.cachePath);
    assert.equal(second.hash, createHash('sha256').update(readFileSync(csv)).digest('hex'));
    assert.equal(first.hash, second.hash);
    // Not rewritten: same inode and modification time.
    const reused = statSync(second.cachePath);
    assert.equal(reused.ino, written.ino);
    assert.equal(reused.mtimeMs, written.mtimeMs);
    assert.deepEqual(second.table, await readTrainCsv(csv));
  });

  it('keeps test files without pressure', async () => {
    const dir = tempDir();
    const csv = await writeTableCsv(dir, 'test.csv', test, false);
    await loadBreathTableCached(csv, join(dir, 'cache'), 'test');
    const cached = await loadBreathTableCached(csv, join(dir, 'cache'), 'test');
    assert.equal(cached.fromCache, true);
    assert.equal(cached.table.pressure, null);
    assert.deepEqual(cached.table, await readTestCsv(csv));
  });

  it('re-parses when the CSV changes and drops the old cache file', async () => {
    const dir = tempDir();
    const csv = await writeTableCsv(dir, 'train.csv', train);
    const cacheDir = join(dir, 'cache');
    const before = await loadBreathTableCached(csv, cacheDir, 'train');
    const stat = statSync(csv);
    // Same size and modification time, one changed digit: only the content tells.
    const lines = readLines(csv);
    const old = getField(lines, 50, 'pressure');
    const changed = old.slice(0, -1) + (old.endsWith('1') ? '2' : '1');
    writeLines(csv, setField(lines, 50, 'pressure', changed));
    utimesSync(csv, stat.atime, stat.mtime);
    assert.equal(statSync(csv).size, stat.size);
    const after = await loadBreathTableCached(csv, cacheDir, 'train');
    assert.equal(after.fromCache, false);
    assert.notEqual(after.cachePath, before.cachePath);
    assert.notEqual(after.hash, before.hash);
    assert.equal(after.table.pressure![48], Number(changed));
    assert.deepEqual(readdirSync(cacheDir), [basename(after.cachePath)]);
    assert.equal((await loadBreathTableCached(csv, cacheDir, 'train')).fromCache, true);
  });

  it('reuses the cache when the file is only touched', async () => {
    const dir = tempDir();
    const csv = await writeTableCsv(dir, 'train.csv', train);
    const cacheDir = join(dir, 'cache');
    await loadBreathTableCached(csv, cacheDir, 'train');
    const later = new Date(Date.now() + 60_000);
    utimesSync(csv, later, later);
    assert.equal((await loadBreathTableCached(csv, cacheDir, 'train')).fromCache, true);
  });

  it('rebuilds a damaged cache file instead of trusting it', async () => {
    const dir = tempDir();
    const csv = await writeTableCsv(dir, 'train.csv', train);
    const cacheDir = join(dir, 'cache');
    const first = await loadBreathTableCached(csv, cacheDir, 'train');
    const bytes = readFileSync(first.cachePath);
    writeFileSync(first.cachePath, bytes.subarray(0, bytes.length >> 1));
    const again = await loadBreathTableCached(csv, cacheDir, 'train');
    assert.equal(again.fromCache, false);
    assert.deepEqual(again.table, train);
    assert.equal((await loadBreathTableCached(csv, cacheDir, 'train')).fromCache, true);
  });

  it('keeps train and test caches of one file apart', async () => {
    const dir = tempDir();
    const csv = await writeTableCsv(dir, 'test.csv', test, false);
    const cacheDir = join(dir, 'cache');
    await loadBreathTableCached(csv, cacheDir, 'test');
    // The same file read as train fails (no pressure column) rather than reusing the test cache.
    await assert.rejects(loadBreathTableCached(csv, cacheDir, 'train'), /missing column "pressure"/);
  });
});

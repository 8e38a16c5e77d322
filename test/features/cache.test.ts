import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFeatures, buildFeaturesCached, featureCachePath, readLayoutArrow, writeLayoutArrow } from '../../features/index.ts';
import { sampleTest, sampleTrain } from './sample-data.ts';

test('buildFeaturesCached builds once, then reads the same layout back from Arrow IPC', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-features-'));
  const table = sampleTrain(30);
  const built = await buildFeaturesCached(table, 'full', dir, 'data-hash-a');
  const path = featureCachePath(dir, 'data-hash-a', 'full');
  const written = statSync(path).mtimeMs;
  assert.deepEqual(readdirSync(dir), [path.split('/').pop()], 'one file, no temporary left behind');
  const cached = await buildFeaturesCached(table, 'full', dir, 'data-hash-a');
  assert.equal(statSync(path).mtimeMs, written, 'not rewritten');
  assert.deepEqual(cached, built);
  assert.deepEqual(cached, buildFeatures(table, 'full'));
  await buildFeaturesCached(table, 'raw', dir, 'data-hash-a');
  await buildFeaturesCached(table, 'full', dir, 'data-hash-b');
  assert.equal(readdirSync(dir).length, 3, 'keyed by data hash and feature set');
});

test('a layout spanning several record batches and without target round-trips', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tidal-features-'));
  const layout = buildFeatures(sampleTest(2500), 'raw');
  const path = join(dir, 'test.arrow');
  await writeLayoutArrow(path, layout, { note: 'x' });
  const { layout: read, keys } = await readLayoutArrow(path);
  assert.deepEqual(read, layout);
  assert.equal(keys.get('note'), 'x');
  const again = join(dir, 'again.arrow');
  await writeLayoutArrow(again, layout, { note: 'x' });
  assert.ok(readFileSync(again).equals(readFileSync(path)), 'same layout, same bytes');
  truncateSync(path, statSync(path).size - 1000);
  await assert.rejects(readLayoutArrow(path), (err: Error) => err.message.startsWith(`${path}: `));
});
